/**
 * Wialon IPS 1.1 / 2.0 message model: what the wire carries, before it becomes a `TelemetryRecord`.
 * The decoder produces these shapes and the encoder consumes them, so `decode(encode(x))` is `x`.
 * Section numbers refer to shared/protocols/wialon-ips.md.
 */
import type { ProtocolError } from '../common/errors.ts';
import type { TelemetryRecord } from '../record.ts';

/** §1: the two protocol versions this codec speaks. */
export const WIALON_VERSIONS = ['1.1', '2.0'] as const;
export type WialonVersion = (typeof WIALON_VERSIONS)[number];

/** What a TCP session knows once login (§5) is accepted; both null before. */
export interface WialonSessionState {
  deviceId: string | null;
  version: WialonVersion | null;
}

/** §7 params: TYPE 1 = integer (64-bit), 2 = double, 3 = string. */
export type WialonParam =
  | { readonly name: string; readonly type: 1; readonly value: number | bigint }
  | { readonly name: string; readonly type: 2; readonly value: number }
  | { readonly name: string; readonly type: 3; readonly value: string };

/** The 10 fields SD and D share (§6). Every field is `null` when the device sent `NA` (or nothing). */
export interface WialonFix {
  /** DDMMYY;HHMMSS[.fff] UTC as ms since the epoch (§10). */
  readonly time: number | null;
  /** Decimal degrees, from DDMM.MMMM + N/S (§10). */
  readonly latitude: number | null;
  /** Decimal degrees, from DDDMM.MMMM + E/W (§10). */
  readonly longitude: number | null;
  /** km/h. */
  readonly speed: number | null;
  readonly course: number | null;
  /** metres. */
  readonly altitude: number | null;
  readonly satellites: number | null;
}

/** §6 short data body. */
export interface WialonShortData extends WialonFix {
  readonly kind: 'SD';
}

/** §7 extended data body. */
export interface WialonExtendedData extends WialonFix {
  readonly kind: 'D';
  readonly hdop: number | null;
  /** Bitmask, bit 0 = input 1. `bigint` only beyond 2^53. */
  readonly inputs: number | bigint | null;
  readonly outputs: number | bigint | null;
  /** adc1..adcN; an `NA` or empty item inside the list is `null`; `[]` when the field is empty or `NA`. */
  readonly adc: readonly (number | null)[];
  readonly ibutton: string | null;
  readonly params: readonly WialonParam[];
}

/** One body of SD, D or B (§8: a black box mixes both kinds, told apart by field count). */
export type WialonDataBody = WialonShortData | WialonExtendedData;

/** §9 photo block: header fields plus the binary that follows the header line. */
export interface WialonImageBlock {
  /** 0-based block index (`ind`). */
  readonly index: number;
  /** Index of the last block (`count`). */
  readonly lastIndex: number;
  /** Shot time, ms UTC; null for NA. */
  readonly time: number | null;
  readonly name: string;
  readonly data: Uint8Array;
}

/** §9 DDD file info (`#IT#`, v2.0). */
export interface WialonDddInfo {
  readonly time: number | null;
  readonly driverId: string;
  readonly code: string;
  readonly count: number;
}

/** §9 DDD file block (`#T#` + BIN, v2.0). */
export interface WialonDddBlock {
  readonly code: string;
  readonly index: number;
  readonly data: Uint8Array;
}

/** Device → server packet types this codec decodes over TCP (§2). */
export const WIALON_DEVICE_PACKET_TYPES = ['L', 'P', 'SD', 'D', 'B', 'M', 'I', 'IT', 'T'] as const;
export type WialonDevicePacketType = (typeof WIALON_DEVICE_PACKET_TYPES)[number];

/** Packet types that carry data after login (everything but L and P). */
export type WialonDataPacketType = Exclude<WialonDevicePacketType, 'L' | 'P'>;

export interface WialonLogin {
  readonly deviceId: string;
  readonly password: string | null;
  readonly version: WialonVersion;
}

/**
 * Result of decoding one TCP packet. `reply` is the exact answer line(s) to send (text + `\r\n`),
 * or null when the doc prescribes no answer (§12).
 *
 * `records: []` on the L variant is an addition to the agreed shape so that `records` exists on
 * every ok result; `warnings` lists non-fatal problems (dropped params, rejected black-box bodies)
 * worth a log line.
 */
export type WialonPacketResult =
  | { readonly ok: true; readonly type: 'L'; readonly login: WialonLogin; readonly records: []; readonly reply: null }
  | { readonly ok: true; readonly type: 'P'; readonly records: []; readonly reply: Uint8Array }
  | {
      readonly ok: true;
      readonly type: WialonDataPacketType;
      readonly records: TelemetryRecord[];
      readonly reply: Uint8Array;
      /** M: the driver's text. */
      readonly text?: string;
      /** I: the photo block. */
      readonly image?: WialonImageBlock;
      /** IT / T: the DDD file info or block. */
      readonly ddd?: WialonDddInfo | WialonDddBlock;
      readonly warnings?: ProtocolError[];
    }
  | { readonly ok: false; readonly error: ProtocolError; readonly reply: Uint8Array | null };

export type WialonUdpResult =
  | {
      readonly ok: true;
      readonly deviceId: string;
      readonly version: WialonVersion;
      readonly type: Exclude<WialonDevicePacketType, 'L'>;
      readonly records: TelemetryRecord[];
      readonly reply: Uint8Array | null;
      readonly text?: string;
      readonly image?: WialonImageBlock;
      readonly ddd?: WialonDddInfo | WialonDddBlock;
      readonly warnings?: ProtocolError[];
    }
  | { readonly ok: false; readonly error: ProtocolError; readonly reply: Uint8Array | null };
