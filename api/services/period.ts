/** Periods from API input: a usage range, or a statement period ('2024-06' / '2024-06-01..2024-06-16'). */
import { type Period, localDateOf, localMidnight, monthPeriod } from '../../rating/calendar.ts';
import { addDays, isoToDay, monthOf } from '../../rating/time.ts';
import { ApiError } from '../errors.ts';

/** Longest range a usage query may cover (days). */
export const MAX_RANGE_DAYS = 366;

const invalid = (field: string, message: string) => new ApiError('FM_ERR_VALIDATION', `${field}: ${message}`, { field });

const todays = new Map<string, { from: number; to: number; date: string; month: Period }>();

function today(zone: string, now: number) {
  let c = todays.get(zone);
  if (c !== undefined && now >= c.from && now < c.to) return c;
  const date = localDateOf(now, zone);
  c = { from: localMidnight(date, zone), to: localMidnight(addDays(date, 1), zone), date, month: monthOf(date) };
  todays.set(zone, c);
  return c;
}

/** The local date of `now` in `zone`; cached per zone until its next local midnight (hot path: no luxon). */
export function localToday(zone: string, now: number): string {
  return today(zone, now).date;
}

/**
 * [from, to) local dates. Defaults: neither → the current month in `zone`; only `from` → to the
 * start of the next month; only `to` → from the first of the month of the day before `to`.
 */
export function usagePeriod(q: { from?: string; to?: string }, zone: string, now: number): Period {
  let from = q.from;
  let to = q.to;
  if (from === undefined && to === undefined) return today(zone, now).month;
  if (from !== undefined && to === undefined) to = monthOf(from).to;
  if (to !== undefined && from === undefined) from = monthOf(addDays(to, -1)).from;
  const days = isoToDay(to!) - isoToDay(from!);
  if (days <= 0) throw invalid('to', `must be after from (${from}), got ${to}`);
  if (days > MAX_RANGE_DAYS) throw invalid('to', `a range covers at most ${MAX_RANGE_DAYS} days, got ${days}`);
  return { from: from!, to: to! };
}

/** '2024-06' → that month; '2024-06-01..2024-06-16' → those dates. */
export function parsePeriod(text: string, field = 'period'): Period {
  const m = /^(\d{4}-\d{2})$/.exec(text);
  try {
    if (m) return monthPeriod(m[1]);
    const [from, to] = text.split('..');
    if (from === undefined || to === undefined) throw invalid(field, `expected "2024-06" or "2024-06-01..2024-07-01", got ${JSON.stringify(text)}`);
    const days = isoToDay(to) - isoToDay(from);
    if (days <= 0) throw invalid(field, `must end after it starts, got ${text}`);
    if (days > MAX_RANGE_DAYS) throw invalid(field, `covers at most ${MAX_RANGE_DAYS} days, got ${days}`);
    return { from, to };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw invalid(field, (err as Error).message);
  }
}

/** The period as the API writes it (rating's `periodText`): '2024-06' for a month, else 'from..to'. */
export { periodText } from '../../rating/calendar.ts';
