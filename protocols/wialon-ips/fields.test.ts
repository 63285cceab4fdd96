import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalInteger, formatNumber, isAbsent, parseBitmask, parseDecimal, parseInt64, parseOptionalDecimal, parseUnsigned, preview } from './fields.ts';

describe('number fields (§6, §10: "." decimal separator, NA = absent)', () => {
  it('parseDecimal accepts what devices send (2.92, -4.000, 265.000000, 1e-7)', () => {
    expect(parseDecimal('2.92')).toBe(2.92);
    expect(parseDecimal('-4.000')).toBe(-4);
    expect(parseDecimal('265.000000')).toBe(265);
    expect(parseDecimal('1e-7')).toBe(1e-7);
    expect(parseDecimal('+5')).toBe(5);
    expect(parseDecimal('.5')).toBe(0.5);
  });
  it('parseDecimal rejects everything else', () => {
    for (const s of ['', 'NA', ' 1', '1 ', '1,5', '0x10', 'Infinity', '1e999', '--1', '1-2', '1.2.3', 'e5', '.', '-', '١٢']) {
      expect(parseDecimal(s), JSON.stringify(s)).toBeNaN();
    }
  });
  it('parseDecimal equals Number(s) bit for bit on its fast path (≤ 15 digits) and beyond', () => {
    const digit = fc.constantFrom(...'0123456789');
    const decimal = fc
      .tuple(fc.constantFrom('', '-', '+'), fc.string({ unit: digit, minLength: 0, maxLength: 12 }), fc.boolean(), fc.string({ unit: digit, maxLength: 12 }))
      .map(([sign, int, dot, frac]) => sign + int + (dot ? '.' + frac : ''))
      .filter((s) => /[0-9]/.test(s));
    fc.assert(
      fc.property(decimal, (s) => {
        expect(Object.is(parseDecimal(s), Number(s)), s).toBe(true);
      }),
      { numRuns: 1000 },
    );
    for (const s of ['0.1', '0.3', '45.8', '14.77', '999999999999999', '9999999999999999', '0.000000000000001', '123456789.123456']) {
      expect(Object.is(parseDecimal(s), Number(s)), s).toBe(true);
    }
  });
  it('parseOptionalDecimal: NA and empty are null', () => {
    expect(parseOptionalDecimal('NA')).toBeNull();
    expect(parseOptionalDecimal('')).toBeNull();
    expect(parseOptionalDecimal('x')).toBeNaN();
    expect(isAbsent('na')).toBe(false);
  });
  it('parseUnsigned: digits only, bounded length', () => {
    expect(parseUnsigned('51200')).toBe(51200);
    expect(parseUnsigned('007')).toBe(7);
    expect(parseUnsigned('-1')).toBeNaN();
    expect(parseUnsigned('1.0')).toBeNaN();
    expect(parseUnsigned('')).toBeNaN();
    expect(parseUnsigned('1234567890', 9)).toBeNaN();
  });
  it('parseInt64 (§7 TYPE 1): number when safe, bigint beyond, null outside int64', () => {
    expect(parseInt64('564')).toBe(564);
    expect(parseInt64('-55')).toBe(-55);
    expect(Object.is(parseInt64('-0'), 0)).toBe(true);
    expect(parseInt64('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseInt64('9007199254740992')).toBe(9007199254740992n);
    expect(parseInt64('-9007199254740992')).toBe(-9007199254740992n);
    expect(parseInt64('9223372036854775807')).toBe(9223372036854775807n);
    expect(parseInt64('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(parseInt64('9223372036854775808')).toBeNull();
    expect(parseInt64('0000000000000000000000012')).toBe(12);
    for (const s of ['', '-', '1.5', '1e3', '+1', ' 1', 'abc', '1'.repeat(41)]) expect(parseInt64(s), s).toBeNull();
  });
  it('parseBitmask: unsigned up to 64 bits', () => {
    expect(parseBitmask('0')).toBe(0);
    expect(parseBitmask('18446744073709551615')).toBe(18446744073709551615n);
    expect(parseBitmask('18446744073709551616')).toBeNull();
    expect(parseBitmask('-1')).toBeNull();
  });
  it('canonicalInteger and formatNumber', () => {
    expect(canonicalInteger(5n)).toBe(5);
    expect(canonicalInteger(2n ** 60n)).toBe(2n ** 60n);
    expect(formatNumber(-0, 'x')).toBe('0');
    expect(formatNumber(0.1, 'x')).toBe('0.1');
    expect(() => formatNumber(Number.NaN, 'x')).toThrow(RangeError);
  });
  it('preview escapes non-printable bytes and caps the length', () => {
    expect(preview(Uint8Array.of(0x23, 0x0d, 0x0a, 0xff))).toBe('#\\x0d\\x0a\\xff');
    expect(preview(new Uint8Array(100).fill(0x41), 4)).toBe('AAAA… (100 bytes)');
  });
});
