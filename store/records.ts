/**
 * Row codec for the `records` and `frames` tables: TelemetryRecord → one TabSeparated line (the
 * ingest hot path: one hand-written serialisation, no intermediate objects) and back.
 *
 * `record_hash` is a 53-bit hash of the record's content — everything the device said, nothing
 * the gateway added (receive time, transport, frame) — so a resend of the same data always gets
 * the same dedup key, whichever packet or connection carried it.
 */
import type { IoElement, IoValue, ProtocolName, TelemetryRecord, Transport } from '../protocols/record.ts';
import { TsvWriter } from './tsv-writer.ts';

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

let lastDayNumber = NaN;
let lastDayText = '';
/** 'YYYY-MM-DD' of a UTC day number; memoised for the last day (a batch is mostly one day). */
function isoDay(dayNumber: number): string {
  if (dayNumber !== lastDayNumber) {
    lastDayText = new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
    lastDayNumber = dayNumber;
  }
  return lastDayText;
}

/** cyrb53 (public domain) over bytes: fast, well-mixed 53-bit hash, exact as a JS number. */
export function hashBytes(bytes: Uint8Array, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < bytes.length; i++) {
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

/** TabSeparated escaping (ClickHouse input rules): backslash, tab, line feed, carriage return. */
export function tsvEscape(text: string): string {
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : text;
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
 * The `records` columns in the order `recordTsv` writes them: first what the device said (the
 * content, hashed for the dedup key), then what the gateway added.
 */
export const RECORD_COLUMNS = [
  'device_id', 'device_ts', 'has_device_time', 'protocol', 'latitude', 'longitude', 'altitude', 'speed', 'course', 'satellites', 'hdop',
  'valid', 'priority', 'event_id', 'archive', 'io', 'extras',
  'day', 'transport', 'received_ts', 'frame_hash', 'record_hash',
] as const;

/** Writes the IO list as `ioToText` does, TabSeparated-escaped, straight into the payload. */
function writeIo(w: TsvWriter, io: readonly IoElement[]): void {
  w.byte(91); // [
  for (let i = 0; i < io.length; i++) {
    const e = io[i];
    if (i > 0) w.byte(44); // ,
    w.byte(91);
    if (typeof e.id === 'number') w.number(e.id);
    else w.jsonString(e.id);
    w.byte(44);
    const v = e.value;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) w.number(v);
      else w.ascii('{"n":"' + String(v) + '"}');
    } else if (typeof v === 'string') w.jsonString(v);
    else if (typeof v === 'boolean') w.ascii(v ? 'true' : 'false');
    else if (typeof v === 'bigint') w.ascii('{"b":"' + v.toString() + '"}');
    else w.ascii('{"x":"' + Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') + '"}');
    w.byte(93);
  }
  w.byte(93); // ]
}

/**
 * Appends one `records` row (columns `RECORD_COLUMNS`, newline-terminated) to the payload. The
 * ingest hot path: bytes written in place, no strings built per field or per row; TSV is the text
 * format ClickHouse parses fastest, and the IO list is one column (three arrays of strings cost
 * the parser several times more).
 */
export function writeRecordTsv(w: TsvWriter, r: TelemetryRecord, transport: Transport, frameHash: number): void {
  const hasTime = r.deviceTime !== null && Number.isSafeInteger(r.deviceTime);
  const start = w.len;
  // Content: what the device said, hashed for the dedup key.
  w.text(r.deviceId);
  w.tab();
  w.integer(hasTime ? (r.deviceTime as number) : r.receivedAt);
  w.ascii(hasTime ? '\t1\t' : '\t0\t');
  w.ascii(r.protocol);
  w.tab();
  w.nullableNumber(r.latitude);
  w.tab();
  w.nullableNumber(r.longitude);
  w.tab();
  w.nullableNumber(r.altitude);
  w.tab();
  w.nullableNumber(r.speed);
  w.tab();
  w.nullableNumber(r.course);
  w.tab();
  w.nullableNumber(r.satellites);
  w.tab();
  w.nullableNumber(r.hdop);
  w.ascii(r.valid ? '\t1\t' : '\t0\t');
  w.nullableNumber(r.priority);
  w.tab();
  w.nullableNumber(r.eventId);
  w.ascii(r.archive ? '\t1\t' : '\t0\t');
  writeIo(w, r.io);
  w.tab();
  if (r.extras) w.text(JSON.stringify(r.extras));
  else w.ascii('{}');
  // A record without a device time is only "the same" if it also arrived at the same time.
  const hash = hashBytes(w.buf.subarray(start, w.len), hasTime ? 0 : 1);
  w.tab();
  w.ascii(isoDay(partitionDay(hasTime ? r.deviceTime : null, r.receivedAt)));
  w.tab();
  w.ascii(transport);
  w.tab();
  w.integer(r.receivedAt);
  w.tab();
  w.integer(frameHash);
  w.tab();
  w.integer(hash);
  w.newline();
}

/** One `records` row as a TabSeparated line with its newline (tests, tools; ingest uses `writeRecordTsv`). */
export function recordTsv(r: TelemetryRecord, transport: Transport, frameHash: number): string {
  const w = new TsvWriter(1024);
  writeRecordTsv(w, r, transport, frameHash);
  return w.toString();
}

export const FRAME_COLUMNS = ['device_id', 'day', 'frame_hash', 'protocol', 'transport', 'received_ts', 'bytes_hex'] as const;

/** Appends one `frames` row (columns `FRAME_COLUMNS`, newline-terminated) to the payload. */
export function writeFrameTsv(w: TsvWriter, deviceId: string, protocol: ProtocolName, transport: Transport, receivedAt: number, frameHash: number, bytes: Uint8Array): void {
  w.text(deviceId);
  w.tab();
  w.ascii(isoDay(Math.floor(receivedAt / DAY_MS)));
  w.tab();
  w.integer(frameHash);
  w.tab();
  w.ascii(protocol);
  w.tab();
  w.ascii(transport);
  w.tab();
  w.integer(receivedAt);
  w.tab();
  w.hex(bytes);
  w.newline();
}

/** One `frames` row as a TabSeparated line with its newline. */
export function frameTsv(deviceId: string, protocol: ProtocolName, transport: Transport, receivedAt: number, frameHash: number, bytes: Uint8Array): string {
  const w = new TsvWriter(bytes.length * 2 + 128);
  writeFrameTsv(w, deviceId, protocol, transport, receivedAt, frameHash, bytes);
  return w.toString();
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
