import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTcpPacket } from './decoder.ts';
import { encodeAvlPacket } from './encoder.ts';
import { recordSpecArb } from './testing/arbitraries.ts';
import { IMEI, RECEIVED_AT, tcpAvlVectorTests } from './testing/expand.ts';
import { expectedRecord, specToInput } from './testing/spec.ts';

const ctx = { deviceId: IMEI, receivedAt: RECEIVED_AT };

describe('Codec 8 vectors', () => {
  // teltonika.md §12 E2: Codec 8, 1 record (Teltonika wiki example 1), 66 bytes.
  tcpAvlVectorTests({
    source: 'teltonika.md §12 E2 (wiki Codec 8 example 1)',
    hex: '000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF',
    codec: 0x08,
    size: 66,
    dataLength: 54,
    crc: 0xc7cf,
    reply: '00000001',
    records: [
      {
        iso: '2019-06-10T10:04:46.000Z',
        deviceTime: 1560161086000, // 0x0000016B40D8EA30 (§5)
        priority: 1,
        latitude: 0,
        longitude: 0,
        altitude: 0,
        course: 0,
        satellites: 0, // → valid: false (§4.1)
        speed: 0,
        eventId: 1,
        io: [
          [21, 3, 1],
          [1, 1, 1],
          [66, 24079, 2], // 0x5E0F mV
          [241, 24602, 4], // 0x0000601A
          [78, 0n, 8],
        ],
      },
    ],
  });

  // teltonika.md §12 E3: Codec 8 with a real fix (traccar test frame), 81 bytes.
  tcpAvlVectorTests({
    source: 'teltonika.md §12 E3 (traccar Codec 8 frame with a fix)',
    hex: '000000000000004508010000015eb70a86d00024089d4d21dee3860137005f12005f000e06ef01f00150011503c800450108b5000bb6000642382718005fcd057ace19d3430f57440000000001000002bf',
    codec: 0x08,
    size: 81,
    dataLength: 0x45,
    crc: 0x02bf,
    reply: '00000001',
    records: [
      {
        iso: '2017-09-25T03:17:54.000Z',
        deviceTime: 1506309474000,
        priority: 0,
        longitude: 60.4544333, // 0x24089D4D, first on the wire
        latitude: 56.8255366, // 0x21DEE386
        altitude: 311,
        course: 95,
        satellites: 18, // → valid: true
        speed: 95,
        eventId: 0, // periodic → null
        io: [
          [239, 1, 1],
          [240, 1, 1],
          [80, 1, 1],
          [21, 3, 1],
          [200, 0, 1],
          [69, 1, 1],
          [181, 11, 2],
          [182, 6, 2],
          [66, 14375, 2],
          [24, 95, 2],
          [205, 1402, 2],
          [206, 6611, 2],
          [67, 3927, 2],
          [68, 0, 2],
        ],
      },
    ],
  });
});

describe('Codec 8 records', () => {
  it('maps E3 as documented: valid fix, event 0 → null, extras.codec 8', () => {
    const r = decodeTcpPacket(
      Buffer.from('000000000000004508010000015eb70a86d00024089d4d21dee3860137005f12005f000e06ef01f00150011503c800450108b5000bb6000642382718005fcd057ace19d3430f57440000000001000002bf', 'hex'),
      ctx,
    );
    if (!r.ok || r.kind !== 'avl') throw new Error('E3 must decode');
    expect(r.records[0].valid).toBe(true);
    expect(r.records[0].eventId).toBeNull();
    expect(r.records[0].extras).toStrictEqual({ codec: 8 });
  });

  it('reads 4-byte values unsigned and 8-byte values as exact bigint', () => {
    const spec = {
      deviceTime: 0, priority: 0, latitude: -90, longitude: -180, altitude: -1, course: 359, satellites: 1, speed: 0, eventId: 255,
      io: [[1, 0xff, 1], [2, 0xffff, 2], [3, 0xffffffff, 4], [4, 0xffffffffffffffffn, 8]] as const,
    };
    const r = decodeTcpPacket(encodeAvlPacket(0x08, [specToInput(spec)]), ctx);
    if (!r.ok || r.kind !== 'avl') throw new Error('must decode');
    expect(r.records[0].io).toStrictEqual([
      { id: 1, value: 255 },
      { id: 2, value: 65535 },
      { id: 3, value: 4294967295 },
      { id: 4, value: 18446744073709551615n },
    ]);
    expect(r.records[0].altitude).toBe(-1);
    expect(r.records[0].latitude).toBe(-90);
    expect(r.records[0].longitude).toBe(-180);
  });

  it('property: random Codec 8 records → encode → decode gives exactly what was encoded', () => {
    fc.assert(
      fc.property(fc.array(recordSpecArb(0x08), { minLength: 1, maxLength: 6 }), (specs) => {
        const r = decodeTcpPacket(encodeAvlPacket(0x08, specs.map(specToInput)), ctx);
        expect(r).toStrictEqual({
          ok: true,
          kind: 'avl',
          codec: 8,
          records: specs.map((s) => expectedRecord(s, 0x08, IMEI, RECEIVED_AT)),
          reply: Uint8Array.of(0, 0, 0, specs.length),
        });
      }),
      { numRuns: 300 },
    );
  });
});
