/**
 * Graduated tiers: each unit is priced by the tier it falls in; tiers continue across the
 * segments of one tariff in a period (a line starts at `offset`). A tier's flat fee is charged
 * on the line in which the tier is entered.
 *
 * Tiers [0‥100] at 1.00, (100‥∞) at 0.80; 130 units = 100 × 1.00 + 30 × 0.80 = 124.00.
 */
import { ZERO, max, min } from './money.ts';
import type { PriceInput, PriceResult, Pricer, Tier, TierCharge } from './pricer.ts';
import { parseTiers } from './tiers.ts';

export function graduatedPricer(tierTable: readonly Tier[]): Pricer {
  const tiers = parseTiers(tierTable);
  return {
    model: 'graduated',
    price(input: PriceInput): PriceResult {
      const start = input.offset;
      const end = input.offset.plus(input.quantity);
      const charges: TierCharge[] = [];
      let amount = ZERO;
      for (const t of tiers) {
        const hi = t.upTo === null ? end : min(t.upTo, end);
        const lo = max(t.from, start);
        const quantity = hi.minus(lo);
        if (!quantity.greaterThan(0)) continue;
        const entered = t.from.greaterThanOrEqualTo(start) && t.from.lessThan(end);
        const flatFee = entered ? t.flatFee : ZERO;
        const tierAmount = quantity.times(t.unitPrice).plus(flatFee);
        charges.push({ tier: t.tier, from: t.from, upTo: t.upTo, quantity, unitPrice: t.unitPrice, flatFee, amount: tierAmount });
        amount = amount.plus(tierAmount);
      }
      return { amount, unitPrice: null, tiers: charges };
    },
  };
}
