import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BYTES_PER_DAY,
  bitsFromMinutes,
  countBits,
  countRange,
  decodeWordText,
  decodeWords,
  encodeWords,
  equalBits,
  hasMinute,
  minutesOf,
  minutesOnlyIn,
  newDayBits,
  orInto,
  popcount32,
  setMinute,
} from './minute-bitmap.ts';

const minutes = fc.array(fc.integer({ min: 0, max: 1439 }), { maxLength: 300 });

describe('minute bitmap', () => {
  it('is 180 bytes per device-day', () => {
    expect(BYTES_PER_DAY).toBe(180);
    expect(newDayBits().byteLength).toBe(180);
  });

  it('set is idempotent and reports first set only', () => {
    const b = newDayBits();
    expect(setMinute(b, 0)).toBe(true);
    expect(setMinute(b, 0)).toBe(false);
    expect(setMinute(b, 1439)).toBe(true);
    expect(setMinute(b, 31)).toBe(true);
    expect(setMinute(b, 32)).toBe(true);
    expect(countBits(b)).toBe(4);
    expect(hasMinute(b, 1439)).toBe(true);
    expect(hasMinute(b, 1438)).toBe(false);
    expect(minutesOf(b)).toEqual([0, 31, 32, 1439]);
  });

  it('popcount of extremes', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0x80000001)).toBe(2);
  });

  it('counts equal the set size, ranges equal a filter (property)', () => {
    fc.assert(
      fc.property(minutes, fc.integer({ min: -5, max: 1445 }), fc.integer({ min: -5, max: 1445 }), (ms, a, b) => {
        const bits = bitsFromMinutes(ms);
        const set = new Set(ms);
        expect(countBits(bits)).toBe(set.size);
        const expected = [...set].filter((m) => m >= a && m < b).length;
        expect(countRange(bits, a, b)).toBe(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('OR is union; order and duplicates do not matter (property)', () => {
    fc.assert(
      fc.property(minutes, minutes, (x, y) => {
        const a = bitsFromMinutes(x);
        const changed = orInto(a, bitsFromMinutes(y));
        const u = bitsFromMinutes([...y, ...x, ...x]);
        expect(equalBits(a, u)).toBe(true);
        expect(changed).toBe(y.some((m) => !x.includes(m)));
        expect(minutesOnlyIn(u, bitsFromMinutes(x))).toEqual([...new Set(y.filter((m) => !x.includes(m)))].sort((p, q) => p - q));
      }),
      { numRuns: 300 },
    );
  });

  it('storage encoding round-trips and trims trailing zero words', () => {
    expect(encodeWords(newDayBits())).toEqual([]);
    expect(encodeWords(bitsFromMinutes([0]))).toEqual([1]);
    expect(encodeWords(bitsFromMinutes([1439]))).toHaveLength(45);
    expect(encodeWords(bitsFromMinutes([31]))).toEqual([0x80000000]);
    fc.assert(
      fc.property(minutes, (ms) => {
        const bits = bitsFromMinutes(ms);
        expect(equalBits(decodeWords(encodeWords(bits)), bits)).toBe(true);
      }),
      { numRuns: 200 },
    );
    expect(() => decodeWords(new Array(46).fill(0))).toThrow();
    fc.assert(
      fc.property(minutes, (ms) => {
        const bits = bitsFromMinutes(ms);
        expect(equalBits(decodeWordText(encodeWords(bits).join(',')), bits)).toBe(true);
      }),
      { numRuns: 200 },
    );
    expect(equalBits(decodeWordText(''), newDayBits())).toBe(true);
    for (const bad of ['1,,2', '1,', '4294967296', '12345678901', '-1', '1 ,2', new Array(46).fill('0').join(',')]) expect(() => decodeWordText(bad), bad).toThrow();
    expect(() => decodeWords([-1])).toThrow();
    expect(() => decodeWords([2 ** 32])).toThrow();
    expect(equalBits(decodeWords(['4294967295']), decodeWords([0xffffffff]))).toBe(true);
  });
});
