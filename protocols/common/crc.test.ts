import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16arc } from './crc.ts';
import { fromHex } from './hex.ts';

/** The bitwise reference from teltonika.md §6 / wialon-ips.md §11. */
function reference(b: Uint8Array): number {
  let crc = 0;
  for (const x of b) {
    crc ^= x;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

describe('crc16arc (CRC-16/ARC = CRC-16/IBM, slicing-by-8)', () => {
  it('matches the catalogue check value for "123456789"', () => {
    expect(crc16arc(new TextEncoder().encode('123456789'))).toBe(0xbb3d);
  });

  it('is 0 for empty input (wialon-ips.md §11)', () => {
    expect(crc16arc(new Uint8Array(0))).toBe(0);
  });

  it('gives the teltonika.md §12 E2 CRC 0xC7CF over bytes 8..8+L', () => {
    const e2 = fromHex('000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF');
    expect(crc16arc(e2, 8, 8 + 0x36)).toBe(0xc7cf);
  });

  it('covers only the requested range', () => {
    const bytes = new TextEncoder().encode('xx123456789yy');
    expect(crc16arc(bytes, 2, 11)).toBe(0xbb3d);
  });

  it('property: equals the bitwise reference for any bytes and any range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (b % (bytes.length - start + 1));
        expect(crc16arc(bytes, start, end)).toBe(reference(bytes.subarray(start, end)));
      }),
      { numRuns: 500 },
    );
  });

  it('parses hex with separators', () => {
    expect(Array.from(fromHex('0x00 0F:ff-01'))).toEqual([0x00, 0x0f, 0xff, 0x01]);
    expect(() => fromHex('abc')).toThrow();
  });
});
