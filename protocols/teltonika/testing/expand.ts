/**
 * One helper per vector kind turns a documented frame into decode, encode, round-trip,
 * split-at-every-offset and every-truncation tests (the mqtt-packet pattern, STYLE.md).
 */
import { describe, expect, it } from 'vitest';
import { PROTOCOL_ERROR_CODES } from '../../common/errors.ts';
import { fromHex, toHex } from '../../common/hex.ts';
import type { TelemetryRecord } from '../../record.ts';
import type { AvlCodec } from '../avl.ts';
import { decodeCommandPacket, decodeTcpPacket } from '../decoder.ts';
import { encodeAvlPacket, encodeCodec12Packet, encodeImei, encodeUdpDatagram } from '../encoder.ts';
import type { IoSize } from '../encoder.ts';
import { createTcpFramer } from '../framer.ts';
import type { TeltonikaTcpFrame } from '../framer.ts';
import { decodeUdpDatagram } from '../udp.ts';
import { concat, expectedRecord, recordToInput, specToInput } from './spec.ts';
import type { RecordSpec } from './spec.ts';

export const IMEI = '356307042441013';
export const RECEIVED_AT = 1_700_000_000_123;
const ctx = { deviceId: IMEI, receivedAt: RECEIVED_AT };

export interface VectorRecord extends RecordSpec {
  /** The time as the doc states it, checked against `deviceTime`. */
  readonly iso: string;
}

export interface TcpAvlVector {
  /** Where it comes from, e.g. "teltonika.md §12 E2 (wiki example 1)". */
  readonly source: string;
  readonly hex: string;
  readonly codec: AvlCodec;
  /** Total bytes, data field length L and CRC as the doc states them. */
  readonly size: number;
  readonly dataLength: number;
  readonly crc: number;
  readonly reply: string;
  readonly records: readonly VectorRecord[];
}

/** Every frame event of a framer fed `chunks`, as plain values. */
export function frameAll(chunks: readonly Uint8Array[]): { frames: TeltonikaTcpFrame[]; errors: string[] } {
  const framer = createTcpFramer();
  const frames: TeltonikaTcpFrame[] = [];
  const errors: string[] = [];
  for (const c of chunks) {
    for (const e of framer.push(c)) {
      if (e.ok) frames.push(e.frame.kind === 'packet' ? { kind: 'packet', bytes: e.frame.bytes.slice() } : e.frame);
      else errors.push(e.error.code);
    }
  }
  return { frames, errors };
}

/** Split-at-every-offset and byte-at-a-time tests for a stream that must yield `expected`. */
export function splitTests(stream: Uint8Array, expected: readonly TeltonikaTcpFrame[]): void {
  it(`frames the same at every split offset (${stream.length - 1} splits)`, () => {
    for (let k = 1; k < stream.length; k++) {
      const got = frameAll([stream.subarray(0, k), stream.subarray(k)]);
      expect(got.errors, `split at ${k}`).toEqual([]);
      expect(got.frames, `split at ${k}`).toStrictEqual(expected);
    }
  });
  it('frames the same one byte at a time', () => {
    const got = frameAll(Array.from(stream, (b) => Uint8Array.of(b)));
    expect(got.errors).toEqual([]);
    expect(got.frames).toStrictEqual(expected);
  });
}

function assertTime(records: readonly TelemetryRecord[], specs: readonly VectorRecord[]): void {
  records.forEach((r, i) => expect(new Date(r.deviceTime ?? NaN).toISOString()).toBe(specs[i].iso));
}

function sizesOf(spec: RecordSpec): IoSize[] {
  return spec.io.map(([, , size]) => size);
}

