/**
 * Test helper (not part of the codec): one vector → decode, encode, round-trip and
 * split-at-every-offset tests, mqtt-packet style. Imported by the *.test.ts files only.
 */
import { describe, expect, it } from 'vitest';
import { crc16arc } from '../common/crc.ts';
import type { FrameEvent } from '../types.ts';
import { formatCrc } from './crc.ts';
import type { TelemetryRecord } from '../record.ts';
import { createTcpFramer, frameAll } from './framer.ts';
import { decodePacket } from './decoder.ts';
import { decodeUdpDatagram } from './udp.ts';
import type { WialonPacketResult, WialonSessionState, WialonUdpResult } from './model.ts';

export const te = new TextEncoder();
export const td = new TextDecoder();

/** Text → bytes, `\r\n` appended (the wire form of a text packet). */
export function wire(text: string): Uint8Array {
  return te.encode(text + '\r\n');
}

export const RECEIVED_AT = Date.UTC(2025, 0, 2, 3, 4, 5);

export const loggedIn = (version: '1.1' | '2.0', deviceId = '359633100458590'): WialonSessionState => ({ deviceId, version });
export const notLoggedIn = (): WialonSessionState => ({ deviceId: null, version: null });

/** Degrees compared to 7 decimals (the doc prints them so); every other field exactly. */
export const deg = (v: number): number => expect.closeTo(v, 7) as unknown as number;

/** An expected record: the constant fields filled in, everything else must be given. */
export function rec(
  r: Omit<TelemetryRecord, 'protocol' | 'priority' | 'eventId' | 'receivedAt'> & { receivedAt?: number },
): TelemetryRecord {
  return { protocol: 'wialon-ips', priority: null, eventId: null, receivedAt: RECEIVED_AT, ...r };
}

/** The reply as text (`null` stays null) — easier to read in a failure diff than bytes. */
export function replyText(r: { reply: Uint8Array | null }): string | null {
  return r.reply === null ? null : td.decode(r.reply);
}

/** Frames a complete wire string and returns the single frame it must contain. */
export function onlyFrame(bytes: Uint8Array): Uint8Array {
  const events = frameAll(bytes);
  expect(events).toHaveLength(1);
  const ev = events[0];
  if (!ev.ok) throw new Error(`expected a frame, got ${ev.error.code}: ${ev.error.message}`);
  return ev.frame;
}

export function decodeWire(bytes: Uint8Array, state: WialonSessionState, receivedAt = RECEIVED_AT): WialonPacketResult {
  return decodePacket(onlyFrame(bytes), state, receivedAt);
}

/** An event as one comparable string (cheap to compare for 50 KB frames). */
export function eventKey(ev: FrameEvent<Uint8Array>): string {
  return ev.ok ? 'frame ' + Buffer.from(ev.frame).toString('base64') : `error ${ev.error.code} fatal=${ev.fatal}`;
}

/** Feeds `bytes` to a fresh framer in the given pieces; every event as an `eventKey`. */
export function frameInPieces(bytes: Uint8Array, cuts: readonly number[]): string[] {
  const f = createTcpFramer();
  const out: string[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    for (const ev of f.push(bytes.subarray(at, cut))) out.push(eventKey(ev));
    at = cut;
  }
  expect(f.buffered).toBe(0);
  return out;
}

/**
 * Every offset 1..len-1 for packets up to 4 KiB; for the 50 KB photo blocks every offset in the
 * first and last 512 bytes (headers, the end of the binary) and every 61st in between.
 */
export function splitOffsets(len: number): number[] {
  const out: number[] = [];
  for (let cut = 1; cut < len; cut++) if (len <= 4096 || cut <= 512 || cut >= len - 512 || cut % 61 === 0) out.push(cut);
  return out;
}

export interface TcpVector {
  /** Test name; cite the doc section. */
  readonly name: string;
  /** Exact bytes on the wire, `\r\n` included. */
  readonly wire: Uint8Array;
  readonly state: WialonSessionState;
  /** Asserts every decoded value of the result. */
  readonly check: (r: WialonPacketResult) => void;
  /** Exact answer text (`\r\n` included) or null for none. */
  readonly reply: string | null;
  /** An encoder call meant to produce this packet. */
  readonly encode?: () => Uint8Array;
  /**
   * True when `encode()` must reproduce `wire` byte for byte. Real-device frames use spellings our
   * encoder normalises (`0.700`, `3644.670410`), so for them only the decoded results must agree.
   */
  readonly canonical?: boolean;
}

export function tcpVector(v: TcpVector): void {
  describe(v.name, () => {
    it('decodes every value and answers exactly', () => {
      const r = decodeWire(v.wire, v.state);
      v.check(r);
      expect(replyText(r)).toBe(v.reply);
    });

    if (v.encode) {
      const encode = v.encode;
      if (v.canonical) {
        it('encodes to the same bytes', () => {
          expect(td.decode(encode())).toBe(td.decode(v.wire));
          expect(encode()).toEqual(v.wire);
        });
      }
      it('round-trips: decode(encode()) = decode(wire)', () => {
        expect(decodeWire(encode(), v.state)).toEqual(decodeWire(v.wire, v.state));
      });
    }

    it('frames the same when split at every offset, and byte by byte', () => {
      const whole = frameInPieces(v.wire, []);
      expect(whole).toHaveLength(1);
      for (const cut of splitOffsets(v.wire.length)) expect(frameInPieces(v.wire, [cut])).toEqual(whole);
      if (v.wire.length <= 4096) {
        expect(frameInPieces(v.wire, Array.from({ length: v.wire.length - 1 }, (_, i) => i + 1))).toEqual(whole);
      } else {
        expect(frameInPieces(v.wire, Array.from({ length: Math.floor((v.wire.length - 1) / 97) }, (_, i) => (i + 1) * 97))).toEqual(whole);
      }
    });
  });
}

export interface UdpVector {
  readonly name: string;
  readonly datagram: Uint8Array;
  readonly check: (r: WialonUdpResult) => void;
  readonly reply: string | null;
  readonly encode?: () => Uint8Array;
  readonly canonical?: boolean;
}

export function udpVector(v: UdpVector): void {
  describe(v.name, () => {
    it('decodes every value and answers exactly', () => {
      const r = decodeUdpDatagram(v.datagram, RECEIVED_AT);
      v.check(r);
      expect(replyText(r)).toBe(v.reply);
    });
    if (v.encode) {
      const encode = v.encode;
      if (v.canonical) it('encodes to the same bytes', () => expect(td.decode(encode())).toBe(td.decode(v.datagram)));
      it('round-trips', () => expect(decodeUdpDatagram(encode(), RECEIVED_AT)).toEqual(decodeUdpDatagram(v.datagram, RECEIVED_AT)));
    }
  });
}

/** `#TYPE#covered` + the v2.0 CRC of `covered` (which ends with its `;` or `|`) + `\r\n`. */
export function withCrc(type: string, covered: string): Uint8Array {
  return wire(`#${type}#${covered}${formatCrc(crc16arc(te.encode(covered)))}`);
}
