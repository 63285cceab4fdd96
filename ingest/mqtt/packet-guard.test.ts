import { describe, expect, it } from 'vitest';
import { PacketSizeScanner } from './packet-guard.ts';

/** PINGREQ (C0 00), a 5-byte PUBLISH, and a PUBLISH whose remaining length needs two bytes (200). */
const stream = Buffer.concat([
  Buffer.from([0xc0, 0x00]),
  Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69]),
  Buffer.from([0x30, 0xc8, 0x01]),
  Buffer.alloc(200, 0x7a),
]);

describe('MQTT packet size scanner', () => {
  it('follows packets across any split and passes those within the limit', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const s = new PacketSizeScanner(200);
      expect(s.scan(stream.subarray(0, cut))).toBeNull();
      expect(s.scan(stream.subarray(cut))).toBeNull();
    }
    const bytewise = new PacketSizeScanner(200);
    for (const b of stream) expect(bytewise.scan(Uint8Array.of(b))).toBeNull();
  });

  it('cuts at the first packet that announces more than the limit, before its body', () => {
    const s = new PacketSizeScanner(199);
    expect(s.scan(stream.subarray(0, 9))).toBeNull();
    expect(s.scan(stream.subarray(9, 12))).toBe('packet announces 200 bytes, limit is 199');
  });

  it('a remaining length of more than four bytes is malformed (MQTT 3.1.1 §2.2.3)', () => {
    expect(new PacketSizeScanner(1e9).scan(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0xff, 0x01))).toMatch(/malformed remaining length/);
  });
});
