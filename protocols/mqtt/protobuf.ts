/**
 * The Protobuf payload: `fleetmeter.mqtt.v1.Telemetry` (telemetry.proto, shipped beside this file),
 * a batch of points per message, decoded with protobufjs. The schema is read once, at load.
 *
 * Presence matters: proto3 `optional` fields are read as "sent" only when the message carried them
 * (an unset latitude is no position, a zero latitude is the equator). Every sent value is checked
 * against POINT_LIMITS; the first violation rejects the message with `FM_ERR_BAD_FIELD`. Bytes that
 * are not a Telemetry message are `FM_ERR_MALFORMED`.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { ProtocolFault, protocolError } from '../common/errors.ts';
import type { DecodeContext, IoElement, IoValue, TelemetryRecord } from '../record.ts';
import { POINT_LIMITS, checkRange, pointRecord } from './point.ts';
import type { PayloadResult } from './result.ts';

export const TELEMETRY_PROTO_PATH = fileURLToPath(new URL('./telemetry.proto', import.meta.url));
const root = protobuf.loadSync(TELEMETRY_PROTO_PATH);
export const TelemetryMessage = root.lookupType('fleetmeter.mqtt.v1.Telemetry');

/** A point to encode (tests, the benchmark, device-side examples): the proto's fields, camelCase. */
export interface ProtoPointInput {
  readonly timeMs?: number;
  readonly latitude?: number;
  readonly longitude?: number;
  readonly altitude?: number;
  readonly speed?: number;
  readonly course?: number;
  readonly satellites?: number;
  readonly hdop?: number;
  readonly valid?: boolean;
  readonly archive?: boolean;
  readonly io?: readonly { readonly name: string; readonly value: number | bigint | boolean | string | Uint8Array }[];
}

/** Encodes a Telemetry message. Integers in `io` become `int_value`, other numbers `double_value`. */
export function encodeProtobufTelemetry(points: readonly ProtoPointInput[]): Uint8Array {
  const message = {
    points: points.map((p) => ({
      ...p,
      io: (p.io ?? []).map(({ name, value }) => {
        if (typeof value === 'bigint') return { name, intValue: value.toString() };
        if (typeof value === 'number') return Number.isSafeInteger(value) ? { name, intValue: value } : { name, doubleValue: value };
        if (typeof value === 'boolean') return { name, boolValue: value };
        if (typeof value === 'string') return { name, stringValue: value };
        return { name, bytesValue: value };
      }),
    })),
  };
  return TelemetryMessage.encode(TelemetryMessage.fromObject(message)).finish();
}

interface LongLike {
  readonly high: number;
  readonly low: number;
  toNumber(): number;
  toString(): string;
}

type Decoded = { [field: string]: unknown };

const has = (o: Decoded, field: string): boolean => Object.prototype.hasOwnProperty.call(o, field);

export function decodeProtobufPayload(bytes: Uint8Array, ctx: DecodeContext): PayloadResult {
  let message: Decoded;
  try {
    message = TelemetryMessage.decode(bytes) as unknown as Decoded;
  } catch (e) {
    return { ok: false, error: protocolError('FM_ERR_MALFORMED', `payload: expected a fleetmeter.mqtt.v1.Telemetry message, got ${bytes.length} bytes that do not parse (${(e as Error).message})`) };
  }
  const points = (message.points ?? []) as Decoded[];
  if (points.length === 0 || points.length > POINT_LIMITS.points) {
    return { ok: false, error: protocolError('FM_ERR_BAD_FIELD', `points: expected 1..${POINT_LIMITS.points}, got ${points.length}`) };
  }
  const records: TelemetryRecord[] = [];
  try {
    for (let i = 0; i < points.length; i++) records.push(pointRecord('mqtt-protobuf', ctx, toPoint(points[i], i)));
  } catch (e) {
    if (e instanceof ProtocolFault) return { ok: false, error: e.toValue() };
    return { ok: false, error: protocolError('FM_ERR_MALFORMED', `decoder failure: ${(e as Error).message}`) };
  }
  return { ok: true, records };
}

type OptionalNumber = 'latitude' | 'longitude' | 'altitude' | 'speed' | 'course' | 'hdop' | 'satellites';

/** A sent optional number, range-checked; null when the message did not carry it. */
function optionalNumber(p: Decoded, field: OptionalNumber, i: number): number | null {
  if (!has(p, field)) return null;
  const v = p[field] as number;
  checkRange(field, v, `points[${i}].${field}`);
  return v;
}

function toPoint(p: Decoded, i: number) {
  let time: number | null = null;
  if (has(p, 'timeMs')) {
    const t = p.timeMs as number | LongLike;
    if (typeof t !== 'number' && t.high >>> 0 > 0x1fffff) {
      throw new ProtocolFault('FM_ERR_BAD_FIELD', `points[${i}].time_ms: expected 0..${POINT_LIMITS.time.max}, got ${t.toString()}`);
    }
    time = typeof t === 'number' ? t : t.toNumber();
  }
  const io = p.io as Decoded[] | undefined;
  return {
    time,
    latitude: optionalNumber(p, 'latitude', i),
    longitude: optionalNumber(p, 'longitude', i),
    altitude: optionalNumber(p, 'altitude', i),
    speed: optionalNumber(p, 'speed', i),
    course: optionalNumber(p, 'course', i),
    satellites: optionalNumber(p, 'satellites', i),
    hdop: optionalNumber(p, 'hdop', i),
    valid: has(p, 'valid') ? (p.valid as boolean) : null,
    archive: p.archive === true,
    io: io && io.length > 0 ? ioElements(io, i) : [],
  };
}

function ioElements(io: Decoded[], i: number): IoElement[] {
  const at = `points[${i}]`;
  if (io.length > POINT_LIMITS.ioEntries) {
    throw new ProtocolFault('FM_ERR_BAD_FIELD', `${at}.io: expected up to ${POINT_LIMITS.ioEntries} values, got ${io.length}`);
  }
  const out: IoElement[] = [];
  for (let k = 0; k < io.length; k++) {
    const e = io[k];
    const name = e.name as string;
    if (name.length === 0 || name.length > POINT_LIMITS.ioNameLength || name.includes('\u0000')) {
      throw new ProtocolFault('FM_ERR_BAD_FIELD', `${at}.io[${k}].name: expected 1..${POINT_LIMITS.ioNameLength} characters, got ${JSON.stringify(name.slice(0, 80))}`);
    }
    out.push({ id: name, value: ioValue(e, at, k, name) });
  }
  return out;
}

function ioValue(e: Decoded, at: string, k: number, name: string): IoValue {
  switch (e.value) {
    case 'intValue': {
      const v = e.intValue as number | LongLike;
      if (typeof v === 'number') return v;
      const n = v.toNumber();
      return Number.isSafeInteger(n) ? n : BigInt(v.toString());
    }
    case 'doubleValue':
      return e.doubleValue as number;
    case 'boolValue':
      return e.boolValue as boolean;
    case 'stringValue': {
      const s = e.stringValue as string;
      if (s.length > POINT_LIMITS.ioTextLength) {
        throw new ProtocolFault('FM_ERR_BAD_FIELD', `${at}.io[${k}] (${name}): expected a text of up to ${POINT_LIMITS.ioTextLength} characters, got ${s.length}`);
      }
      return s;
    }
    case 'bytesValue':
      return Uint8Array.from(e.bytesValue as Uint8Array);
    default:
      throw new ProtocolFault('FM_ERR_BAD_FIELD', `${at}.io[${k}] (${name}): expected one of int_value, double_value, bool_value, string_value, bytes_value, got none`);
  }
}
