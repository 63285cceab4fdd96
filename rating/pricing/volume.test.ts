import { describe, expect, it } from 'vitest';
import { dec } from './money.ts';
import { volumePricer } from './volume.ts';

const tiers = [
  { upTo: '100', unitPrice: '1.00', flatFee: '0' },
  { upTo: '200', unitPrice: '0.80', flatFee: '10' },
  { upTo: null, unitPrice: '0.50', flatFee: '20' },
];

describe('volume tiers', () => {
  it('the period total picks one tier for every unit', () => {
    const p = volumePricer(tiers);
    // 100 units in the period: tier 1 (upTo inclusive): 100 × 1.00 = 100
    expect(p.price({ quantity: dec(100), offset: dec(0), periodTotal: dec(100), chargesVolumeFlatFee: true }).amount.toFixed()).toBe('100');
    // 130 units in the period: tier 2 for all: 130 × 0.80 + 10 = 114
    const r = p.price({ quantity: dec(130), offset: dec(0), periodTotal: dec(130), chargesVolumeFlatFee: true });
    expect(r.amount.toFixed()).toBe('114');
    expect(r.tiers!.map((t) => t.tier)).toEqual([2]);
  });

  it('a segment is priced at the tier of the whole period; the flat fee goes on one line only', () => {
    const p = volumePricer(tiers);
    // segment of 50 units in a period of 250 (tier 3): 50 × 0.50 = 25, no fee on this line
    expect(p.price({ quantity: dec(50), offset: dec(0), periodTotal: dec(250), chargesVolumeFlatFee: false }).amount.toFixed()).toBe('25');
    expect(p.price({ quantity: dec(200), offset: dec(50), periodTotal: dec(250), chargesVolumeFlatFee: true }).amount.toFixed()).toBe('120');
  });

  it('no units, no flat fee', () => {
    const r = volumePricer(tiers).price({ quantity: dec(0), offset: dec(0), periodTotal: dec(0), chargesVolumeFlatFee: true });
    expect(r.amount.isZero()).toBe(true);
    expect(r.tiers).toEqual([]);
  });
});
