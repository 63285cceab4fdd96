/**
 * Volume tiers: the tier reached by all billable units of the tariff in the period prices every
 * unit. Its flat fee is charged once per period (on the line the rating step designates).
 *
 * Tiers [0‥100] at 1.00, (100‥∞) at 0.80; 130 units = 130 × 0.80 = 104.00.
 */
import { ZERO } from './money.ts';
import type { PriceInput, PriceResult, Pricer, Tier } from './pricer.ts';
import { parseTiers } from './tiers.ts';

export function volumePricer(tierTable: readonly Tier[]): Pricer {
  const tiers = parseTiers(tierTable);
  return {
    model: 'volume',
    price(input: PriceInput): PriceResult {
      const t = tiers.find((x) => x.upTo === null || input.periodTotal.lessThanOrEqualTo(x.upTo))!;
      const flatFee = input.chargesVolumeFlatFee && input.periodTotal.greaterThan(0) ? t.flatFee : ZERO;
      if (input.quantity.isZero() && flatFee.isZero()) return { amount: ZERO, unitPrice: null, tiers: [] };
      const amount = input.quantity.times(t.unitPrice).plus(flatFee);
      return { amount, unitPrice: null, tiers: [{ tier: t.tier, from: t.from, upTo: t.upTo, quantity: input.quantity, unitPrice: t.unitPrice, flatFee, amount }] };
    },
  };
}
