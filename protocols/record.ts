/**
 * The one normalized record every protocol decodes into and every other module consumes.
 *
 * Named `TelemetryRecord` rather than `Record` so it does not shadow TypeScript's built-in
 * `Record<K, V>` utility type in the modules that import it.
 *
 * Conventions:
 * - times are integer milliseconds since the Unix epoch, UTC;
 * - coordinates are WGS-84 decimal degrees, altitude metres, speed km/h, course degrees 0..359;
 * - a field the device did not send (Wialon `NA`, …) is `null`, never 0;
 * - IO/params keep the device's own id (Teltonika numeric IO id, Wialon param name) and a typed
 *   value; 64-bit integers are `bigint` so nothing is rounded through a double.
 */

export const PROTOCOLS = ['teltonika', 'wialon-ips', 'mqtt-json', 'mqtt-protobuf'] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];

export const TRANSPORTS = ['tcp', 'udp', 'mqtt'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** A typed IO value. `Uint8Array` carries opaque bytes (Teltonika NX values, Wialon binary). */
export type IoValue = number | bigint | string | boolean | Uint8Array;

export interface IoElement {
  /** The device's own id for the value: Teltonika IO id (number) or Wialon/JSON param name. */
  readonly id: number | string;
  readonly value: IoValue;
}

export interface TelemetryRecord {
  readonly protocol: ProtocolName;
  /** IMEI for Teltonika, the login id for Wialon IPS, the client id for MQTT. */
  readonly deviceId: string;
  /** Time the device stamped on the record (ms, UTC). `null` if the device sent none. */
  readonly deviceTime: number | null;
  /** Time the gateway received the bytes that carried the record (ms, UTC). */
  readonly receivedAt: number;
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly altitude: number | null;
  readonly speed: number | null;
  readonly course: number | null;
  readonly satellites: number | null;
  /** Horizontal dilution of precision, when the protocol carries it. */
  readonly hdop: number | null;
  /** Whether the position is a valid fix (Teltonika: satellites > 0 / non-zero; Wialon: fix). */
  readonly valid: boolean;
  /** Teltonika priority (0 low, 1 high, 2 panic); null where the protocol has none. */
  readonly priority: number | null;
  /** Id of the IO element that triggered the record (Teltonika event IO id); null if none. */
  readonly eventId: number | null;
  readonly io: readonly IoElement[];
  /** True for stored/black-box records the device uploads late (Wialon `#B#`, …). */
  readonly archive: boolean;
  /** Protocol-specific extras (codec id, generation type, Wialon packet type, …). */
  readonly extras?: { readonly [key: string]: string | number | boolean | null };
}

/** Context a decoder needs but must not obtain itself (protocols have no clock, no sessions). */
export interface DecodeContext {
  /** Device identity established by the session (IMEI handshake, Wialon login). */
  readonly deviceId: string;
  /** When the bytes arrived (ms, UTC). */
  readonly receivedAt: number;
}

/**
 * What outlives a record's commit: the fields the rating engine (presence) and fleet health (last
 * seen, last position) take from every committed record. The ingest pipeline keeps only these
 * between a record's arrival and its commit, so a batch holds one small object per record
 * instead of the record with its IO list (which made the garbage collector the gateway's
 * biggest cost).
 */
export type CommittedRecord = Pick<TelemetryRecord, 'deviceId' | 'protocol' | 'deviceTime' | 'receivedAt' | 'latitude' | 'longitude' | 'speed' | 'course' | 'valid'>;
