import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TsvWriter } from './tsv-writer.ts';

const written = (f: (w: TsvWriter) => void): string => {
  const w = new TsvWriter(4); // tiny, so every test also exercises growth
  f(w);
  return w.toString();
};

describe('TsvWriter', () => {
  it('writes numbers that read back as exactly the same double', () => {
    for (const v of [0, -0, 7, -7, 10, 123456789, 2 ** 53 - 1, -(2 ** 53 - 1), 54.6872633, -25.2588417, 0.1, -0.05, 1.5, 100.25, 0.0000001, 12.3456789, 1e21, 1.2345e-12, 2 ** 60, Number.MAX_VALUE, Number.MIN_VALUE]) {
      const text = written((w) => w.number(v));
      expect(Number(text), `${v} → ${text}`).toBe(v === 0 ? 0 : v);
    }
    expect(written((w) => w.number(54.6872633))).toBe('54.6872633');
    expect(written((w) => w.number(-0.05))).toBe('-0.05');
    expect(written((w) => w.number(1.5))).toBe('1.5');
  });

  it('every double survives the round trip (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(Number(written((w) => w.number(v)))).toBe(Object.is(v, -0) ? 0 : v);
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -1_800_000_000, max: 1_800_000_000 }), (n) => {
        const v = n / 1e7; // a Teltonika coordinate
        expect(Number(written((w) => w.number(v)))).toBe(v);
      }),
      { numRuns: 20_000 },
    );
  });

  it('escapes text for TabSeparated, keeps UTF-8, and JSON-quotes strings', () => {
    expect(written((w) => w.text('a\tb\nc\rd\\e'))).toBe('a\\tb\\nc\\rd\\\\e');
    expect(written((w) => w.text('Иван'))).toBe('Иван');
    expect(written((w) => w.jsonString('fuel'))).toBe('"fuel"');
    expect(written((w) => w.jsonString('say "hi"\n'))).toBe('"say \\\\"hi\\\\"\\\\n"');
    expect(written((w) => w.nullableNumber(null))).toBe('\\N');
    expect(written((w) => w.nullableNumber(NaN))).toBe('\\N');
    expect(written((w) => w.hex(Uint8Array.from([0, 0xab, 0xff])))).toBe('00abff');
  });
});
