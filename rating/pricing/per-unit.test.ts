import { describe, expect, it } from 'vitest';
import { dec } from './money.ts';
import { perUnitPricer } from './per-unit.ts';

describe('per-unit price', () => {
  it('amount = quantity × unit price, unrounded', () => {
    const p = perUnitPricer('0.015');
    const r = p.price({ quantity: dec(1234), offset: dec(50), periodTotal: dec(2000), chargesVolumeFlatFee: true });
    expect(r.amount.toFixed()).toBe('18.51'); // 1234 × 0.015 = 18.51, offset and totals do not matter
    expect(r.unitPrice!.toFixed()).toBe('0.015');
    expect(r.tiers).toBeNull();
    expect(p.price({ quantity: dec('0.322581'), offset: dec(0), periodTotal: dec(0), chargesVolumeFlatFee: false }).amount.toFixed()).toBe('0.004838715');
  });
});
