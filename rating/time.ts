/**
 * UTC minute/day arithmetic on integer milliseconds. Hot-path safe: no Date objects, no strings
 * except in the explicit ISO conversions (used off the hot path).
 *
 * A "day index" is the number of whole UTC days since 1970-01-01 (day 0). Presence is kept per
 * device per UTC day; each UTC day has exactly 1440 minutes (UTC has no DST; leap seconds are not
 * represented in epoch milliseconds).
 */
import { ratingError } from './errors.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const MINUTES_PER_DAY = 1440;

/** A calendar date 'YYYY-MM-DD' (a local date in some time zone, or a UTC day). */
export type IsoDate = string;

export function dayIndexOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

export function minuteOfDay(ms: number): number {
  return Math.floor((ms - Math.floor(ms / DAY_MS) * DAY_MS) / MINUTE_MS);
}

/** Start of the UTC minute containing `ms`. */
export function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/** Proleptic Gregorian date → day index (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Day index → { y, m, d } (H. Hinnant's civil_from_days). */
export function civilFromDays(z: number): { y: number; m: number; d: number } {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** 'YYYY-MM-DD' → day index; throws FM_RATING_BAD_DATE on anything that is not a real date. */
export function isoToDay(iso: IsoDate): number {
  const m = ISO_DATE.exec(iso);
  if (!m) throw ratingError('FM_RATING_BAD_DATE', `expected a YYYY-MM-DD date, got ${JSON.stringify(iso)}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const day = daysFromCivil(y, mo, d);
  const back = civilFromDays(day);
  if (mo < 1 || mo > 12 || back.y !== y || back.m !== mo || back.d !== d) {
    throw ratingError('FM_RATING_BAD_DATE', `expected a real calendar date, got ${JSON.stringify(iso)}`);
  }
  return day;
}

export function dayToIso(day: number): IsoDate {
  const { y, m, d } = civilFromDays(day);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function isIsoDate(value: unknown): value is IsoDate {
  if (typeof value !== 'string' || !ISO_DATE.test(value)) return false;
  try {
    isoToDay(value);
    return true;
  } catch {
    return false;
  }
}

/** Calendar arithmetic on dates (no time zone involved). */
export function addDays(iso: IsoDate, days: number): IsoDate {
  return dayToIso(isoToDay(iso) + days);
}

/** Number of calendar days from `from` (inclusive) to `to` (exclusive). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return isoToDay(to) - isoToDay(from);
}

export function daysInMonth(y: number, m: number): number {
  return m === 12 ? daysFromCivil(y + 1, 1, 1) - daysFromCivil(y, 12, 1) : daysFromCivil(y, m + 1, 1) - daysFromCivil(y, m, 1);
}

/** 'YYYY-MM-DD' → first day of its month, and of the next month. */
export function monthOf(iso: IsoDate): { from: IsoDate; to: IsoDate } {
  isoToDay(iso);
  const y = Number(iso.slice(0, 4));
  const m = Number(iso.slice(5, 7));
  const next = m === 12 ? { y: y + 1, m: 1 } : { y, m: m + 1 };
  return { from: dayToIso(daysFromCivil(y, m, 1)), to: dayToIso(daysFromCivil(next.y, next.m, 1)) };
}
