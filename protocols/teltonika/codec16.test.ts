import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16ibm } from '../common/crc.ts';
import { fromHex } from '../common/hex.ts';
import { decodeTcpPacket } from './decoder.ts';
import { encodeAvlPacket } from './encoder.ts';
import { recordSpecArb } from './testing/arbitraries.ts';
import { IMEI, RECEIVED_AT, tcpAvlVectorTests } from './testing/expand.ts';
import { expectedRecord, specToInput, withFixedCrc } from './testing/spec.ts';

const ctx = { deviceId: IMEI, receivedAt: RECEIVED_AT };

describe('Codec 16 vectors', () => {
  // teltonika.md §12 E6: Codec 16, 2 records (wiki example), 107 bytes.
  const record = (iso: string, deviceTime: number, io11: number) => ({
    iso,
    deviceTime,
    priority: 0,
    latitude: 0,
    longitude: 0,
    altitude: 0,
    course: 0,
    satellites: 0,
    speed: 0,
    eventId: 11, // 0x000B
    generationType: 5, // On Change (§4.4)
    io: [
      [1, 0, 1],
      [3, 0, 1],
      [11, io11, 2],
      [66, 22074, 2], // 0x563A
    ] as const,
  });
  tcpAvlVectorTests({
    source: 'teltonika.md §12 E6 (wiki Codec 16 example)',
    hex: '000000000000005F10020000016BDBC7833000000000000000000000000000000000000B05040200010000030002000B00270042563A00000000016BDBC7871800000000000000000000000000000000000B05040200010000030002000B00260042563A00000200005FB3',
    codec: 0x10,
    size: 107,
    dataLength: 0x5f,
    crc: 0x5fb3,
    reply: '00000002',
    records: [record('2019-07-10T12:06:54.000Z', 1562760414000, 39), record('2019-07-10T12:06:55.000Z', 1562760415000, 38)],
  });
});

// teltonika.md §12 E9: an older wiki revision's Codec 16 frame with a wrong CRC (0x09A5, computed 0xA6DE).
const E9 =
  '000000000000009D10020000013feb55ff74000f0ea850209a690000AE00B90B00000000070A050001000002000003000004000120000200180000004601290200C700000000004C0000000001003E00000000000000000000015B198C7498000F0DBC502095872F00AE00B90B00000000070A050001000002000003000004000120000200180000004601290200C700000000004C0000000001003E000000000000000002000009A5';

describe('Codec 16 records', () => {
  it('E9 (§12): the bad CRC is rejected with no ack', () => {
    const r = decodeTcpPacket(fromHex(E9), ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('FM_ERR_CRC_MISMATCH');
      expect(r.reply).toBeNull();
    }
  });

  it('E9 (§12) parses structurally once its CRC is recomputed', () => {
    const fixed = withFixedCrc(fromHex(E9), crc16ibm);
    expect(new DataView(fixed.buffer).getUint32(fixed.length - 4)).toBe(0xa6de);
    const r = decodeTcpPacket(fixed, ctx);
    if (!r.ok || r.kind !== 'avl') throw new Error(`must decode: ${JSON.stringify(r)}`);
    // Both records share the IO layout: event 0, generation 7 (Periodical), N = 10:
    // 1-byte {1,2,3,4,288: 0}, 2-byte {24: 0, 70: 297}, 4-byte {199: 0, 76: 0}, 8-byte {62: 0}.
    const io = [
      { id: 1, value: 0 }, { id: 2, value: 0 }, { id: 3, value: 0 }, { id: 4, value: 0 }, { id: 288, value: 0 },
      { id: 24, value: 0 }, { id: 70, value: 297 },
      { id: 199, value: 0 }, { id: 76, value: 0 },
      { id: 62, value: 0n },
    ];
    const common = { protocol: 'teltonika' as const, deviceId: IMEI, receivedAt: RECEIVED_AT, hdop: null, priority: 0, eventId: null, io, archive: false, extras: { codec: 16, generationType: 7 } };
    expect(r.records).toStrictEqual([
      // R1 as §12 E9 states it: 2013-07-17T06:34:09.140Z, lon 25.2618832, lat 54.6990336, alt 174,
      // angle 185, 11 satellites, generation type 7, N = 10.
      { ...common, deviceTime: Date.parse('2013-07-17T06:34:09.140Z'), latitude: 54.6990336, longitude: 25.2618832, altitude: 174, speed: 0, course: 185, satellites: 11, valid: true },
      // R2 is not described in the doc; read by hand from the hex: 0000015B198C7498 00 0F0DBC50 2095872F 00AE 00B9 0B 0000.
      { ...common, deviceTime: 0x15b198c7498, latitude: 0x2095872f / 1e7, longitude: 0x0f0dbc50 / 1e7, altitude: 174, speed: 0, course: 185, satellites: 11, valid: true },
    ]);
    expect(new Date(r.records[1].deviceTime!).toISOString()).toBe('2017-03-29T10:11:27.000Z');
  });

  it('keeps every generation type byte, including values outside 0..7', () => {
    for (const g of [0, 3, 7, 200, 255]) {
      const spec = { deviceTime: 5, priority: 0, latitude: 0, longitude: 0, altitude: 0, course: 0, satellites: 0, speed: 0, eventId: 0, generationType: g, io: [] };
      const r = decodeTcpPacket(encodeAvlPacket(0x10, [specToInput(spec)]), ctx);
      if (!r.ok || r.kind !== 'avl') throw new Error('must decode');
      expect(r.records[0].extras).toStrictEqual({ codec: 16, generationType: g });
    }
  });

  it('property: random Codec 16 records → encode → decode gives exactly what was encoded', () => {
    fc.assert(
      fc.property(fc.array(recordSpecArb(0x10), { minLength: 1, maxLength: 6 }), (specs) => {
        const r = decodeTcpPacket(encodeAvlPacket(0x10, specs.map(specToInput)), ctx);
        expect(r).toStrictEqual({
          ok: true,
          kind: 'avl',
          codec: 16,
          records: specs.map((s) => expectedRecord(s, 0x10, IMEI, RECEIVED_AT)),
          reply: Uint8Array.of(0, 0, 0, specs.length),
        });
      }),
      { numRuns: 300 },
    );
  });
});
