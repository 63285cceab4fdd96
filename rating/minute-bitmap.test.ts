import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BYTES_PER_DAY,
  bitsFromMinutes,
  countBits,
  countRange,
  countRangeUpTo,
  decodeWordText,
  decodeWordTokens,
  decodeWords,
  encodeWordTokens,
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

  it('countRangeUpTo: the exact count below the limit, at least the limit otherwise (property)', () => {
    fc.assert(
      fc.property(minutes, fc.integer({ min: -5, max: 1445 }), fc.integer({ min: -5, max: 1445 }), fc.integer({ min: 0, max: 200 }), (ms, a, b, limit) => {
        const bits = bitsFromMinutes(ms);
        const exact = countRange(bits, a, b);
        const got = countRangeUpTo(bits, a, b, limit);
        if (exact < limit) expect(got).toBe(exact);
        else expect(got).toBeGreaterThanOrEqual(limit);
        expect(got).toBeLessThanOrEqual(exact);
      }),
      { numRuns: 400 },
    );
    const full = bitsFromMinutes(Array.from({ length: 1440 }, (_, m) => m));
    expect(countRangeUpTo(full, 0, 1440, 1)).toBeLessThan(1440); // it did stop early
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

  it('compact token format: round-trips any bitmap, decodes in place, rejects anything else', () => {
    const word = fc.oneof(fc.constant(0), fc.constant(0xffffffff), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 255 }));
    fc.assert(
      fc.property(fc.array(word, { maxLength: 45 }), (words) => {
        const bits = newDayBits();
        bits.set(words);
        const text = encodeWordTokens(bits);
        expect(equalBits(decodeWordTokens(text), bits)).toBe(true);
        // into a view of a shared buffer: only that view is written
        const slab = new Uint32Array(3 * 45);
        expect(equalBits(decodeWordTokens(text, slab.subarray(45, 90)), bits)).toBe(true);
        expect(slab.subarray(0, 45).every((w) => w === 0) && slab.subarray(90).every((w) => w === 0)).toBe(true);
      }),
      { numRuns: 300 },
    );
    // what ClickHouse's hex() writes: whole bytes, upper case; lower case and odd lengths read too
    expect(encodeWordTokens(decodeWords([0, 0xffffffff, 15, 256, 0x80000000]))).toBe(',x,0F,0100,80000000');
    expect([...decodeWordTokens(',x,0f,100,1').subarray(0, 6)]).toEqual([0, 0xffffffff, 15, 256, 1, 0]);
    expect(equalBits(decodeWordTokens(''), newDayBits())).toBe(true);
    for (const bad of ['123456789', 'xx', 'x1', '1x', 'g', '-1', ' 1', new Array(46).fill('').join(',')]) expect(() => decodeWordTokens(bad), bad).toThrow();
  });
});
