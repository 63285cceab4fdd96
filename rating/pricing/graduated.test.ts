import { describe, expect, it } from 'vitest';
import type { RatingError } from '../errors.ts';
import { graduatedPricer } from './graduated.ts';
import { dec } from './money.ts';

const tiers = [
  { upTo: '100', unitPrice: '1.00', flatFee: '5' },
  { upTo: '200', unitPrice: '0.80', flatFee: '3' },
  { upTo: null, unitPrice: '0.50', flatFee: '0' },
];
const input = (quantity: number, offset = 0) => ({ quantity: dec(quantity), offset: dec(offset), periodTotal: dec(0), chargesVolumeFlatFee: false });

describe('graduated tiers', () => {
  it('prices each unit in its own tier, flat fee when a tier is entered', () => {
    // 250 units: 100 × 1.00 + 5 (tier 1 fee) + 100 × 0.80 + 3 (tier 2 fee) + 50 × 0.50 = 213
    const r = graduatedPricer(tiers).price(input(250));
    expect(r.amount.toFixed()).toBe('213');
    expect(r.tiers!.map((t) => [t.tier, t.quantity.toFixed(), t.amount.toFixed()])).toEqual([
      [1, '100', '105'],
      [2, '100', '83'],
      [3, '50', '25'],
    ]);
  });

  it('continues from an offset (a later segment of the same tariff); fees only for tiers entered here', () => {
    // units 91…130: 10 × 1.00 (tier 1 already entered: no fee) + 30 × 0.80 + 3 = 37
    const r = graduatedPricer(tiers).price(input(40, 90));
    expect(r.amount.toFixed()).toBe('37');
    expect(r.tiers!.map((t) => t.flatFee.toFixed())).toEqual(['0', '3']);
    // and the two segments add up to the single-segment price of 130 units
    const whole = graduatedPricer(tiers).price(input(130)).amount;
    const first = graduatedPricer(tiers).price(input(90)).amount;
    expect(first.plus(r.amount).equals(whole)).toBe(true);
  });

  it('zero units cost nothing', () => {
    expect(graduatedPricer(tiers).price(input(0)).amount.isZero()).toBe(true);
  });

  it('rejects malformed tier tables', () => {
    const code = (t: Parameters<typeof graduatedPricer>[0]) => {
      try {
        graduatedPricer(t);
      } catch (e) {
        return (e as RatingError).code;
      }
      return 'ok';
    };
    expect(code([{ upTo: '10', unitPrice: '1', flatFee: '0' }])).toBe('FM_RATING_BAD_TARIFF');
    expect(code([{ upTo: '10', unitPrice: '1', flatFee: '0' }, { upTo: '5', unitPrice: '1', flatFee: '0' }, { upTo: null, unitPrice: '1', flatFee: '0' }])).toBe('FM_RATING_BAD_TARIFF');
    expect(code([{ upTo: null, unitPrice: '-1', flatFee: '0' }])).toBe('FM_RATING_BAD_TARIFF');
    expect(code([])).toBe('FM_RATING_BAD_TARIFF');
  });
});
