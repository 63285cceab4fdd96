/**
 * Included units: an allowance of free units per account, tariff and period, consumed in
 * chronological order of the period's segments. It is removed before any price model runs, so
 * tiers start after it. 100 included, segments of 60 and 70 units → free 60 + 40, billable 0 + 30.
 */
import { type Dec, ZERO, min } from './money.ts';

export function applyIncludedUnits(quantities: readonly Dec[], allowance: Dec): { free: Dec[]; billable: Dec[] } {
  let left = allowance.isNegative() ? ZERO : allowance;
  const free: Dec[] = [];
  const billable: Dec[] = [];
  for (const q of quantities) {
    const f = min(q, left);
    left = left.minus(f);
    free.push(f);
    billable.push(q.minus(f));
  }
  return { free, billable };
}
