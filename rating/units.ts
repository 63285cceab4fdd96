/**
 * Billable units. `minute`: every online minute. `hour`, `day`, `month`: one unit per local bucket
 * (the account's time zone) in which the device had at least `minActiveMinutes` online minutes.
 * Only the parts of a bucket in which the device is billable (on the account, on this tariff
 * version, not suspended) count toward the threshold.
 */
import { type DayBits, countRange } from './minute-bitmap.ts';
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

/** Online minutes in [fromMs, toMs). Boundaries are minute-aligned (local midnights/hours). */
export function onlineMinutes(online: OnlineLookup, fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  const fromMin = Math.floor(fromMs / MINUTE_MS);
  const toMin = Math.floor(toMs / MINUTE_MS);
  const firstDay = Math.floor(fromMin / MINUTES_PER_DAY);
  const lastDay = Math.floor((toMin - 1) / MINUTES_PER_DAY);
  let n = 0;
  for (let day = firstDay; day <= lastDay; day++) {
    const bits = online(day);
    if (bits === undefined) continue;
    const base = day * MINUTES_PER_DAY;
    n += countRange(bits, Math.max(0, fromMin - base), Math.min(MINUTES_PER_DAY, toMin - base));
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

/** Buckets (consecutive boundaries) in which the device had ≥ `minActive` minutes inside `intervals`. */
export function activeBuckets(online: OnlineLookup, intervals: readonly Interval[], boundaries: readonly number[], minActive: number): number {
  if (intervals.length === 0) return 0;
  const first = intervals[0].from;
  const last = intervals[intervals.length - 1].to;
  let n = 0;
  for (let i = 0; i + 1 < boundaries.length; i++) {
    const b0 = boundaries[i];
    const b1 = boundaries[i + 1];
    if (b1 <= first) continue;
    if (b0 >= last) break;
    if (minutesWithin(online, intervals, b0, b1) >= minActive) n++;
  }
  return n;
}

/** UTC day indexes touched by [fromMs, toMs) — which presence days a statement must load. */
export function utcDaysOf(fromMs: number, toMs: number): { fromDay: number; toDay: number } {
  return { fromDay: Math.floor(fromMs / DAY_MS), toDay: Math.floor((toMs - 1) / DAY_MS) + 1 };
}
