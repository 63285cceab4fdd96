import { describe, expect, it } from 'vitest';
import type { RatingError } from '../errors.ts';
import { currency, dec, formatDecimal, formatMoney, roundMoney, sum } from './money.ts';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as RatingError).code;
  }
  return 'no error';
};

describe('money', () => {
  it('rounds half-up (away from zero) to the minor unit', () => {
    const eur = currency('EUR');
    expect(formatMoney(dec('0.125'), eur)).toBe('0.13');
    expect(formatMoney(dec('0.124999'), eur)).toBe('0.12');
    expect(formatMoney(dec('-0.125'), eur)).toBe('-0.13');
    expect(formatMoney(dec('2.5'), currency('JPY'))).toBe('3');
    expect(formatMoney(dec('1.0005'), currency('KWD'))).toBe('1.001');
    expect(roundMoney(dec('-0.001'), eur).isZero()).toBe(true);
    expect(formatMoney(dec('-0.001'), eur)).toBe('0.00'); // never "-0.00"
  });

  it('parses only exact decimal text or safe integers', () => {
    expect(dec('12.50').toFixed()).toBe('12.5');
    expect(dec(7).toFixed()).toBe('7');
    for (const bad of ['1e3', 'NaN', 'Infinity', ' 1', '1.', '.5', '01']) expect(code(() => dec(bad))).toBe('FM_RATING_BAD_DECIMAL');
    expect(code(() => dec(0.1))).toBe('FM_RATING_BAD_DECIMAL');
  });

  it('decimal arithmetic is exact where binary floats are not', () => {
    expect(sum([dec('0.1'), dec('0.2')]).equals(dec('0.3'))).toBe(true);
    expect(formatDecimal(dec(10).dividedBy(4))).toBe('2.5');
    expect(formatDecimal(dec('3.000'))).toBe('3');
  });

  it('knows currencies by ISO code and refuses unknown ones', () => {
    expect(currency('RUB')).toEqual({ code: 'RUB', minorUnit: 2 });
    expect(code(() => currency('XXX'))).toBe('FM_RATING_BAD_CURRENCY');
  });
});
