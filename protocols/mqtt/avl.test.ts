import { describe, expect, it } from 'vitest';
import { fromHex } from '../common/hex.ts';
import { encodeAvlData, encodeAvlPacket } from '../teltonika/index.ts';
import { decodePayload } from './decode.ts';

const ctx = { deviceId: '356307042441013', receivedAt: 7 };
// teltonika.md §12 E3 (traccar test frame): the TCP packet, and its data field alone.
const E3 =
  '000000000000004508010000015eb70a86d00024089d4d21dee3860137005f12005f000e06ef01f00150011503c800450108b5000bb6000642382718005fcd057ace19d3430f57440000000001000002bf';
const E3_DATA = E3.slice(16, E3.length - 8);

describe('raw Teltonika AVL payload', () => {
  it('the data field alone (codec id … N2) decodes like the TCP packet that carries it', () => {
    const raw = decodePayload('avl', fromHex(E3_DATA), ctx);
    const tcp = decodePayload('avl', fromHex(E3), ctx);
    expect(raw.ok && tcp.ok).toBe(true);
    if (!raw.ok || !tcp.ok) return;
    expect(raw.records).toEqual(tcp.records);
    expect(raw.records[0]).toMatchObject({ protocol: 'teltonika', deviceTime: 1506309474000, latitude: 56.8255366, longitude: 60.4544333, altitude: 311, speed: 95, satellites: 18 });
  });

  it('Codec 8E with several records', () => {
    const data = encodeAvlData(0x8e, [
      { deviceTime: 1767225600000, latitude: 55.5, longitude: 37.25, satellites: 7, io: [{ id: 239, value: 1 }, { id: 16, value: 123456, size: 4 }] },
      { deviceTime: 1767225660000, latitude: 55.6, longitude: 37.35, satellites: 8 },
    ]);
    const r = decodePayload('avl', data, ctx);
    expect(r.ok && r.records.map((x) => [x.deviceTime, x.latitude, x.extras?.codec])).toEqual([
      [1767225600000, 55.5, 0x8e],
      [1767225660000, 55.6, 0x8e],
    ]);
  });

  it.each([
    ['two bytes', Uint8Array.of(0x08, 0x01), 'FM_ERR_TRUNCATED'],
    ['N1 ≠ N2', (() => { const d = encodeAvlData(0x08, [{ deviceTime: 1 }]); d[d.length - 1] = 2; return d; })(), 'FM_ERR_COUNT_MISMATCH'],
    ['an unknown codec id', Uint8Array.of(0x33, 0x01, 0x00, 0x01), 'FM_ERR_UNKNOWN_CODEC'],
    ['a TCP packet with a bad CRC', (() => { const p = encodeAvlPacket(0x08, [{ deviceTime: 1 }]); p[p.length - 1] ^= 0xff; return p; })(), 'FM_ERR_CRC_MISMATCH'],
  ])('rejects %s', (_what, bytes, code) => {
    const r = decodePayload('avl', bytes, ctx);
    expect(!r.ok && r.error.code).toBe(code);
  });
});
