import { describe, expect, it } from 'vitest';
import { crc16arc } from './crc.ts';
import { fromHex } from './hex.ts';

describe('crc16arc (CRC-16/ARC = CRC-16/IBM)', () => {
  it('matches the catalogue check value for "123456789"', () => {
    expect(crc16arc(new TextEncoder().encode('123456789'))).toBe(0xbb3d);
  });

  it('is 0 for empty input (wialon-ips.md §11)', () => {
    expect(crc16arc(new Uint8Array(0))).toBe(0);
  });

  it('covers only the requested range', () => {
    const bytes = new TextEncoder().encode('xx123456789yy');
    expect(crc16arc(bytes, 2, 11)).toBe(0xbb3d);
  });

  it('agrees with the bitwise reference implementation on random input', () => {
    const reference = (b: Uint8Array) => {
      let crc = 0;
      for (const x of b) {
        crc ^= x;
        for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
      }
      return crc;
    };
    for (let n = 0; n < 200; n++) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = (i * 131 + n * 17) & 0xff;
      expect(crc16arc(b)).toBe(reference(b));
    }
  });

  it('parses hex with separators', () => {
    expect(Array.from(fromHex('0x00 0F:ff-01'))).toEqual([0x00, 0x0f, 0xff, 0x01]);
    expect(() => fromHex('abc')).toThrow();
  });
});
