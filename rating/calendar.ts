/**
 * Local calendars: an account's days, hours and months are those of its IANA time zone, DST
 * included (a Europe/Berlin day is 23, 24 or 25 hours long). luxon is used here, off the hot path;
 * results are cached per zone and range.
 */
import { DateTime, IANAZone } from 'luxon';
import { ratingError } from './errors.ts';
import { type IsoDate, addDays, isoToDay, monthOf } from './time.ts';

/** A billing period: local dates [from, to) in the account's time zone. */
export interface Period {
  readonly from: IsoDate;
  readonly to: IsoDate;
}

export function assertTimeZone(zone: string): string {
  if (typeof zone !== 'string' || !IANAZone.isValidZone(zone)) throw ratingError('FM_RATING_BAD_TIME_ZONE', `expected an IANA time zone like "Europe/Berlin", got ${JSON.stringify(zone)}`);
  return zone;
}

export function assertPeriod(p: Period): Period {
  if (isoToDay(p.to) <= isoToDay(p.from)) throw ratingError('FM_RATING_BAD_PERIOD', `period must end after it starts, got ${p.from}..${p.to}`);
  return p;
}

/** The calendar month 'YYYY-MM' as a period. */
export function monthPeriod(month: string): Period {
  if (!/^\d{4}-\d{2}$/.test(month)) throw ratingError('FM_RATING_BAD_PERIOD', `expected a month like "2024-03", got ${JSON.stringify(month)}`);
  return monthOf(`${month}-01`);
}

/** A period as text: '2024-06' for a calendar month, else '2024-06-01..2024-06-16' (what the API's paths take). */
export function periodText(p: Period): string {
  const m = monthOf(p.from);
  return m.from === p.from && m.to === p.to ? p.from.slice(0, 7) : `${p.from}..${p.to}`;
}

/** The month after a monthly period (or the same length after any period). */
export function nextPeriod(p: Period): Period {
  const m = monthOf(p.from);
  if (m.from === p.from && m.to === p.to) return monthOf(p.to);
  return { from: p.to, to: addDays(p.to, isoToDay(p.to) - isoToDay(p.from)) };
}

const midnightCache = new Map<string, number>();

/** The first instant (ms UTC) of local date `date` in `zone`. */
export function localMidnight(date: IsoDate, zone: string): number {
  const key = `${zone}|${date}`;
  let v = midnightCache.get(key);
  if (v === undefined) {
    isoToDay(date);
    // A midnight that DST skips resolves to the first instant that exists (luxon shifts forward).
    v = DateTime.fromISO(date, { zone }).startOf('day').toMillis();
    if (!Number.isFinite(v)) throw ratingError('FM_RATING_BAD_TIME_ZONE', `cannot place ${date} in ${zone}`);
    if (midnightCache.size > 200_000) midnightCache.clear();
    midnightCache.set(key, v);
  }
  return v;
}

/** The local date of instant `ms` in `zone`. */
export function localDateOf(ms: number, zone: string): IsoDate {
  return DateTime.fromMillis(ms, { zone }).toISODate()!;
}

/** Local dates of a period, in order. */
export function periodDates(p: Period): IsoDate[] {
  const out: IsoDate[] = [];
  const n = isoToDay(p.to) - isoToDay(p.from);
  for (let i = 0; i < n; i++) out.push(addDays(p.from, i));
  return out;
}

/** Instants of the local midnights from `p.from` to `p.to` inclusive (n + 1 boundaries of n days). */
export function dayBoundaries(p: Period, zone: string): number[] {
  const dates = periodDates(p);
  dates.push(p.to);
  return dates.map((d) => localMidnight(d, zone));
}

const hourCache = new Map<string, number[]>();
/** Every UTC offset in use is a multiple of 15 minutes. */
const QUARTER_HOUR_MS = 900_000;

/**
 * Boundaries of the local hours in [fromMs, toMs) (both local midnights): every instant at which
 * the local wall clock reads HH:00. A 25-hour DST day has 25 buckets (02:00 twice), a 23-hour day
 * 23, and a +05:30 zone's hours start at :30 UTC.
 */
export function hourBoundaries(fromMs: number, toMs: number, zone: string): number[] {
  const key = `${zone}|${fromMs}|${toMs}`;
  const hit = hourCache.get(key);
  if (hit) return hit;
  const z = IANAZone.create(zone);
  const out = [fromMs];
  const first = Math.floor(fromMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS + QUARTER_HOUR_MS;
  for (let t = first; t < toMs; t += QUARTER_HOUR_MS) {
    const localMinute = (((Math.round(t / 60_000) + z.offset(t)) % 60) + 60) % 60;
    if (localMinute === 0) out.push(t);
  }
  out.push(toMs);
  if (hourCache.size > 10_000) hourCache.clear();
  hourCache.set(key, out);
  return out;
}

/** Calendar months overlapping a period, clipped to it: local dates and days in the full month. */
export function monthsOf(p: Period): { from: IsoDate; to: IsoDate; daysInMonth: number }[] {
  const out: { from: IsoDate; to: IsoDate; daysInMonth: number }[] = [];
  let cursor = p.from;
  while (isoToDay(cursor) < isoToDay(p.to)) {
    const m = monthOf(cursor);
    const to = isoToDay(m.to) < isoToDay(p.to) ? m.to : p.to;
    out.push({ from: cursor, to, daysInMonth: isoToDay(m.to) - isoToDay(m.from) });
    cursor = to;
  }
  return out;
}
