/**
 * A short fuzz run (issue #20): real frames from the protocol references, mutated (bytes flipped,
 * inserted, deleted, truncated, duplicated, hex digits near the CRC), through every framer and
 * decoder; Teltonika data fields also re-sealed with a correct length and CRC, so the mutations get
 * past the CRC gate into the record parsers (Wialon v1.1 sessions have no gate).
 * - Nothing throws, and no error is an untyped exception in disguise: the decoders turn a stray
 *   exception into FM_ERR_MALFORMED "decoder failure/fault: …", which must never happen — every
 *   error must be a typed ProtocolFault with a code from PROTOCOL_ERROR_CODES.
 * - No bad CRC is accepted: a Teltonika TCP packet decoded with records has a CRC-16/IBM that
 *   matches its data field; a Wialon IPS v2.0 packet accepted with records has a CRC that matches
 *   the bytes it covers (§11).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16arc } from './common/crc.ts';
import { PROTOCOL_ERROR_CODES, type ProtocolError } from './common/errors.ts';
import { fromHex } from './common/hex.ts';
import { decodePayload, encodeProtobufTelemetry } from './mqtt/index.ts';
import { createTcpFramer as teltonikaFramer } from './teltonika/framer.ts';
import { decodeTcpPacket, decodeUdpDatagram as teltonikaUdp, encodeTcpFrame } from './teltonika/index.ts';
import type { FrameEvent } from './types.ts';
import { createTcpFramer as wialonFramer, decodePacket, decodeUdpDatagram as wialonUdp, encodeCompressed } from './wialon-ips/index.ts';

const RUNS = 400;
const enc = (s: string) => new TextEncoder().encode(s);

// teltonika.md §12: E2 (Codec 8), E3 (Codec 8, real fix), E4 (8E), E5 (8E with NX), E6 (Codec 16), E7 (Codec 12 response).
const TELTONIKA_TCP = [
  '000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF',
  '000000000000004508010000015eb70a86d00024089d4d21dee3860137005f12005f000e06ef01f00150011503c800450108b5000bb6000642382718005fcd057ace19d3430f57440000000001000002bf',
  '000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100010100010011001D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994',
  '00000000000000728e010000018b23dd796300fbf7263c24f9e11a0000000000000002240001000000000000000000010224004501210001e50110cde39f7e42bb55aa788e4a29ed650055020ab70a8f264c6000ffff6b210001b00110f89b907e42bb55aaa3463b29ed650055020ab708bb2600ae0500096c01000051d4',
  '000000000000005F10020000016BDBC7833000000000000000000000000000000000000B05040200010000030002000B00270042563A00000000016BDBC7871800000000000000000000000000000000000B05040200010000030002000B00260042563A00000200005FB3',
  '000000000000002C0C0106000000244449313A30204449323A30204449333A302041494E3A323420444F313A3020444F323A30010000F925',
].map(fromHex);
const TELTONIKA_IMEI = fromHex('000F333536333037303432343431303133'); // §12 E1
const TELTONIKA_UDP = [fromHex('003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000000000000000000000000000000103021503010101425DBC000001')]; // §12 E8

// wialon-ips.md §13: W1–W8 (v2.0 with CRC, v1.1 without).
const WIALON_V2 = [
  '#L#2.0;imei;NA;A932',
  '#SD#300924;154245;5554.350052;N;3644.670410;E;2.92;NA;NA;NA;7A01',
  '#D#220323;114150;2234.80479;N;11354.87786;E;0;NA;59;11;NA;NA;NA;;NA;d_battr:1:94,d_csq:1:21,di_light:1:1;E7C9',
  '#D#101118;061143;0756.0930;N;12338.6403;E;18.223;99.766;-4.000;10;0.800;NA;NA;NA;NA;101_521347:1:521249,101_521126:1:6593598,101_521127:1:774780,101_521072_21.1:1:0,101_521072_21.2:1:71353;F24A',
  '#B#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4|270413;205701;5544.6100;N;03739.7000;E;5;90;3;6|7981',
  '#M#Hello driver;0798',
].map(enc);
const WIALON_V1 = [
  '#L#123456789012345;test',
  '#SD#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4',
  '#D#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4;0.0;0;0;14.77,0.02,3.6;NA;count1:1:564,fuel:2:45.8,hw:3:V4.5',
  '#B#080914;073235;5027.50625;N;03026.19321;E;0.700;0.000;NA;4;NA;NA;NA;;NA;Батарея:3:100 %|080914;073420;5027.50845;N;03026.18854;E;1.996;292.540;NA;4;NA;NA;NA;;NA;Батарея:3:100 %',
  '#P#',
  '#I#4;0;0;070512;124010;a.jpg\r\nABCD',
].map(enc);
const WIALON_STREAM = [...WIALON_V2, ...WIALON_V1, fromHex('FF1B00780153F65136D233B0CECC4DCDB4F673B476B4343602002FF404E6')]; // + §13 W7 container
const WIALON_UDP = [enc('2.0;99999999#D#101118;061143;0756.0930;N;12338.6403;E;18.223;99.766;-4.000;10;0.800;NA;NA;NA;NA;101_521347:1:521249;2DB0'), enc('99999999#SD#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4')];

const MQTT = {
  json: enc(JSON.stringify([{ time: 1767225600000, lat: 55.7512, lon: 37.6184, alt: 151, speed: 42.5, course: 270, sats: 11, hdop: 0.8, io: { ignition: true, fuel_l: 41.5, driver: 'A. Petrov' } }, { time: '2026-01-01T03:00:00+03:00' }])),
  protobuf: encodeProtobufTelemetry([{ timeMs: 1767225600000, latitude: 55.75, longitude: 37.61, altitude: 150, speed: 40, course: 90, satellites: 9 }]),
  avl: TELTONIKA_TCP[1].subarray(8, TELTONIKA_TCP[1].length - 4),
};

/** A real frame with 1–6 mutations. */
function mutated(frames: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('bit' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0xff, 0x23, 0x3b, 0x7c, 0x0d, 0x0a, 0x30, 0x41) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), value: fc.constant(0) }),
    fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 8 }) }),
    // A hex digit written near the end, where both protocols keep their CRC.
    fc.record({ kind: fc.constant('tail' as const), at: fc.nat(), value: fc.constantFrom(...Array.from('0123456789ABCDEFabcdef', (c) => c.charCodeAt(0))) }),
  );
  return fc.tuple(fc.constantFrom(...frames), fc.array(op, { minLength: 1, maxLength: 6 })).map(([frame, ops]) => {
    let b = Array.from(frame);
    for (const o of ops) {
      const at = b.length === 0 ? 0 : o.at % b.length;
      if (o.kind === 'flip') b[at] = o.value;
      else if (o.kind === 'bit') b[at] ^= 1 << o.value;
      else if (o.kind === 'insert') b.splice(at, 0, o.value);
      else if (o.kind === 'delete') b.splice(at, o.value);
      else if (o.kind === 'truncate') b = b.slice(0, at);
      else if (o.kind === 'tail') b[Math.max(0, b.length - 1 - (o.at % 6))] = o.value;
      else b.splice(at, 0, ...b.slice(at, at + o.value));
    }
    return Uint8Array.from(b);
  });
}

