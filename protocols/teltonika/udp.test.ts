import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_ERROR_CODES } from '../common/errors.ts';
import { fromHex, toHex } from '../common/hex.ts';
import { encodeUdpDatagram } from './encoder.ts';
import { imeiArb, mutate, mutationArb, packetCaseArb } from './testing/arbitraries.ts';
import { RECEIVED_AT, udpVectorTests } from './testing/expand.ts';
import { expectedRecord, specToInput } from './testing/spec.ts';
import { decodeUdpDatagram, udpAck } from './udp.ts';

// teltonika.md §12 E8: UDP Codec 8 (wiki example), 63 bytes.
const E8 = '003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000000000000000000000000000000103021503010101425DBC000001';
// teltonika.md §12 E8, "the same page's 8E datagram".
const E8_8E =
  '005FCAFE0107000F3335323039333038363430333635358E010000016B4F831C680100000000000000000000000000000000010005000100010100010011009D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A000001';

const zeroFix = { latitude: 0, longitude: 0, altitude: 0, course: 0, satellites: 0, speed: 0 };

describe('UDP vectors', () => {
  udpVectorTests({
    source: 'teltonika.md §12 E8 (wiki UDP Codec 8 example)',
    hex: E8,
    codec: 0x08,
    imei: '352093086403655',
    packetId: 0xcafe,
    avlPacketId: 0x05,
    reply: '0005CAFE010501',
    records: [
      {
        iso: '2019-06-13T06:23:26.000Z',
        deviceTime: 1560407006000,
        priority: 1,
        ...zeroFix,
        eventId: 1,
        io: [
          [21, 3, 1],
          [1, 1, 1],
          [66, 23996, 2], // 0x5DBC
        ],
      },
    ],
  });

  udpVectorTests({
    source: 'teltonika.md §12 E8 (wiki UDP Codec 8E example; values read from the hex, same layout as E4)',
    hex: E8_8E,
    codec: 0x8e,
    imei: '352093086403655',
    packetId: 0xcafe,
    avlPacketId: 0x07,
    reply: '0005CAFE010701',
    records: [
      {
        iso: '2019-06-13T06:25:21.000Z',
        deviceTime: 0x16b4f831c68,
        priority: 1,
        ...zeroFix,
        eventId: 1,
        io: [
          [1, 1, 1],
          [17, 157, 2], // 0x009D (E4 has 0x001D here)
          [16, 22949000, 4],
          [11, 893700218n, 8],
          [14, 500686954n, 8],
        ],
      },
    ],
  });
});

describe('UDP datagrams', () => {
  it('acks with 0005 + echoed packet id + 01 + AVL packet id + count (§8)', () => {
    expect(toHex(udpAck(0xcafe, 0x05, 1))).toBe('0005CAFE010501');
    expect(toHex(udpAck(0x0001, 0xff, 255))).toBe('00050001 01FF FF'.replace(/ /g, ''));
  });

  it('drops bad datagrams silently (§11): each error has its code and no reply', () => {
    const good = fromHex(E8);
    const patch = (at: number, v: number) => {
      const b = good.slice();
      b[at] = v;
      return b;
    };
    const cases: [string, Uint8Array, string][] = [
      ['too short for a header', good.subarray(0, 5), 'FM_ERR_TRUNCATED'],
      ['length field too large', patch(1, 0x3e), 'FM_ERR_TRUNCATED'],
      ['length field too small', patch(1, 0x3c), 'FM_ERR_LENGTH_MISMATCH'],
      ['IMEI length 0', patch(7, 0x00), 'FM_ERR_BAD_IMEI'],
      ['IMEI length beyond the datagram', patch(7, 0xf0), 'FM_ERR_TRUNCATED'],
      ['non-digit in the IMEI', patch(10, 0x41), 'FM_ERR_BAD_IMEI'],
      ['unknown codec', patch(23, 0x07), 'FM_ERR_UNKNOWN_CODEC'],
      ['Codec 12 over UDP (§9, UNVERIFIED)', patch(23, 0x0c), 'FM_ERR_UNSUPPORTED'],
      ['N1 ≠ N2', patch(24, 0x02), 'FM_ERR_COUNT_MISMATCH'],
      ['a record runs past N2', patch(51, 0x09), 'FM_ERR_TRUNCATED'], // 1-byte IO count 2 → 9
    ];
    for (const [what, bytes, code] of cases) {
      const r = decodeUdpDatagram(bytes, RECEIVED_AT);
      expect(r.ok ? 'ok' : r.error.code, what).toBe(code);
      expect(r.reply, what).toBeNull();
    }
  });

  it('keeps a record whose IO total N is wrong, with a warning (§4.5)', () => {
    const b = fromHex(E8);
    b[50] = 0x09; // N: 3 → 9
    const r = decodeUdpDatagram(b, RECEIVED_AT);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.records[0].io.length).toBe(3);
    expect(r.warnings).toHaveLength(1);
    expect(toHex(r.reply)).toBe('0005CAFE010501');
  });

  it('property: random packets of every codec → encodeUdpDatagram → decode gives them back', () => {
    fc.assert(
      fc.property(
        packetCaseArb(4),
        imeiArb,
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xff }),
        ({ codec, records }, imei, packetId, avlPacketId) => {
          const bytes = encodeUdpDatagram({ packetId, avlPacketId, imei, codec, records: records.map(specToInput) });
          expect(decodeUdpDatagram(bytes, RECEIVED_AT)).toStrictEqual({
            ok: true,
            imei,
            packetId,
            avlPacketId,
            records: records.map((s) => expectedRecord(s, codec, imei, RECEIVED_AT)),
            reply: udpAck(packetId, avlPacketId, records.length),
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: random bytes and mutated datagrams never throw and give typed results', () => {
    const datagram = fc
      .tuple(packetCaseArb(2), imeiArb)
      .map(([p, imei]) => encodeUdpDatagram({ packetId: 1, avlPacketId: 2, imei, codec: p.codec, records: p.records.map(specToInput) }));
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.tuple(datagram, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([d, m, fixLength]) => {
        const b = mutate(d, m);
        // Half the time restore the length field, so the damage reaches the record parsers.
        if (fixLength && b.length >= 2) new DataView(b.buffer).setUint16(0, Math.min(b.length - 2, 0xffff));
        return b;
      }),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        const r = decodeUdpDatagram(bytes, RECEIVED_AT);
        if (r.ok) {
          expect(r.reply.length).toBe(7);
          expect(r.reply[6]).toBe(r.records.length);
        } else {
          expect(PROTOCOL_ERROR_CODES).toContain(r.error.code);
          expect(r.reply).toBeNull();
        }
      }),
      { numRuns: 500 },
    );
  });
});
