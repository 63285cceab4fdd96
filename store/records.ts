/**
 * Row codec for the `records` and `frames` tables: TelemetryRecord → one RowBinary row (the
 * ingest hot path: one hand-written serialisation, no intermediate objects) and back.
 *
 * `record_hash` is a 53-bit hash of the record's content — everything the device said, nothing
 * the gateway added (receive time, transport, frame) — so a resend of the same data always gets
 * the same dedup key, whichever packet or connection carried it. It hashes the row's content
 * bytes as written here; rows stored before the RowBinary payload (fleetmeter ≤ 0.1, TabSeparated)
 * hashed the TabSeparated text, so a packet stored by that version and resent after the upgrade
 * is stored once more (a graceful stop acks everything it committed, so only a crash leaves such
 * a packet unacknowledged).
 */
import type { IoElement, IoValue, ProtocolName, TelemetryRecord, Transport } from '../protocols/record.ts';
import { type Column, RowBinaryWriter } from './row-binary.ts';

const DAY_MS = 86_400_000;
/** 2000-01-01T00:00:00Z: device times before this are not plausible (clock not set). */
export const EPOCH_2000_MS = 946_684_800_000;

/**
 * The UTC day a record is partitioned under: its device day when the device time is plausible
 * (not before 2000, not more than a day ahead of receipt), else the receive day. Partitions then
 * stay bounded whatever garbage times a device sends, and a resend lands where the original did.
 */
export function partitionDay(deviceTime: number | null, receivedAt: number): number {
  const t = deviceTime !== null && deviceTime >= EPOCH_2000_MS && deviceTime <= receivedAt + DAY_MS ? deviceTime : receivedAt;
  return Math.floor(t / DAY_MS);
}

/**
 * cyrb53 (public domain), fed four bytes at a time (little-endian words, then the tail byte by
 * byte), over bytes[start, end): fast, well-mixed 53-bit hash, exact as a JS number.
 */