export function tcpAvlVectorTests(v: TcpAvlVector): void {
  const bytes = fromHex(v.hex);
  describe(v.source, () => {
    it('has the documented size, data length, counts and CRC', () => {
      const view = new DataView(bytes.buffer);
      expect(bytes.length).toBe(v.size);
      expect(view.getUint32(0)).toBe(0);
      expect(view.getUint32(4)).toBe(v.dataLength);
      expect(bytes.length).toBe(v.dataLength + 12);
      expect(bytes[8]).toBe(v.codec);
      expect(bytes[9]).toBe(v.records.length); // N1
      expect(bytes[8 + v.dataLength - 1]).toBe(v.records.length); // N2
      expect(view.getUint32(8 + v.dataLength)).toBe(v.crc);
    });

    it('decodes every field', () => {
      const r = decodeTcpPacket(bytes, ctx);
      if (!r.ok || r.kind !== 'avl') throw new Error(`expected an AVL packet, got ${JSON.stringify(r)}`);
      expect(r.codec).toBe(v.codec);
      expect(r.warnings).toBeUndefined();
      expect(toHex(r.reply)).toBe(v.reply);
      expect(r.records).toStrictEqual(v.records.map((s) => expectedRecord(s, v.codec, IMEI, RECEIVED_AT)));
      assertTime(r.records, v.records);
    });

    it('encodes to the same bytes', () => {
      expect(toHex(encodeAvlPacket(v.codec, v.records.map(specToInput)))).toBe(toHex(bytes));
    });

    it('round-trips: decode → encode gives the same bytes, and decodes again to the same records', () => {
      const first = decodeTcpPacket(bytes, ctx);
      if (!first.ok || first.kind !== 'avl') throw new Error('vector does not decode');
      const again = encodeAvlPacket(v.codec, first.records.map((r, i) => recordToInput(r, sizesOf(v.records[i]))));
      expect(toHex(again)).toBe(toHex(bytes));
      expect(decodeTcpPacket(again, ctx)).toStrictEqual(first);
    });

    it('every truncation is a typed error with no reply, never a throw', () => {
      for (let k = 0; k < bytes.length; k++) {
        const r = decodeTcpPacket(bytes.subarray(0, k), ctx);
        expect(r.ok, `prefix ${k}`).toBe(false);
        if (!r.ok) {
          expect(PROTOCOL_ERROR_CODES).toContain(r.error.code);
          expect(r.reply).toBeNull();
        }
      }
    });

    describe('framing (after the §12 E1 handshake)', () => {
      const imei = fromHex('000F333536333037303432343431303133');
      splitTests(concat(imei, bytes, Uint8Array.of(0xff), bytes), [
        { kind: 'imei', imei: IMEI },
        { kind: 'packet', bytes },
        { kind: 'ping' },
        { kind: 'packet', bytes },
      ]);
    });
  });
}

export interface UdpVector {
  readonly source: string;
  readonly hex: string;
  readonly codec: AvlCodec;
  readonly imei: string;
  readonly packetId: number;
  readonly avlPacketId: number;
  readonly reply: string;
  readonly records: readonly VectorRecord[];
}

