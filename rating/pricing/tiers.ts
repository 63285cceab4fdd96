/** Tier tables shared by the graduated and volume models. */
import { ratingError } from '../errors.ts';
import { type Dec, dec } from './money.ts';
import type { Tier } from './pricer.ts';

export interface ParsedTier {
  readonly tier: number;
  readonly from: Dec;
  readonly upTo: Dec | null;
  readonly unitPrice: Dec;
  readonly flatFee: Dec;
}

/** Validates ascending bounds, a final unbounded tier, non-negative prices. */
export function parseTiers(tiers: readonly Tier[]): ParsedTier[] {
  if (tiers.length === 0) throw ratingError('FM_RATING_BAD_TARIFF', 'a tiered price needs at least one tier');
  const out: ParsedTier[] = [];
  let from = dec(0);
  tiers.forEach((t, i) => {
    const last = i === tiers.length - 1;
    if (last !== (t.upTo === null)) throw ratingError('FM_RATING_BAD_TARIFF', `tier ${i + 1}: only the last tier is unbounded (upTo null), got upTo ${JSON.stringify(t.upTo)}`);
    const upTo = t.upTo === null ? null : dec(t.upTo);
    if (upTo !== null && !upTo.greaterThan(from)) throw ratingError('FM_RATING_BAD_TARIFF', `tier ${i + 1}: upTo ${t.upTo} must be above ${from.toFixed()}`);
    const unitPrice = dec(t.unitPrice);
    const flatFee = dec(t.flatFee);
    if (unitPrice.isNegative() || flatFee.isNegative()) throw ratingError('FM_RATING_BAD_TARIFF', `tier ${i + 1}: prices must not be negative`);
    out.push({ tier: i + 1, from, upTo, unitPrice, flatFee });
    if (upTo !== null) from = upTo;
  });
  return out;
}