export function hashBytes(bytes: Uint8Array, seed = 0, start = 0, end = bytes.length): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  let i = start;
  for (const last = end - 3; i < last; i += 4) {
    const ch = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  for (; i < end; i++) {
    const ch = bytes[i];
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** IO value kinds as stored in `io_kinds`: closed set, one letter each. */
export const IO_KINDS = ['n', 'b', 's', 't', 'x'] as const;
export type IoKind = (typeof IO_KINDS)[number];

export function ioKind(v: IoValue): IoKind {
  switch (typeof v) {
    case 'number':
      return 'n';
    case 'bigint':
      return 'b';
    case 'string':
      return 's';
    case 'boolean':
      return 't';
    default:
      return 'x';
  }
}

/** An IO value as text, by kind (numbers in decimal, bytes in hex). */
export function ioText(v: IoValue): string {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? String(v) : 'NaN';
    case 'bigint':
      return v.toString();
    case 'string':
      return v;
    case 'boolean':
      return v ? '1' : '0';
    default:
      return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  }
}

function ioValue(kind: string, text: string): IoValue {
  switch (kind) {
    case 'n':
      return Number(text);
    case 'b':
      return BigInt(text);
    case 't':
      return text === '1';
    case 'x':
      return Uint8Array.from(Buffer.from(text, 'hex'));
    default:
      return text;
  }
}

/**
 * IO elements as one JSON text, exact and in the device's order (duplicates kept): an array of
 * `[id, value]` pairs. The id keeps its type (Teltonika numbers, Wialon/JSON names as strings);
 * a value is a JSON number, string or boolean, or a tagged object for what JSON cannot carry
 * exactly: `{"b":"<decimal>"}` 64-bit integer, `{"x":"<hex>"}` bytes, `{"n":"NaN"}` non-finite.
 */
export function ioToText(io: readonly IoElement[]): string {
  let out = '[';
  for (let i = 0; i < io.length; i++) {
    const e = io[i];
    if (i > 0) out += ',';
    out += typeof e.id === 'number' ? '[' + e.id + ',' : '[' + JSON.stringify(e.id) + ',';
    const v = e.value;
    if (typeof v === 'number') out += Number.isFinite(v) ? String(v) : '{"n":"' + String(v) + '"}';
    else if (typeof v === 'string') out += JSON.stringify(v);
    else if (typeof v === 'boolean') out += v ? 'true' : 'false';
    else if (typeof v === 'bigint') out += '{"b":"' + v.toString() + '"}';
    else out += '{"x":"' + Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') + '"}';
    out += ']';
  }
  return out + ']';
}

/** The inverse of `ioToText`. */
export function ioFromText(text: string): IoElement[] {
  const pairs = JSON.parse(text) as [number | string, number | string | boolean | { b?: string; x?: string; n?: string }][];
  return pairs.map(([id, v]) => {
    if (typeof v !== 'object') return { id, value: v };
    if (v.b !== undefined) return { id, value: BigInt(v.b) };
    if (v.x !== undefined) return { id, value: Uint8Array.from(Buffer.from(v.x, 'hex')) };
    return { id, value: Number(v.n) };
  });
}

/**
 * The `records` columns in the order `writeRecordRow` writes them: first what the device said (the
 * content, hashed for the dedup key), then what the gateway added. The types are the table's.
 */
export const RECORD_COLUMNS: readonly Column[] = [
  { name: 'device_id', type: 'String' },
  { name: 'device_ts', type: 'Int64' },
  { name: 'has_device_time', type: 'UInt8' },
  { name: 'protocol', type: 'String' },
  { name: 'latitude', type: 'Nullable(Float64)' },
  { name: 'longitude', type: 'Nullable(Float64)' },
  { name: 'altitude', type: 'Nullable(Float64)' },
  { name: 'speed', type: 'Nullable(Float64)' },
  { name: 'course', type: 'Nullable(Float64)' },
  { name: 'satellites', type: 'Nullable(UInt16)' },
  { name: 'hdop', type: 'Nullable(Float64)' },
  { name: 'valid', type: 'UInt8' },
  { name: 'priority', type: 'Nullable(UInt8)' },
  { name: 'event_id', type: 'Nullable(UInt32)' },
  { name: 'archive', type: 'UInt8' },
  { name: 'io', type: 'String' },
  { name: 'extras', type: 'String' },
  { name: 'day', type: 'Date' },
  { name: 'transport', type: 'String' },
  { name: 'received_ts', type: 'Int64' },
  { name: 'frame_hash', type: 'UInt64' },
  { name: 'record_hash', type: 'UInt64' },
];

/** Writes the IO list as `ioToText` does, straight into the payload (inside a String). */
function writeIo(w: RowBinaryWriter, io: readonly IoElement[]): void {
  const start = w.beginString();
  w.uint8(91); // [
  for (let i = 0; i < io.length; i++) {
    const e = io[i];
    if (i > 0) w.uint8(44); // ,
    w.uint8(91);
    if (typeof e.id === 'number') w.number(e.id);
    else w.jsonString(e.id);
    w.uint8(44);
    const v = e.value;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) w.number(v);
      else w.ascii('{"n":"' + String(v) + '"}');
    } else if (typeof v === 'string') w.jsonString(v);
    else if (typeof v === 'boolean') w.ascii(v ? 'true' : 'false');
    else if (typeof v === 'bigint') w.ascii('{"b":"' + v.toString() + '"}');
    else w.ascii('{"x":"' + Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') + '"}');
    w.uint8(93);
  }
  w.uint8(93); // ]
  w.endString(start);
}

/**
 * Appends one `records` row (columns `RECORD_COLUMNS`) to the payload. The ingest hot path: bytes
 * written in place, no strings built per field or per row; the IO list is one JSON text column
 * (three arrays of strings cost ClickHouse several times more).
 */
export function writeRecordRow(w: RowBinaryWriter, r: TelemetryRecord, transport: Transport, frameHash: number): void {
  const hasTime = r.deviceTime !== null && Number.isSafeInteger(r.deviceTime);
  const start = w.len;
  // Content: what the device said, hashed for the dedup key.
  w.string(r.deviceId);
  w.int64(hasTime ? (r.deviceTime as number) : r.receivedAt);
  w.uint8(hasTime ? 1 : 0);
  w.string(r.protocol);
  w.nullableFloat64(r.latitude);
  w.nullableFloat64(r.longitude);
  w.nullableFloat64(r.altitude);
  w.nullableFloat64(r.speed);
  w.nullableFloat64(r.course);
  w.nullableUInt(r.satellites, 2);
  w.nullableFloat64(r.hdop);
  w.uint8(r.valid ? 1 : 0);
  w.nullableUInt(r.priority, 1);
  w.nullableUInt(r.eventId, 4);
  w.uint8(r.archive ? 1 : 0);
  writeIo(w, r.io);
  if (r.extras) w.string(JSON.stringify(r.extras));
  else w.string('{}');
  // A record without a device time is only "the same" if it also arrived at the same time.
  const hash = hashBytes(w.buf, hasTime ? 0 : 1, start, w.len);
  w.date(partitionDay(hasTime ? r.deviceTime : null, r.receivedAt));
  w.string(transport);
  w.int64(r.receivedAt);
  w.int64(frameHash);
  w.int64(hash);
}

