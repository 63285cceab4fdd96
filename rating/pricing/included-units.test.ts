import { describe, expect, it } from 'vitest';
import { applyIncludedUnits } from './included-units.ts';
import { dec } from './money.ts';

const s = (xs: { toFixed(): string }[]) => xs.map((x) => x.toFixed());

describe('included units', () => {
  it('consumes the allowance chronologically across segments', () => {
    const r = applyIncludedUnits([dec(60), dec(70), dec(5)], dec(100));
    expect(s(r.free)).toEqual(['60', '40', '0']);
    expect(s(r.billable)).toEqual(['0', '30', '5']);
  });

  it('an allowance larger than usage leaves nothing billable; none leaves everything', () => {
    expect(s(applyIncludedUnits([dec(3)], dec(10)).billable)).toEqual(['0']);
    expect(s(applyIncludedUnits([dec(3)], dec(0)).billable)).toEqual(['3']);
    expect(s(applyIncludedUnits([dec('0.5'), dec('0.75')], dec(1)).free)).toEqual(['0.5', '0.5']);
  });
});