export function udpVectorTests(v: UdpVector): void {
  const bytes = fromHex(v.hex);
  describe(v.source, () => {
    it('has a length field equal to the datagram length minus 2', () => {
      expect(new DataView(bytes.buffer).getUint16(0)).toBe(bytes.length - 2);
    });

    it('decodes every field', () => {
      const r = decodeUdpDatagram(bytes, RECEIVED_AT);
      if (!r.ok) throw new Error(`expected a datagram, got ${JSON.stringify(r)}`);
      expect(r.imei).toBe(v.imei);
      expect(r.packetId).toBe(v.packetId);
      expect(r.avlPacketId).toBe(v.avlPacketId);
      expect(r.warnings).toBeUndefined();
      expect(toHex(r.reply)).toBe(v.reply);
      expect(r.records).toStrictEqual(v.records.map((s) => expectedRecord(s, v.codec, v.imei, RECEIVED_AT)));
      assertTime(r.records, v.records);
    });

    it('encodes to the same bytes', () => {
      const again = encodeUdpDatagram({
        packetId: v.packetId,
        avlPacketId: v.avlPacketId,
        imei: v.imei,
        codec: v.codec,
        records: v.records.map(specToInput),
      });
      expect(toHex(again)).toBe(toHex(bytes));
    });

    it('round-trips: decode → encode gives the same bytes', () => {
      const r = decodeUdpDatagram(bytes, RECEIVED_AT);
      if (!r.ok) throw new Error('vector does not decode');
      const again = encodeUdpDatagram({
        packetId: r.packetId,
        avlPacketId: r.avlPacketId,
        imei: r.imei,
        codec: v.codec,
        records: r.records.map((rec, i) => recordToInput(rec, sizesOf(v.records[i]))),
      });
      expect(toHex(again)).toBe(toHex(bytes));
    });

    it('every truncation is dropped silently (§11): typed error, no reply', () => {
      for (let k = 0; k < bytes.length; k++) {
        const r = decodeUdpDatagram(bytes.subarray(0, k), RECEIVED_AT);
        expect(r.ok, `prefix ${k}`).toBe(false);
        if (!r.ok) {
          expect(PROTOCOL_ERROR_CODES).toContain(r.error.code);
          expect(r.reply).toBeNull();
        }
      }
    });
  });
}

export interface Codec12Vector {
  readonly source: string;
  readonly hex: string;
  readonly type: 0x05 | 0x06;
  /** The text as sent (before trimming). */
  readonly text: string;
  readonly dataLength: number;
  readonly crc: number;
}

export function codec12VectorTests(v: Codec12Vector): void {
  const bytes = fromHex(v.hex);
  describe(v.source, () => {
    it('has the documented data length, type, size and CRC', () => {
      const view = new DataView(bytes.buffer);
      expect(view.getUint32(4)).toBe(v.dataLength);
      expect(v.dataLength).toBe(new TextEncoder().encode(v.text).length + 8); // §9: command length + 8
      expect(bytes[8]).toBe(0x0c);
      expect(bytes[10]).toBe(v.type);
      expect(view.getUint32(11)).toBe(v.dataLength - 8);
      expect(view.getUint32(8 + v.dataLength)).toBe(v.crc);
    });

    it('decodes', () => {
      expect(decodeCommandPacket(bytes)).toStrictEqual({
        ok: true,
        type: v.type,
        payloads: [new TextEncoder().encode(v.text)],
        texts: [v.text.replace(/[\r\n]+$/, '')],
      });
      const r = decodeTcpPacket(bytes, ctx);
      if (v.type === 0x06) {
        expect(r).toStrictEqual({ ok: true, kind: 'command-response', codec: 12, responses: [v.text.replace(/[\r\n]+$/, '')], reply: null });
      } else {
        // A command (0x05) is server → device; a device must not send one.
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error.code).toBe('FM_ERR_BAD_FIELD');
      }
    });

    it('encodes to the same bytes', () => {
      expect(toHex(encodeCodec12Packet(v.type, [v.text]))).toBe(toHex(bytes));
    });

    it('round-trips: decode → encode gives the same bytes', () => {
      const r = decodeCommandPacket(bytes);
      if (!r.ok) throw new Error('vector does not decode');
      expect(toHex(encodeCodec12Packet(r.type, r.payloads))).toBe(toHex(bytes));
    });

    it('every truncation is a typed error', () => {
      for (let k = 0; k < bytes.length; k++) {
        const r = decodeCommandPacket(bytes.subarray(0, k));
        expect(r.ok, `prefix ${k}`).toBe(false);
      }
    });

    describe('framing (after a handshake)', () => {
      splitTests(concat(encodeImei(IMEI), bytes, bytes), [
        { kind: 'imei', imei: IMEI },
        { kind: 'packet', bytes },
        { kind: 'packet', bytes },
      ]);
    });
  });
}
