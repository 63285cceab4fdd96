/**
 * fast-check arbitraries: valid records for every codec (as `RecordSpec`s, which give both the
 * encoder input and the expected decoded record), whole packets, framed streams, and mutations.
 */
import fc from 'fast-check';
import { crc16ibm } from '../../common/crc.ts';
import { CODEC_16, CODEC_8, CODEC_8E } from '../avl.ts';
import type { AvlCodec } from '../avl.ts';
import { encodeAvlPacket, encodeCodec12Packet, encodeImei } from '../encoder.ts';
import type { TeltonikaTcpFrame } from '../framer.ts';
import type { IoSpec, RecordSpec } from './spec.ts';
import { specToInput, withFixedCrc } from './spec.ts';

export const codecArb: fc.Arbitrary<AvlCodec> = fc.constantFrom(CODEC_8, CODEC_8E, CODEC_16);

const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });

function group(idMax: number, size: 1 | 2 | 4 | 8, maxLength: number): fc.Arbitrary<IoSpec[]> {
  const value: fc.Arbitrary<number | bigint> =
    size === 8 ? fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) : fc.integer({ min: 0, max: 2 ** (size * 8) - 1 });
  return fc.array(fc.tuple(fc.integer({ min: 0, max: idMax }), value).map(([id, v]): IoSpec => [id, v, size]), { maxLength });
}

/** A valid record for `codec`; `maxPerGroup` bounds each IO group. */
export function recordSpecArb(codec: AvlCodec, maxPerGroup = 5): fc.Arbitrary<RecordSpec> {
  const idMax = codec === CODEC_8 ? 0xff : 0xffff;
  const nx: fc.Arbitrary<IoSpec[]> =
    codec === CODEC_8E
      ? fc.array(
          fc.tuple(fc.integer({ min: 0, max: idMax }), fc.uint8Array({ maxLength: 40 })).map(([id, v]): IoSpec => [id, v, 'X']),
          { maxLength: 3 },
        )
      : fc.constant([]);
  return fc
    .record({
      deviceTime: fc.maxSafeNat(),
      priority: fc.integer({ min: 0, max: 255 }),
      lat: i32,
      lon: i32,
      altitude: fc.integer({ min: -0x8000, max: 0x7fff }),
      course: fc.integer({ min: 0, max: 0xffff }),
      satellites: fc.integer({ min: 0, max: 255 }),
      speed: fc.integer({ min: 0, max: 0xffff }),
      eventId: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: idMax })),
      generationType: fc.integer({ min: 0, max: 255 }),
      g1: group(idMax, 1, maxPerGroup),
      g2: group(idMax, 2, maxPerGroup),
      g4: group(idMax, 4, maxPerGroup),
      g8: group(idMax, 8, maxPerGroup),
      nx,
    })
    .map((r) => ({
      deviceTime: r.deviceTime,
      priority: r.priority,
      latitude: r.lat / 1e7,
      longitude: r.lon / 1e7,
      altitude: r.altitude,
      course: r.course,
      satellites: r.satellites,
      speed: r.speed,
      eventId: r.eventId,
      ...(codec === CODEC_16 ? { generationType: r.generationType } : {}),
      io: [...r.g1, ...r.g2, ...r.g4, ...r.g8, ...r.nx],
    }));
}

export interface PacketCase {
  readonly codec: AvlCodec;
  readonly records: RecordSpec[];
}

export function packetCaseArb(maxRecords = 6): fc.Arbitrary<PacketCase> {
  return codecArb.chain((codec) =>
    fc.array(recordSpecArb(codec), { minLength: 1, maxLength: maxRecords }).map((records) => ({ codec, records })),
  );
}

/** A valid IMEI (1..20 digits, mostly 15). */
export const imeiArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[0-9]{15}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9]{1,20}$/) },
);

/** A connection's worth of frames: the handshake, then AVL packets, Codec 12 responses and pings. */
export const streamArb: fc.Arbitrary<{ bytes: Uint8Array[]; frames: TeltonikaTcpFrame[] }> = fc
  .tuple(
    imeiArb,
    fc.array(
      fc.oneof(
        { weight: 4, arbitrary: packetCaseArb(3).map((p) => encodeAvlPacket(p.codec, p.records.map(specToInput))) },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((t) => encodeCodec12Packet(0x06, [t])) },
        { weight: 1, arbitrary: fc.constant(Uint8Array.of(0xff)) },
      ),
      { maxLength: 6 },
    ),
  )
  .map(([imei, packets]) => ({
    bytes: [encodeImei(imei), ...packets],
    frames: [
      { kind: 'imei', imei } as const,
      ...packets.map((p): TeltonikaTcpFrame => (p.length === 1 ? { kind: 'ping' } : { kind: 'packet', bytes: p })),
    ],
  }));

/** Ways to damage a valid frame: overwrite a byte, drop a byte, insert a byte, cut, extend. */
export type Mutation =
  | { readonly op: 'set'; readonly at: number; readonly value: number }
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'insert'; readonly at: number; readonly value: number }
  | { readonly op: 'cut'; readonly at: number }
  | { readonly op: 'append'; readonly bytes: Uint8Array };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cut' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
);

export function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = bytes.slice();
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : ('at' in m ? m.at % b.length : 0);
    switch (m.op) {
      case 'set':
        if (b.length > 0) b[at] = m.value;
        break;
      case 'delete':
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1)]);
        break;
      case 'insert':
        b = Uint8Array.from([...b.subarray(0, at), m.value, ...b.subarray(at)]);
        break;
      case 'cut':
        b = b.slice(0, at);
        break;
      case 'append':
        b = Uint8Array.from([...b, ...m.bytes]);
        break;
    }
  }
  return b;
}

/** Re-stamps L and the CRC of a mutated TCP packet when it still has a header, so the damage reaches the record parsers. */
export function reframe(b: Uint8Array): Uint8Array {
  if (b.length < 12) return b;
  const out = b.slice();
  new DataView(out.buffer).setUint32(4, out.length - 12);
  return withFixedCrc(out, crc16ibm);
}
