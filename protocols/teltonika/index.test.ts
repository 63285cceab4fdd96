import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../common/hex.ts';
import * as teltonika from './index.ts';

describe('public API (index.ts)', () => {
  it('exports the functions ingest and the simulator are written against', () => {
    for (const name of [
      'createTcpFramer', 'imeiReply', 'decodeTcpPacket', 'decodeUdpDatagram', 'encodeCommand',
      'encodeImei', 'encodeAvlPacket', 'encodeUdpDatagram', 'encodeCommandResponse', 'decodeCommandPacket', 'tcpAck', 'udpAck',
    ] as const) {
      expect(typeof teltonika[name], name).toBe('function');
    }
  });

  it('runs a whole TCP session: handshake, data, ack (teltonika.md §2 with §12 E1 and E2)', () => {
    const framer = teltonika.createTcpFramer({ maxFrameSize: 2048 });
    const events = framer.push(
      fromHex('000F333536333037303432343431303133' + '000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF' + 'FF'),
    );
    const [imei, packet, ping] = events;
    expect(imei).toStrictEqual({ ok: true, frame: { kind: 'imei', imei: '356307042441013' } });
    expect(ping).toStrictEqual({ ok: true, frame: { kind: 'ping' } });
    if (!packet.ok || packet.frame.kind !== 'packet') throw new Error('expected a packet');
    const r = teltonika.decodeTcpPacket(packet.frame.bytes, { deviceId: '356307042441013', receivedAt: 42 });
    if (!r.ok || r.kind !== 'avl') throw new Error('expected AVL');
    expect(toHex(r.reply)).toBe('00000001');
    expect(r.records[0].deviceId).toBe('356307042441013');
    expect(r.records[0].receivedAt).toBe(42);
  });
});