/** `records` rows as one RowBinary payload (tests, tools; ingest uses `writeRecordRow`). */
export function recordRows(records: readonly TelemetryRecord[], transport: Transport, frameHash: number | ((i: number) => number)): Buffer {
  const w = new RowBinaryWriter(1024);
  records.forEach((r, i) => writeRecordRow(w, r, transport, typeof frameHash === 'number' ? frameHash : frameHash(i)));
  return Buffer.from(w.bytes());
}

/** The `frames` columns in the order `writeFrameRow` writes them. */
export const FRAME_COLUMNS: readonly Column[] = [
  { name: 'device_id', type: 'String' },
  { name: 'day', type: 'Date' },
  { name: 'frame_hash', type: 'UInt64' },
  { name: 'protocol', type: 'String' },
  { name: 'transport', type: 'String' },
  { name: 'received_ts', type: 'Int64' },
  { name: 'bytes', type: 'String' },
];

/** A `frames` row's raw bytes as lowercase hex, whichever column holds them (`bytes`, or `bytes_hex` before migration 0004). */
export const FRAME_HEX_SQL = `if(bytes_hex != '', bytes_hex, lower(hex(bytes)))`;

/** Appends one `frames` row (columns `FRAME_COLUMNS`) to the payload. */
export function writeFrameRow(w: RowBinaryWriter, deviceId: string, protocol: ProtocolName, transport: Transport, receivedAt: number, frameHash: number, bytes: Uint8Array): void {
  w.string(deviceId);
  w.date(Math.floor(receivedAt / DAY_MS));
  w.int64(frameHash);
  w.string(protocol);
  w.string(transport);
  w.int64(receivedAt);
  w.bytesString(bytes);
}

/** One `frames` row as a RowBinary payload. */
export function frameRow(deviceId: string, protocol: ProtocolName, transport: Transport, receivedAt: number, frameHash: number, bytes: Uint8Array): Buffer {
  const w = new RowBinaryWriter(bytes.length + 128);
  writeFrameRow(w, deviceId, protocol, transport, receivedAt, frameHash, bytes);
  return Buffer.from(w.bytes());
}

/** A `records` row as read back (SELECT * … FORMAT JSONEachRow, 64-bit integers quoted). */
export interface RecordRow {
  device_id: string;
  day: string;
  device_ts: string | number;
  has_device_time: number;
  protocol: string;
  transport: string;
  received_ts: string | number;
  latitude: number | null;
  longitude: number | null;
  altitude: number | null;
  speed: number | null;
  course: number | null;
  satellites: number | null;
  hdop: number | null;
  valid: number;
  priority: number | null;
  event_id: number | null;
  archive: number;
  /** IO elements (`ioToText`); '' on rows stored before migration 0003, which used the arrays below. */
  io: string;
  io_ids: string[];
  io_kinds: string[];
  io_values: string[];
  extras: string;
  frame_hash: string;
  record_hash: string;
}

/** A stored row's IO elements: from `io`, or from the arrays on rows stored before migration 0003. */
export function rowIo(row: Pick<RecordRow, 'protocol' | 'io' | 'io_ids' | 'io_kinds' | 'io_values'>): IoElement[] {
  if (row.io) return ioFromText(row.io);
  return row.io_ids.map((id, i) => ({
    id: row.protocol === 'teltonika' && /^\d+$/.test(id) ? Number(id) : id,
    value: ioValue(row.io_kinds[i], row.io_values[i]),
  }));
}

export function rowToRecord(row: RecordRow): TelemetryRecord & { transport: string; frameHash: string; recordHash: string } {
  const protocol = row.protocol as ProtocolName;
  const io = rowIo(row);
  const extras = JSON.parse(row.extras || '{}') as TelemetryRecord['extras'];
  return {
    protocol,
    deviceId: row.device_id,
    deviceTime: row.has_device_time ? Number(row.device_ts) : null,
    receivedAt: Number(row.received_ts),
    latitude: row.latitude,
    longitude: row.longitude,
    altitude: row.altitude,
    speed: row.speed,
    course: row.course,
    satellites: row.satellites,
    hdop: row.hdop,
    valid: row.valid === 1,
    priority: row.priority,
    eventId: row.event_id,
    io,
    archive: row.archive === 1,
    extras: extras && Object.keys(extras).length > 0 ? extras : undefined,
    transport: row.transport,
    frameHash: row.frame_hash,
    recordHash: row.record_hash,
  };
}
