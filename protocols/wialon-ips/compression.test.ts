import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { fromHex, toHex } from '../common/hex.ts';
import { encodeCompressed, inflatePayload } from './compression.ts';
import { td, te } from './vectors.test-helper.ts';

describe('compressed container (§4.1)', () => {
  it('§13 W7: our encoder reproduces both spec examples byte for byte (zlib level 1 and 9)', () => {
    expect(toHex(encodeCompressed(te.encode('#L#2.0;imei;NA;A932'), { level: 1 }))).toBe('FF1B00780153F65136D233B0CECC4DCDB4F673B476B4343602002FF404E6');
    expect(toHex(encodeCompressed(te.encode('#L#imei;password'), { level: 9 }))).toBe('FF180078DA53F651CECC4DCDB42E482C2E2ECF2F4A01002D1C05E5');
  });
  it('inflatePayload: zlib, then raw DEFLATE', () => {
    const zlib = fromHex('780153F65136D233B0CECC4DCDB4F673B476B4343602002FF404E6');
    const r = inflatePayload(zlib, 1000);
    expect(r.ok && td.decode(r.bytes)).toBe('#L#2.0;imei;NA;A932');
    const raw = inflatePayload(deflateRawSync(te.encode('#P#')), 1000);
    expect(raw.ok && td.decode(raw.bytes)).toBe('#P#');
  });
  it('fails as a value: garbage → FM_ERR_MALFORMED, over the cap → FM_ERR_FRAME_TOO_LARGE', () => {
    const bad = inflatePayload(Uint8Array.of(1, 2, 3), 1000);
    expect(!bad.ok && [bad.error.code, bad.tooLarge]).toEqual(['FM_ERR_MALFORMED', false]);
    const big = inflatePayload(encodeCompressed(new Uint8Array(5000)).subarray(3), 4999);
    expect(!big.ok && [big.error.code, big.tooLarge]).toEqual(['FM_ERR_FRAME_TOO_LARGE', true]);
    const exact = inflatePayload(encodeCompressed(new Uint8Array(5000)).subarray(3), 5000);
    expect(exact.ok && exact.bytes.length).toBe(5000);
  });
  it('the u16 little-endian length; more than 65535 compressed bytes cannot be wrapped', () => {
    const c = encodeCompressed(new Uint8Array(300).map((_, i) => (i * 97) & 0xff), { level: 0 });
    expect(c[0]).toBe(0xff);
    expect(c[1] | (c[2] << 8)).toBe(c.length - 3);
    const noise = new Uint8Array(70000).map((_, i) => (Math.imul(i, 2654435761) >>> 13) & 0xff);
    expect(() => encodeCompressed(noise, { level: 0 })).toThrow(RangeError);
  });
});
