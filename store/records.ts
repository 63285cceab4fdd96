/**
 * Row codec for the `records` and `frames` tables: TelemetryRecord → one JSONEachRow line (the
 * ingest hot path: one hand-written serialisation, no intermediate objects) and back.
 *
 * `record_hash` is a 53-bit hash of the record's content — everything the device said, nothing
 * the gateway added (receive time, transport, frame) — so a resend of the same data always gets
 * the same dedup key, whichever packet or connection carried it.
 */
import type { IoElement, IoValue, ProtocolName, TelemetryRecord, Transport } from '../protocols/record.ts';

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

/** cyrb53 (public domain): fast, well-mixed 53-bit string hash; exact as a JS number. */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The same hash over bytes (raw frames). */
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

const num = (v: number | null): string => (v === null || !Number.isFinite(v) ? 'null' : String(v));

/** IO value kinds as stored in `io_kinds`: closed set, one letter each. */
export const IO_KINDS = ['n', 'b', 's', 't', 'x'] as const;
export type IoKind = (typeof IO_KINDS)[number];

function ioKind(v: IoValue): IoKind {
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

function ioText(v: IoValue): string {
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

/** One `records` row as a JSON line (no trailing newline). */
export function recordRow(r: TelemetryRecord, transport: Transport, frameHash: number): string {
  const io = r.io;
  let ids = '[';
  let kinds = '[';
  let values = '[';
  for (let i = 0; i < io.length; i++) {
    const e = io[i];
    if (i > 0) {
      ids += ',';
      kinds += ',';
      values += ',';
    }
    ids += typeof e.id === 'number' ? '"' + e.id + '"' : JSON.stringify(e.id);
    const v = e.value;
    // Numbers (the common case) need no JSON escaping: skip JSON.stringify on the hot path.
    if (typeof v === 'number' && Number.isFinite(v)) {
      kinds += '"n"';
      values += '"' + v + '"';
    } else {
      kinds += '"' + ioKind(v) + '"';
      values += JSON.stringify(ioText(v));
    }
  }
  const hasTime = r.deviceTime !== null && Number.isSafeInteger(r.deviceTime);
  // Content part: what the device said. Hashed for the dedup key.
  const content =
    '{"device_id":' + JSON.stringify(r.deviceId) +
    ',"device_ts":' + (hasTime ? r.deviceTime : r.receivedAt) +
    ',"has_device_time":' + (hasTime ? 1 : 0) +
    ',"protocol":"' + r.protocol +
    '","latitude":' + num(r.latitude) +
    ',"longitude":' + num(r.longitude) +
    ',"altitude":' + num(r.altitude) +
    ',"speed":' + num(r.speed) +
    ',"course":' + num(r.course) +
    ',"satellites":' + num(r.satellites) +
    ',"hdop":' + num(r.hdop) +
    ',"valid":' + (r.valid ? 1 : 0) +
    ',"priority":' + num(r.priority) +
    ',"event_id":' + num(r.eventId) +
    ',"archive":' + (r.archive ? 1 : 0) +
    ',"io_ids":' + ids + ']' +
    ',"io_kinds":' + kinds + ']' +
    ',"io_values":' + values + ']' +
    ',"extras":' + JSON.stringify(r.extras ? JSON.stringify(r.extras) : '{}');
  // A record without a device time is only "the same" if it also arrived at the same time.
  const hash = hasTime ? hash53(content) : hash53(content, 1);
  return (
    content +
    ',"day":"' + isoDay(partitionDay(hasTime ? r.deviceTime : null, r.receivedAt)) +
    '","transport":"' + transport +
    '","received_ts":' + r.receivedAt +
    ',"frame_hash":"' + frameHash +
    '","record_hash":"' + hash + '"}'
  );
}

/** One `frames` row as a JSON line. */
export function frameRow(deviceId: string, protocol: ProtocolName, transport: Transport, receivedAt: number, frameHash: number, bytes: Uint8Array): string {
  return (
    '{"device_id":' + JSON.stringify(deviceId) +
    ',"day":"' + isoDay(Math.floor(receivedAt / DAY_MS)) +
    '","frame_hash":"' + frameHash +
    '","protocol":"' + protocol +
    '","transport":"' + transport +
    '","received_ts":' + receivedAt +
    ',"bytes_hex":"' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') + '"}'
  );
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
  io_ids: string[];
  io_kinds: string[];
  io_values: string[];
  extras: string;
  frame_hash: string;
  record_hash: string;
}

export function rowToRecord(row: RecordRow): TelemetryRecord & { transport: string; frameHash: string; recordHash: string } {
  const protocol = row.protocol as ProtocolName;
  const io: IoElement[] = row.io_ids.map((id, i) => ({
    id: protocol === 'teltonika' && /^\d+$/.test(id) ? Number(id) : id,
    value: ioValue(row.io_kinds[i], row.io_values[i]),
  }));
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
