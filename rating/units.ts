/**
 * Billable units. `minute`: every online minute. `hour`, `day`, `month`: one unit per local bucket
 * (the account's time zone) in which the device had at least `minActiveMinutes` online minutes.
 * Only the parts of a bucket in which the device is billable (on the account, on this tariff
 * version, not suspended) count toward the threshold.
 */
import { type DayBits, countRange, countRangeUpTo } from './minute-bitmap.ts';
import { DAY_MS, MINUTE_MS, MINUTES_PER_DAY } from './time.ts';

export const UNITS = ['minute', 'hour', 'day', 'month'] as const;
export type Unit = (typeof UNITS)[number];

/** Half-open UTC interval [from, to) in ms. */
export interface Interval {
  readonly from: number;
  readonly to: number;
}

/** Online bits of a device per UTC day index. */
export type OnlineLookup = (day: number) => DayBits | undefined;

/**
 * The same lookup, asked once per UTC day in [fromDay, toDay) and then answered from an array
 * (days outside the range still go to `get`). Exactly `get`, minus the repeated map lookups.
 */
export function dayArrayLookup(get: OnlineLookup, fromDay: number, toDay: number): OnlineLookup {
  const days: (DayBits | undefined)[] = [];
  for (let d = fromDay; d < toDay; d++) days.push(get(d));
  return (day) => (day >= fromDay && day < toDay ? days[day - fromDay] : get(day));
}

/** Online minutes in [fromMs, toMs). Boundaries are minute-aligned (local midnights/hours). */
export function onlineMinutes(online: OnlineLookup, fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  return countMinutes(online, Math.floor(fromMs / MINUTE_MS), Math.floor(toMs / MINUTE_MS));
}

/** Online minutes in UTC minutes [fromMin, toMin) since the epoch, day by day. */
function countMinutes(online: OnlineLookup, fromMin: number, toMin: number): number {
  let day = Math.floor(fromMin / MINUTES_PER_DAY);
  let base = day * MINUTES_PER_DAY;
  let n = 0;
  while (base < toMin) {
    const bits = online(day);
    if (bits !== undefined) n += countRange(bits, fromMin > base ? fromMin - base : 0, toMin - base < MINUTES_PER_DAY ? toMin - base : MINUTES_PER_DAY);
    day++;
    base += MINUTES_PER_DAY;
  }
  return n;
}

/** Online minutes inside `intervals` (sorted, disjoint) ∩ [fromMs, toMs). */
export function minutesWithin(online: OnlineLookup, intervals: readonly Interval[], fromMs: number, toMs: number): number {
  let n = 0;
  for (const iv of intervals) {
    if (iv.to <= fromMs) continue;
    if (iv.from >= toMs) break;
    n += onlineMinutes(online, Math.max(iv.from, fromMs), Math.min(iv.to, toMs));
  }
  return n;
}

/**
 * Buckets (consecutive boundaries) in which the device had ≥ `minActive` minutes inside `intervals`.
 * Same count as testing `minutesWithin(online, intervals, b0, b1) >= minActive` per bucket (the
 * reference, pinned by a property test), in one pass: boundaries ascend, so intervals that ended
 * before a bucket are never looked at again, and a bucket stops counting once it qualifies.
 */
export function activeBuckets(online: OnlineLookup, intervals: readonly Interval[], boundaries: readonly number[], minActive: number): number {
  if (intervals.length === 0) return 0;
  const first = intervals[0].from;
  const last = intervals[intervals.length - 1].to;
  let n = 0;
  let k = 0;
  let base = -Infinity; // first minute of the UTC day whose bits are in `bits`
  let bits: DayBits | undefined;
  for (let i = 0; i + 1 < boundaries.length; i++) {
    const b0 = boundaries[i];
    const b1 = boundaries[i + 1];
    if (b1 <= first) continue;
    if (b0 >= last) break;
    while (k < intervals.length && intervals[k].to <= b0) k++;
    // floor(max(x, y) / MINUTE_MS) = max of the floors: clip in ms, count in whole minutes.
    const m0 = Math.floor(b0 / MINUTE_MS);
    const m1 = Math.floor(b1 / MINUTE_MS);
    let m = 0;
    for (let j = k; j < intervals.length && m < minActive; j++) {
      const iv = intervals[j];
      if (iv.from >= b1) break;
      let from = iv.from > b0 ? Math.floor(iv.from / MINUTE_MS) : m0;
      const to = iv.to < b1 ? Math.floor(iv.to / MINUTE_MS) : m1;
      // countMinutes(online, from, to), inlined, keeping the current UTC day between buckets and
      // stopping once the bucket qualifies (only `m >= minActive` matters, and m only grows).
      while (from < to && m < minActive) {
        if (!(from >= base && from < base + MINUTES_PER_DAY)) {
          const day = Math.floor(from / MINUTES_PER_DAY);
          base = day * MINUTES_PER_DAY;
          bits = online(day);
        }
        const end = to - base < MINUTES_PER_DAY ? to - base : MINUTES_PER_DAY;
        if (bits !== undefined) m += countRangeUpTo(bits, from - base, end, minActive - m);
        from = base + end;
      }
    }
    if (m >= minActive) n++;
  }
  return n;
}

/** UTC day indexes touched by [fromMs, toMs) — which presence days a statement must load. */
export function utcDaysOf(fromMs: number, toMs: number): { fromDay: number; toDay: number } {
  return { fromDay: Math.floor(fromMs / DAY_MS), toDay: Math.floor((toMs - 1) / DAY_MS) + 1 };
}
