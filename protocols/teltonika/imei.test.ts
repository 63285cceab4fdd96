import { describe, expect, it } from 'vitest';
import { ProtocolFault } from '../common/errors.ts';
import { fromHex } from '../common/hex.ts';
import { checkImeiBytes, imeiReply, isImeiLength } from './imei.ts';

describe('IMEI handshake helpers (teltonika.md §2)', () => {
  it('reads the §12 E1 IMEI', () => {
    expect(checkImeiBytes(fromHex('000F333536333037303432343431303133'), 2, 15)).toBe('356307042441013');
  });

  it('accepts lengths 1..20 (lenient) or exactly 15 (strict)', () => {
    expect([0, 1, 15, 20, 21].map((n) => isImeiLength(n))).toEqual([false, true, true, true, false]);
    expect([14, 15, 16].map((n) => isImeiLength(n, true))).toEqual([false, true, false]);
  });

  it('rejects non-digits and bad lengths with FM_ERR_BAD_IMEI', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return e instanceof ProtocolFault ? e.code : 'other';
      }
    };
    expect(code(() => checkImeiBytes(new TextEncoder().encode('12a4'), 0, 4))).toBe('FM_ERR_BAD_IMEI');
    expect(code(() => checkImeiBytes(new TextEncoder().encode('12/4'), 0, 4))).toBe('FM_ERR_BAD_IMEI');
    expect(code(() => checkImeiBytes(new Uint8Array(0), 0, 0))).toBe('FM_ERR_BAD_IMEI');
    expect(code(() => checkImeiBytes(new TextEncoder().encode('1'.repeat(16)), 0, 16, true))).toBe('FM_ERR_BAD_IMEI');
  });

  it('replies one binary byte, 01 or 00, never ASCII "1"; each call is a fresh array', () => {
    expect(imeiReply(true)).toStrictEqual(Uint8Array.of(1));
    expect(imeiReply(false)).toStrictEqual(Uint8Array.of(0));
    const a = imeiReply(true);
    a[0] = 9;
    expect(imeiReply(true)[0]).toBe(1);
  });
});
