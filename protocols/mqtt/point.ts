/**
 * The position point every MQTT payload format (JSON, Protobuf) decodes to, the limits a point must
 * respect (one table, used by the JSON schema and the Protobuf checks alike), and the one factory
 * that turns a point into a `TelemetryRecord`.
 */
import { ProtocolFault } from '../common/errors.ts';
import type { DecodeContext, IoElement, ProtocolName, TelemetryRecord } from '../record.ts';

/** Inclusive ranges and sizes; a value outside is `FM_ERR_BAD_FIELD`, never clamped. */
export const POINT_LIMITS = {
  latitude: { min: -90, max: 90 },
  longitude: { min: -180, max: 180 },
  /** Metres above sea level. */
  altitude: { min: -20_000, max: 100_000 },
  /** km/h. */
  speed: { min: 0, max: 2_000 },
  /** Degrees; 360 is accepted and stored as 0. */
  course: { min: 0, max: 360 },
  satellites: { min: 0, max: 255 },
  hdop: { min: 0, max: 100 },
  /** Device time, ms since the epoch (2^53 - 1: exact in a double). */
  time: { min: 0, max: Number.MAX_SAFE_INTEGER },
  /** IO entries per point, characters per IO name, characters per IO text value. */
  ioEntries: 256,
  ioNameLength: 64,
  ioTextLength: 1024,
  /** Points per message. */
  points: 1000,
} as const;

export type RangedField = 'latitude' | 'longitude' | 'altitude' | 'speed' | 'course' | 'satellites' | 'hdop' | 'time';

/** A point as the payload said it; `null` = not sent. */
export interface Point {
  readonly time: number | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly altitude: number | null;
  readonly speed: number | null;
  readonly course: number | null;
  readonly satellites: number | null;
  readonly hdop: number | null;
  /** `null`: derived (a position with satellites > 0, or with no satellite count). */
  readonly valid: boolean | null;
  readonly archive: boolean;
  readonly io: IoElement[];
}

/** Throws `FM_ERR_BAD_FIELD` when `value` is outside the field's range (`where` names it in the message). */
export function checkRange(field: RangedField, value: number, where: string): void {
  const { min, max } = POINT_LIMITS[field];
  if (!(value >= min && value <= max)) {
    throw new ProtocolFault('FM_ERR_BAD_FIELD', `${where}: expected ${min}..${max}, got ${value}`);
  }
}

/** The one record factory for MQTT points (every field present, same order: one hidden class). */
export function pointRecord(protocol: ProtocolName, ctx: DecodeContext, p: Point): TelemetryRecord {
  const hasFix = p.latitude !== null && p.longitude !== null;
  return {
    protocol,
    deviceId: ctx.deviceId,
    deviceTime: p.time,
    receivedAt: ctx.receivedAt,
    latitude: p.latitude,
    longitude: p.longitude,
    altitude: p.altitude,
    speed: p.speed,
    course: p.course === null ? null : p.course % 360,
    satellites: p.satellites,
    hdop: p.hdop,
    valid: p.valid ?? (hasFix && (p.satellites === null || p.satellites > 0)),
    priority: null,
    eventId: null,
    io: p.io,
    archive: p.archive,
  };
}
