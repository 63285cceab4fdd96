/**
 * §6 / §10 date and time: `DDMMYY` + `HHMMSS[.fff…]`, always UTC, year 2000 + YY.
 * `270413;205601` = 2013-04-27T20:56:01Z.
 */
import { isAbsent } from './fields.ts';

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function twoDigits(s: string, at: number): number {
  const a = s.charCodeAt(at) - 0x30;
  const b = s.charCodeAt(at + 1) - 0x30;
  if (a < 0 || a > 9 || b < 0 || b > 9) return NaN;
  return a * 10 + b;
}

/**
 * Parses a date field and a time field into ms since the epoch (UTC).
 * - `null` when either is `NA` or empty: the device sent no usable time (§6: "If both date and time
 *   are NA, the server uses its own receive time" — the record keeps `deviceTime: null` and the
 *   caller has `receivedAt`). One of the two alone is not a timestamp either, so it is absent too.
 * - NaN when present but impossible (month 13, 31 April, 25:00…): answer code 0 (§10).
 * The time may carry a fraction (`HHMMSS.fff`, §6); it is truncated to milliseconds.
 */
export function parseDateTime(date: string, time: string): number | null {
  if (isAbsent(date) || isAbsent(time)) return null;
  if (date.length !== 6 || time.length < 6 || time.length > 16) return NaN;
  const day = twoDigits(date, 0);
  const month = twoDigits(date, 2);
  const year = twoDigits(date, 4);
  const hh = twoDigits(time, 0);
  const mm = twoDigits(time, 2);
  const ss = twoDigits(time, 4);
  if (Number.isNaN(day + month + year + hh + mm + ss)) return NaN;
  let ms = 0;
  if (time.length > 6) {
    if (time.charCodeAt(6) !== 0x2e || time.length === 7) return NaN; // '.' then at least one digit
    let scale = 100;
    for (let i = 7; i < time.length; i++) {
      const d = time.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return NaN;
      ms += d * scale;
      scale /= 10;
    }
    ms = Math.trunc(ms);
  }
  if (month < 1 || month > 12 || day < 1 || hh > 23 || mm > 59 || ss > 59) return NaN;
  // Date.UTC would roll 31 April over to 1 May; reject it instead.
  if (day > (month === 2 && year % 4 === 0 ? 29 : DAYS_IN_MONTH[month])) return NaN; // 2000..2099: every 4th year is leap
  return Date.UTC(2000 + year, month - 1, day, hh, mm, ss, ms);
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** Earliest and latest instants the 2-digit year can carry. */
export const WIALON_MIN_TIME = Date.UTC(2000, 0, 1);
export const WIALON_MAX_TIME = Date.UTC(2100, 0, 1) - 1;

/**
 * ms → `['DDMMYY', 'HHMMSS']` (with `.fff` when the ms part is not 0), or `['NA', 'NA']` for null.
 * Throws RangeError for instants outside 2000..2099 or non-integer ms.
 */
export function formatDateTime(t: number | null): [string, string] {
  if (t === null) return ['NA', 'NA'];
  if (!Number.isInteger(t) || t < WIALON_MIN_TIME || t > WIALON_MAX_TIME) {
    throw new RangeError(`time must be an integer ms instant in 2000..2099, got ${t}`);
  }
  const d = new Date(t);
  const date = pad2(d.getUTCDate()) + pad2(d.getUTCMonth() + 1) + pad2(d.getUTCFullYear() - 2000);
  let time = pad2(d.getUTCHours()) + pad2(d.getUTCMinutes()) + pad2(d.getUTCSeconds());
  const ms = d.getUTCMilliseconds();
  if (ms !== 0) time += '.' + String(ms).padStart(3, '0');
  return [date, time];
}
