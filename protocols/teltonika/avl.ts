/**
 * Pieces shared by the three AVL data codecs (8, 8E, 16) and both transports (TCP, UDP):
 * codec ids, the record factory (one object shape for every record), the common record head
 * (teltonika.md §4.1) and the `extras` objects.
 *
 * Hot path rules followed by every codec file: read straight from the Uint8Array, check bounds once
 * per structure (record head, each IO group), never build strings, and create every record through
 * `makeRecord` so all records share one hidden class.
 */
import { ProtocolFault } from '../common/errors.ts';
import type { IoElement, TelemetryRecord } from '../record.ts';

/** Codec ids (teltonika.md §1). */
export const CODEC_8 = 0x08;
export const CODEC_8E = 0x8e;
export const CODEC_16 = 0x10;
export const CODEC_12 = 0x0c;
export const CODEC_13 = 0x0d;
export const CODEC_14 = 0x0e;

/** The AVL data codecs a server must accept on the same port (§1), as a closed set. */
export const AVL_CODECS = [CODEC_8, CODEC_8E, CODEC_16] as const;
export type AvlCodec = (typeof AVL_CODECS)[number];

export function isAvlCodec(codec: number): codec is AvlCodec {
  return codec === CODEC_8 || codec === CODEC_8E || codec === CODEC_16;
}

/** Bytes of the common record head: timestamp 8 + priority 1 + GPS element 15 (§4.1). */
export const RECORD_HEAD_SIZE = 24;

/** Smallest record per codec (§4.2–4.4): head + the IO element with every count zero. */
export const MIN_RECORD_SIZE: { readonly [codec: number]: number } = {
  [CODEC_8]: RECORD_HEAD_SIZE + 6, // 30
  [CODEC_8E]: RECORD_HEAD_SIZE + 14, // 38
  [CODEC_16]: RECORD_HEAD_SIZE + 8, // 32
};

/**
 * Parses `count` records of one codec from `bytes[start, end)` into `out`; returns the offset where
 * the last record ends. Throws `ProtocolFault` (`FM_ERR_TRUNCATED`) if a record would run past
 * `end`. `end` is the offset of N2 (TCP and UDP alike). A record whose declared IO total N differs
 * from the sum of its group counts is kept and noted in `warnings` (§4.5: a warning, not an error).
 */
export type RecordParser = (
  bytes: Uint8Array,
  view: DataView,
  start: number,
  end: number,
  count: number,
  deviceId: string,
  receivedAt: number,
  out: TelemetryRecord[],
  warnings: string[],
) => number;

/** Frozen, shared `extras` objects: they never grow and save one allocation per record. */
export const EXTRAS_CODEC_8 = Object.freeze({ codec: CODEC_8 });
export const EXTRAS_CODEC_8E = Object.freeze({ codec: CODEC_8E });
/** Codec 16 extras by generation type byte (§4.4: 0 On Exit … 7 Periodical; any byte may come). */
export const EXTRAS_CODEC_16: readonly { readonly codec: number; readonly generationType: number }[] =
  Object.freeze(Array.from({ length: 256 }, (_, g) => Object.freeze({ codec: CODEC_16, generationType: g })));

const TWO_POW_32 = 4294967296;

/**
 * The one record factory. Every field is always present, always in this order (monomorphic shape).
 *
 * `b`/`o` point at the record head (§4.1):
 * - deviceTime: u64 ms. Read as two u32 halves; exact up to 2^53 ms (year 287396), far past any
 *   plausible device clock; implausible times are rating's business (ARCHITECTURE.md).
 * - longitude comes FIRST on the wire, then latitude; both i32 / 1e7 (§4.1, §5).
 * - altitude: i16 (§4.1 says signedness is UNVERIFIED; we follow traccar).
 * - valid: `satellites > 0` (§4.1, as traccar does). IO 69 "GNSS status" is model-specific (§5), so
 *   it is not consulted here.
 * - eventId: 0 means "periodic, not an event" (§4.2), so it maps to `null`.
 * - archive: always false. The protocol has no flag for buffered (black-box) records: they look
 *   exactly like live ones (§10).
 */
export function makeRecord(
  b: Uint8Array,
  o: number,
  deviceId: string,
  receivedAt: number,
  eventId: number,
  io: IoElement[],
  extras: TelemetryRecord['extras'],
): TelemetryRecord {
  const satellites = b[o + 21];
  return {
    protocol: 'teltonika',
    deviceId,
    deviceTime: (((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0) * TWO_POW_32 +
      (((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0),
    receivedAt,
    latitude: ((b[o + 13] << 24) | (b[o + 14] << 16) | (b[o + 15] << 8) | b[o + 16]) / 1e7,
    longitude: ((b[o + 9] << 24) | (b[o + 10] << 16) | (b[o + 11] << 8) | b[o + 12]) / 1e7,
    altitude: (((b[o + 17] << 8) | b[o + 18]) << 16) >> 16,
    speed: (b[o + 22] << 8) | b[o + 23],
    course: (b[o + 19] << 8) | b[o + 20],
    satellites,
    hdop: null,
    valid: satellites > 0,
    priority: b[o + 8],
    eventId: eventId === 0 ? null : eventId,
    io,
    archive: false,
    extras,
  };
}

/**
 * A plain Uint8Array copy of `b[start, end)`. Not `b.slice()`: on a Node Buffer (what sockets
 * deliver) `slice` returns a view that shares memory with the chunk.
 */
export function copyBytes(b: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(b.subarray(start, end));
  return out;
}

/** The fault every codec throws when a record or IO group would run past the data (N2). */
export function overrun(what: string, index: number, need: number, end: number): ProtocolFault {
  return new ProtocolFault(
    'FM_ERR_TRUNCATED',
    `${what} of record ${index + 1} needs bytes up to offset ${need}, data ends at ${end}`,
  );
}

/** §4.5: N ≠ N1+N2+N4+N8(+NX) is a warning, not a fatal error. */
export function ioCountWarning(index: number, declared: number, actual: number): string {
  return `record ${index + 1}: IO total N says ${declared}, groups hold ${actual}`;
}