function typed(error: ProtocolError): void {
  expect(PROTOCOL_ERROR_CODES).toContain(error.code);
  // An untyped exception caught by a decoder's last-resort handler: a bug, whatever the input.
  expect(error.message).not.toMatch(/^(decoder failure|decoder fault|framer failure)/);
}

function events<F>(list: FrameEvent<F>[]): F[] {
  const frames: F[] = [];
  for (const e of list) {
    if (e.ok) frames.push(e.frame);
    else typed(e.error);
  }
  return frames;
}

/** Pushes `bytes` in chunks cut at `cuts`. */
function pushAll<F>(framer: { push(c: Uint8Array): FrameEvent<F>[] }, bytes: Uint8Array, cuts: number[]): FrameEvent<F>[] {
  const out: FrameEvent<F>[] = [];
  let at = 0;
  for (const c of [...cuts.map((x) => x % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
    if (c < at) continue;
    out.push(...framer.push(bytes.subarray(at, c)));
    at = c;
  }
  return out;
}

const teltonikaCrcOk = (p: Uint8Array) => {
  const L = ((p[4] << 24) | (p[5] << 16) | (p[6] << 8) | p[7]) >>> 0;
  return p.length === L + 12 && crc16arc(p, 8, 8 + L) === ((p[p.length - 2] << 8) | p[p.length - 1]) && p[p.length - 3] === 0 && p[p.length - 4] === 0;
};

/** §11 coverage: after `#PT#` up to and including the last `;` (B: the last `|`); the CRC follows. */
const wialonCrcOk = (p: Uint8Array) => {
  const text = Buffer.from(p);
  const start = text.indexOf(0x23, 1) + 1;
  const sep = text[1] === 0x42 /* B */ ? 0x7c : 0x3b;
  const last = text.lastIndexOf(sep);
  if (start <= 0 || last < start) return false;
  const token = text.subarray(last + 1).toString('latin1').replace(/^0x/i, '');
  return /^[0-9a-fA-F]{1,4}$/.test(token) && parseInt(token, 16) === crc16arc(p, start, last + 1);
};

describe('fuzz: mutated real frames through every framer and decoder', () => {
  it('Teltonika TCP: framer and decoder stay typed; no bad CRC is accepted', () => {
    fc.assert(
      fc.property(mutated(TELTONIKA_TCP), fc.array(fc.nat(), { maxLength: 4 }), (packet, cuts) => {
        const r = decodeTcpPacket(packet, { deviceId: 'x', receivedAt: 0 });
        if (!r.ok) typed(r.error);
        else expect(teltonikaCrcOk(packet)).toBe(true);
        const framed = events(pushAll(teltonikaFramer(), new Uint8Array([...TELTONIKA_IMEI, ...packet]), cuts));
        for (const f of framed) {
          if (f.kind !== 'packet') continue;
          const d = decodeTcpPacket(f.bytes, { deviceId: 'x', receivedAt: 0 });
          if (!d.ok) typed(d.error);
          else expect(teltonikaCrcOk(f.bytes)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('Teltonika TCP re-sealed (mutated data field, then a correct length and CRC): the AVL and Codec 12 parsers stay typed', () => {
    // Past the CRC gate, so the mutations reach the record and IO parsers.
    const dataFields = TELTONIKA_TCP.map((p) => p.subarray(8, p.length - 4));
    fc.assert(
      fc.property(mutated(dataFields), (data) => {
        const r = decodeTcpPacket(encodeTcpFrame(data), { deviceId: 'x', receivedAt: 0 });
        if (!r.ok) typed(r.error);
      }),
      { numRuns: RUNS },
    );
  });

  it('Teltonika UDP and MQTT payloads: typed errors only', () => {
    fc.assert(
      fc.property(mutated(TELTONIKA_UDP), (d) => {
        const r = teltonikaUdp(d, 0);
        if (!r.ok) typed(r.error);
      }),
      { numRuns: RUNS },
    );
    for (const format of ['json', 'protobuf', 'avl'] as const) {
      fc.assert(
        fc.property(mutated([MQTT[format]]), (payload) => {
          const r = decodePayload(format, payload, { deviceId: 'x', receivedAt: 0 });
          if (!r.ok) typed(r.error);
        }),
        { numRuns: RUNS / 2 },
      );
    }
  });

  it('Wialon IPS TCP: framer and decoder (v1.1 and v2.0 sessions) stay typed; no bad v2.0 CRC is accepted', () => {
    fc.assert(
      fc.property(mutated(WIALON_STREAM), fc.array(fc.nat(), { maxLength: 4 }), (packet, cuts) => {
        const framed = events(pushAll(wialonFramer({ maxFrameSize: 4096 }), new Uint8Array([...packet, 0x0d, 0x0a]), cuts));
        for (const f of [packet, ...framed]) {
          for (const version of ['1.1', '2.0'] as const) {
            const r = decodePacket(f, { deviceId: 'x', version }, 0);
            if (!r.ok) typed(r.error);
            else if (version === '2.0' && r.type !== 'L' && r.type !== 'P' && r.type !== 'I' && r.records.length > 0) expect(wialonCrcOk(f)).toBe(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('Wialon IPS UDP, plain and compressed: typed errors only', () => {
    fc.assert(
      fc.property(mutated([...WIALON_UDP, ...WIALON_UDP.map((d) => encodeCompressed(d))]), (d) => {
        const r = wialonUdp(d, 0);
        if (!r.ok) typed(r.error);
      }),
      { numRuns: RUNS },
    );
  });
});
