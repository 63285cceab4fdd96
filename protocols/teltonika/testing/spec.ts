/**
 * Test support: a record described once (`RecordSpec`) gives both the encoder input and the exact
 * `TelemetryRecord` the decoder must produce. Used by vector tests and property tests alike.
 */
import type { IoElement, TelemetryRecord } from '../../record.ts';
import type { AvlCodec } from '../avl.ts';
import type { AvlRecordInput, IoSize } from '../encoder.ts';

/** One IO element as it sits on the wire: id, decoded value, group. */
export type IoSpec = readonly [id: number, value: number | bigint | Uint8Array, size: IoSize];

export interface RecordSpec {
  readonly deviceTime: number;
  readonly priority: number;
  readonly latitude: number;
  readonly longitude: number;
  readonly altitude: number;
  readonly course: number;
  readonly satellites: number;
  readonly speed: number;
  /** Raw event IO id from the wire (0 = periodic → decoded as null). */
  readonly eventId: number;
  /** Codec 16 only. */
  readonly generationType?: number;
  /** In wire order: 1-byte group, 2, 4, 8, then NX. */
  readonly io: readonly IoSpec[];
}

export function specToInput(spec: RecordSpec): AvlRecordInput {
  return {
    deviceTime: spec.deviceTime,
    priority: spec.priority,
    latitude: spec.latitude,
    longitude: spec.longitude,
    altitude: spec.altitude,
    course: spec.course,
    satellites: spec.satellites,
    speed: spec.speed,
    eventId: spec.eventId,
    ...(spec.generationType === undefined ? {} : { generationType: spec.generationType }),
    io: spec.io.map(([id, value, size]) => ({ id, value, size })),
  };
}

/** The full record the decoder must return, every field spelled out. */
export function expectedRecord(spec: RecordSpec, codec: AvlCodec, deviceId: string, receivedAt: number): TelemetryRecord {
  return {
    protocol: 'teltonika',
    deviceId,
    deviceTime: spec.deviceTime,
    receivedAt,
    latitude: spec.latitude,
    longitude: spec.longitude,
    altitude: spec.altitude,
    speed: spec.speed,
    course: spec.course,
    satellites: spec.satellites,
    hdop: null,
    valid: spec.satellites > 0,
    priority: spec.priority,
    eventId: spec.eventId === 0 ? null : spec.eventId,
    io: spec.io.map(([id, value, size]): IoElement => ({ id, value: size === 8 && typeof value === 'number' ? BigInt(value) : value })),
    archive: false,
    extras: codec === 0x10 ? { codec, generationType: spec.generationType ?? 7 } : { codec },
  };
}

/** Back from a decoded record to encoder input; `sizes` restores the groups the record does not carry. */
export function recordToInput(record: TelemetryRecord, sizes: readonly IoSize[]): AvlRecordInput {
  const g = record.extras?.generationType;
  return {
    deviceTime: record.deviceTime ?? 0,
    priority: record.priority ?? 0,
    latitude: record.latitude ?? 0,
    longitude: record.longitude ?? 0,
    altitude: record.altitude ?? 0,
    course: record.course ?? 0,
    satellites: record.satellites ?? 0,
    speed: record.speed ?? 0,
    eventId: record.eventId,
    ...(typeof g === 'number' ? { generationType: g } : {}),
    io: record.io.map((e, i) => ({ id: e.id as number, value: e.value as number | bigint | Uint8Array, size: sizes[i] })),
  };
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Splits `bytes` at the given cut points (any order, duplicates and out-of-range ignored). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...points, bytes.length]) {
    out.push(bytes.slice(prev, c));
    prev = c;
  }
  return out;
}

/** Returns a copy of a TCP packet with the CRC field recomputed (to build packets wrong in one way only). */
export function withFixedCrc(packet: Uint8Array, crc: (b: Uint8Array, s: number, e: number) => number): Uint8Array {
  const out = packet.slice();
  const view = new DataView(out.buffer);
  const length = view.getUint32(4);
  view.setUint32(8 + length, crc(out, 8, 8 + length));
  return out;
}
