/** The simulator's patched packets decode, with the protocol's own decoders, to what it meant to send. */
import { describe, expect, it } from 'vitest';
import { decodeTcpPacket, decodeUdpDatagram as decodeTeltonikaUdp } from '../../protocols/teltonika/index.ts';
import { decodePacket, decodeUdpDatagram as decodeWialonUdp } from '../../protocols/wialon-ips/index.ts';
import { prng } from '../../rating/synthetic.ts';
import { VehiclePath } from './motion.ts';
import { RecordSource } from './record-source.ts';
import { buildTeltonikaTcp, buildTeltonikaUdp, TELTONIKA_IO_COUNT } from './teltonika-packets.ts';
import { buildWialon, WIALON_PARAM_COUNT } from './wialon-packets.ts';

const source = new RecordSource(new VehiclePath(prng(7)), Date.UTC(2026, 5, 30, 23, 59, 50), 1000);
const imei = '356307042441013';
const at = Date.UTC(2026, 6, 1);

describe('Teltonika templates', () => {
  for (const codec of [0x08, 0x8e, 0x10] as const) {
    it(`codec 0x${codec.toString(16)}: TCP packet decodes to the source's records, CRC valid`, () => {
      const bytes = buildTeltonikaTcp(codec, 5, source, 100);
      const r = decodeTcpPacket(bytes, { deviceId: imei, receivedAt: at });
      expect(r.ok).toBe(true);
      if (!r.ok || r.kind === 'command-response') return;
      expect(r.records).toHaveLength(5);
      expect(Buffer.from(r.reply!).toString('hex')).toBe('00000005');
      r.records.forEach((rec, i) => {
        const fix = { ...source.fixAt(100 + i) };
        expect(rec.deviceTime).toBe(source.timeOf(100 + i));
        expect(rec.latitude).toBeCloseTo(fix.latitude, 6);
        expect(rec.longitude).toBeCloseTo(fix.longitude, 6);
        expect(rec.speed).toBe(fix.speed);
        expect(rec.course).toBe(fix.course);
        expect(rec.io).toHaveLength(TELTONIKA_IO_COUNT);
        expect(rec.io).toContainEqual({ id: 16, value: fix.odometer });
        expect(rec.io).toContainEqual({ id: 24, value: fix.speed });
      });
    });
  }

  it('UDP datagram carries the IMEI and packet ids', () => {
    const bytes = buildTeltonikaUdp(0x8e, 3, source, 0, Buffer.from(imei), 0xbeef, 0x42);
    const r = decodeTeltonikaUdp(bytes, at);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.imei).toBe(imei);
    expect(r.records.map((x) => x.deviceTime)).toEqual([0, 1, 2].map((s) => source.timeOf(s)));
    expect(Buffer.from(r.reply).toString('hex')).toBe('0005beef014203');
  });
});

describe('Wialon IPS templates', () => {
  const state = { deviceId: imei, version: '2.0' as const };
  const strip = (b: Buffer) => b.subarray(0, b.length - 2); // the TCP framer cuts the \r\n

  it('#D# decodes with a valid CRC, time crossing midnight and month end', () => {
    for (const seq of [0, 9, 10, 11]) {
      const r = decodePacket(strip(buildWialon(1, source, seq, 'tcp')), state, at);
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (!r.ok) continue;
      expect(Buffer.from(r.reply!).toString()).toBe('#AD#1\r\n');
      const rec = r.records[0];
      const fix = { ...source.fixAt(seq) };
      expect(rec.deviceTime).toBe(source.timeOf(seq));
      expect(rec.latitude).toBeCloseTo(fix.latitude, 5);
      expect(rec.longitude).toBeCloseTo(fix.longitude, 5);
      expect(rec.speed).toBe(fix.speed);
      expect(rec.course).toBe(fix.course);
      expect(rec.altitude).toBe(fix.altitude);
      expect(rec.io).toContainEqual({ id: 'odo', value: 1_000_000_000 + fix.odometer });
      expect(rec.io.length).toBeGreaterThanOrEqual(WIALON_PARAM_COUNT);
    }
  });

  it('#B# with 25 bodies is answered #AB#25', () => {
    const r = decodePacket(strip(buildWialon(25, source, 3, 'tcp')), state, at);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Buffer.from(r.reply!).toString()).toBe('#AB#25\r\n');
    expect(r.records.map((x) => x.deviceTime)).toEqual(Array.from({ length: 25 }, (_, i) => source.timeOf(3 + i)));
  });

  it('UDP form carries 2.0;id', () => {
    const r = decodeWialonUdp(buildWialon(4, source, 0, 'udp', Buffer.from(imei)), at);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.deviceId).toBe(imei);
    expect(r.records).toHaveLength(4);
    expect(Buffer.from(r.reply!).toString()).toBe('#AB#4\r\n');
  });
});
