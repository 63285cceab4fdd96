/** Per-unit: amount = quantity × unit price. */
import { dec } from './money.ts';
import type { PriceInput, PriceResult, Pricer } from './pricer.ts';

export function perUnitPricer(unitPrice: string): Pricer {
  const price = dec(unitPrice);
  return {
    model: 'per-unit',
    price(input: PriceInput): PriceResult {
      return { amount: input.quantity.times(price), unitPrice: price, tiers: null };
    },
  };
}
