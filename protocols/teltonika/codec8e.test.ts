import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../common/hex.ts';
import { decodeTcpPacket } from './decoder.ts';
import { encodeAvlPacket } from './encoder.ts';
import { recordSpecArb } from './testing/arbitraries.ts';
import { IMEI, RECEIVED_AT, tcpAvlVectorTests } from './testing/expand.ts';
import { expectedRecord, specToInput } from './testing/spec.ts';

const ctx = { deviceId: IMEI, receivedAt: RECEIVED_AT };

// teltonika.md §12 E5: the 69 bytes of BLE beacon data carried by NX element 548 (0x0224).
const E5_BEACON = fromHex(
  '01210001e50110cde39f7e42bb55aa788e4a29ed650055020ab70a8f264c6000ffff6b210001b00110f89b907e42bb55aaa3463b29ed650055020ab708bb2600ae0500096c',
);

describe('Codec 8E vectors', () => {
  // teltonika.md §12 E4: Codec 8 Extended (wiki example), 86 bytes.
  tcpAvlVectorTests({
    source: 'teltonika.md §12 E4 (wiki Codec 8E example)',
    hex: '000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100010100010011001D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994',
    codec: 0x8e,
    size: 86,
    dataLength: 0x4a,
    crc: 0x2994,
    reply: '00000001',
    records: [
      {
        iso: '2019-06-10T11:36:32.000Z',
        deviceTime: 1560166592000,
        priority: 1,
        latitude: 0,
        longitude: 0,
        altitude: 0,
        course: 0,
        satellites: 0,
        speed: 0,
        eventId: 1,
        io: [
          [1, 1, 1],
          [17, 29, 2], // 0x001D
          [16, 22949000, 4], // 0x015E2C88
          [11, 893700218n, 8], // 0x000000003544C87A
          [14, 500686954n, 8], // 0x000000001DD7E06A
        ], // NX count 0
      },
    ],
  });

  // teltonika.md §12 E5: Codec 8E, negative longitude and one NX value (traccar test), 126 bytes.
  tcpAvlVectorTests({
    source: 'teltonika.md §12 E5 (traccar Codec 8E frame with NX)',
    hex: '00000000000000728e010000018b23dd796300fbf7263c24f9e11a0000000000000002240001000000000000000000010224004501210001e50110cde39f7e42bb55aa788e4a29ed650055020ab70a8f264c6000ffff6b210001b00110f89b907e42bb55aaa3463b29ed650055020ab708bb2600ae0500096c01000051d4',
    codec: 0x8e,
    size: 126,
    dataLength: 0x72,
    crc: 0x51d4,
    reply: '00000001',
    records: [
      {
        iso: '2023-10-12T12:29:59.011Z',
        deviceTime: 1697113799011,
        priority: 0,
        longitude: -6.76889, // FBF7263C = -67688900 (§5)
        latitude: 62.0355866, // 24F9E11A
        altitude: 0,
        course: 0,
        satellites: 0,
        speed: 0,
        eventId: 548, // 0x0224
        io: [[548, E5_BEACON, 'X']], // N1 = N2 = N4 = N8 = 0, NX = 1, length 0x0045
      },
    ],
  });
});

describe('Codec 8E records', () => {
  it('E5 carries a 69-byte NX value, copied out of the packet', () => {
    const packet = fromHex(
      '00000000000000728e010000018b23dd796300fbf7263c24f9e11a0000000000000002240001000000000000000000010224004501210001e50110cde39f7e42bb55aa788e4a29ed650055020ab70a8f264c6000ffff6b210001b00110f89b907e42bb55aaa3463b29ed650055020ab708bb2600ae0500096c01000051d4',
    );
    const r = decodeTcpPacket(packet, ctx);
    if (!r.ok || r.kind !== 'avl') throw new Error('E5 must decode');
    const value = r.records[0].io[0].value as Uint8Array;
    expect(value.length).toBe(0x45);
    expect(value.buffer).not.toBe(packet.buffer); // a copy: records never pin the socket buffer
    packet.fill(0);
    expect(value).toStrictEqual(E5_BEACON);
  });

  it('copies NX values out of a Node Buffer too (Buffer#slice would share its memory)', () => {
    const spec = { deviceTime: 1, priority: 0, latitude: 0, longitude: 0, altitude: 0, course: 0, satellites: 0, speed: 0, eventId: 0, io: [[256, Uint8Array.of(1, 2, 3), 'X']] as const };
    const buffer = Buffer.from(encodeAvlPacket(0x8e, [specToInput(spec)]));
    const r = decodeTcpPacket(buffer, ctx);
    if (!r.ok || r.kind !== 'avl') throw new Error('must decode');
    buffer.fill(0);
    expect(r.records[0].io[0].value).toStrictEqual(Uint8Array.of(1, 2, 3));
  });

  it('reads event ids and IO ids above 255, and empty NX values', () => {
    const spec = {
      deviceTime: 1, priority: 2, latitude: 1, longitude: 2, altitude: 3, course: 4, satellites: 5, speed: 6, eventId: 0xffff,
      io: [[0x1234, 7, 1], [0xffff, 0xabcd, 2], [256, new Uint8Array(0), 'X'], [281, new TextEncoder().encode('P0101,P0300'), 'X']] as const,
    };
    const r = decodeTcpPacket(encodeAvlPacket(0x8e, [specToInput(spec)]), ctx);
    if (!r.ok || r.kind !== 'avl') throw new Error('must decode');
    expect(r.records[0].eventId).toBe(0xffff);
    expect(r.records[0].io).toStrictEqual([
      { id: 0x1234, value: 7 },
      { id: 0xffff, value: 0xabcd },
      { id: 256, value: new Uint8Array(0) },
      { id: 281, value: new TextEncoder().encode('P0101,P0300') },
    ]);
  });

  it('property: random Codec 8E records (NX included) → encode → decode gives exactly what was encoded', () => {
    fc.assert(
      fc.property(fc.array(recordSpecArb(0x8e), { minLength: 1, maxLength: 6 }), (specs) => {
        const r = decodeTcpPacket(encodeAvlPacket(0x8e, specs.map(specToInput)), ctx);
        expect(r).toStrictEqual({
          ok: true,
          kind: 'avl',
          codec: 0x8e,
          records: specs.map((s) => expectedRecord(s, 0x8e, IMEI, RECEIVED_AT)),
          reply: Uint8Array.of(0, 0, 0, specs.length),
        });
      }),
      { numRuns: 300 },
    );
  });
});
