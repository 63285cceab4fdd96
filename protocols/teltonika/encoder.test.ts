import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../common/hex.ts';
import { decodeTcpPacket } from './decoder.ts';
import { encodeAvlPacket, encodeCodec12Packet, encodeImei, encodeUdpDatagram } from './encoder.ts';
import type { AvlIoInput } from './encoder.ts';

const ctx = { deviceId: '1', receivedAt: 0 };
const ioOf = (codec: 0x08 | 0x8e | 0x10, io: AvlIoInput[]) => {
  const r = decodeTcpPacket(encodeAvlPacket(codec, [{ deviceTime: 0, io }]), ctx);
  if (!r.ok || r.kind !== 'avl') throw new Error(r.ok ? r.kind : r.error.message);
  return r.records[0].io;
};

describe('encoder', () => {
  it('rebuilds §12 E2 from plain values, picking groups by default size (1, 2, 4, 8 bytes)', () => {
    const packet = encodeAvlPacket(0x08, [
      {
        deviceTime: 1560161086000,
        priority: 1,
        eventId: 1,
        io: [
          { id: 21, value: 3 },
          { id: 1, value: 1 },
          { id: 66, value: 24079 },
          { id: 241, value: 24602, size: 4 }, // fits 2 bytes; the device sent 4
          { id: 78, value: 0n },
        ],
      },
    ]);
    expect(toHex(packet)).toBe(
      '000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF',
    );
  });

  it('writes IO grouped by size, keeping the order inside each group', () => {
    expect(
      ioOf(0x8e, [
        { id: 5, value: 70000 }, // 4 bytes
        { id: 1, value: 1 },
        { id: 7, value: new Uint8Array([1, 2]) }, // NX
        { id: 2, value: 300 },
        { id: 3, value: 2 },
        { id: 6, value: 2n ** 40n },
        { id: 8, value: 2 ** 40 }, // a number too big for 4 bytes goes to the 8-byte group
      ]),
    ).toStrictEqual([
      { id: 1, value: 1 },
      { id: 3, value: 2 },
      { id: 2, value: 300 },
      { id: 5, value: 70000 },
      { id: 6, value: 2n ** 40n },
      { id: 8, value: 2n ** 40n },
      { id: 7, value: new Uint8Array([1, 2]) },
    ]);
  });

  it('accepts fixed-width byte arrays in the fixed groups', () => {
    expect(ioOf(0x10, [{ id: 78, value: fromHex('0102030405060708'), size: 8 }, { id: 9, value: fromHex('ABCD'), size: 2 }])).toStrictEqual([
      { id: 9, value: 0xabcd },
      { id: 78, value: 0x0102030405060708n },
    ]);
  });

  it('rejects input that cannot be encoded (RangeError, a programmer error)', () => {
    const bad: [string, () => unknown][] = [
      ['IO id > 255 in Codec 8', () => encodeAvlPacket(0x08, [{ deviceTime: 0, io: [{ id: 256, value: 1 }] }])],
      ['NX in Codec 8', () => encodeAvlPacket(0x08, [{ deviceTime: 0, io: [{ id: 1, value: new Uint8Array(3) }] }])],
      ['NX in Codec 16', () => encodeAvlPacket(0x10, [{ deviceTime: 0, io: [{ id: 1, value: new Uint8Array(3) }] }])],
      ['value too wide for its size', () => encodeAvlPacket(0x8e, [{ deviceTime: 0, io: [{ id: 1, value: 256, size: 1 }] }])],
      ['negative value', () => encodeAvlPacket(0x8e, [{ deviceTime: 0, io: [{ id: 1, value: -1 }] }])],
      ['byte array of the wrong width', () => encodeAvlPacket(0x8e, [{ deviceTime: 0, io: [{ id: 1, value: new Uint8Array(3), size: 4 }] }])],
      ['no records', () => encodeAvlPacket(0x08, [])],
      ['256 records', () => encodeAvlPacket(0x08, Array.from({ length: 256 }, () => ({ deviceTime: 0 })))],
      ['fractional time', () => encodeAvlPacket(0x08, [{ deviceTime: 0.5 }])],
      ['latitude out of i32', () => encodeAvlPacket(0x08, [{ deviceTime: 0, latitude: 215 }])],
      ['altitude out of i16', () => encodeAvlPacket(0x08, [{ deviceTime: 0, altitude: 40000 }])],
      ['event id > 255 in Codec 8', () => encodeAvlPacket(0x08, [{ deviceTime: 0, eventId: 300 }])],
      ['unknown codec', () => encodeAvlPacket(0x0c as 0x08, [{ deviceTime: 0 }])],
      ['non-digit IMEI', () => encodeImei('35630704244101A')],
      ['21-digit IMEI', () => encodeImei('1'.repeat(21))],
      ['UDP packet id > 0xFFFF', () => encodeUdpDatagram({ packetId: 0x10000, avlPacketId: 0, imei: '1', codec: 0x08, records: [{ deviceTime: 0 }] })],
      ['Codec 12 with no entries', () => encodeCodec12Packet(0x05, [])],
    ];
    for (const [what, f] of bad) expect(f, what).toThrow(RangeError);
  });

  it('writes ioTotal when asked (to build packets with a wrong N)', () => {
    const packet = encodeAvlPacket(0x08, [{ deviceTime: 0, io: [{ id: 1, value: 1 }], ioTotal: 7 }]);
    expect(packet[8 + 2 + 24 + 1]).toBe(7);
  });

  it('defaults Codec 16 generation type to 7 (Periodical, §4.4) and event id to 0 (periodic)', () => {
    const packet = encodeAvlPacket(0x10, [{ deviceTime: 0 }]);
    expect(toHex(packet, 10 + 24, 10 + 24 + 4)).toBe('00000700'); // event id 0000, generation 07, N 00
  });

  it('encodes the §12 E1 handshake', () => {
    expect(toHex(encodeImei('356307042441013'))).toBe('000F333536333037303432343431303133');
  });
});
