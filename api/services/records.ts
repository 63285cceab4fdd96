/**
 * A device's stored records over a time range, newest first, keyset-paged, each with the raw frame
 * that carried it (for disputes). Reads `records FINAL` (resends collapsed) and `frames`.
 */
import { sqlNumber, sqlString } from '../../store/sql.ts';
import type { Store } from '../../store/types.ts';
import { FRAME_HEX_SQL, ioKind, ioText, rowIo, type RecordRow } from '../../store/records.ts';
import { ApiError } from '../errors.ts';
import { decodeCursor, encodeCursor, type Page } from './list.ts';
import { LIMIT_DEFAULT } from '../schemas/common.ts';

export interface RecordQuery {
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
  readonly cursor?: string;
  readonly frames?: boolean;
}

const SORT = '-deviceTime';

/** The page query, as text (tested without a database). */
export function recordsPageSql(deviceId: string, q: { fromMs?: number; toMs?: number; after?: { ts: number; hash: bigint } }, limit: number): string {
  const c = [`device_id = ${sqlString(deviceId)}`];
  if (q.fromMs !== undefined) c.push(`device_ts >= ${sqlNumber(q.fromMs)}`);
  if (q.toMs !== undefined) c.push(`device_ts < ${sqlNumber(q.toMs)}`);
  if (q.after !== undefined) c.push(`(device_ts < ${sqlNumber(q.after.ts)} OR (device_ts = ${sqlNumber(q.after.ts)} AND record_hash < ${sqlNumber(q.after.hash)}))`);
  return `SELECT * FROM records FINAL WHERE ${c.join(' AND ')} ORDER BY device_ts DESC, record_hash DESC LIMIT ${limit + 1}`;
}

export function framesSql(deviceId: string, hashes: readonly string[]): string {
  return `SELECT toString(frame_hash) AS hash, toString(received_ts) AS received, transport, ${FRAME_HEX_SQL} AS bytes_hex FROM frames FINAL WHERE device_id = ${sqlString(deviceId)} AND frame_hash IN (${hashes.map((h) => sqlNumber(BigInt(h))).join(', ')})`;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class RecordsService {
  constructor(private readonly store: Store) {}

  async list(deviceId: string, q: RecordQuery) {
    const fromMs = q.from === undefined ? undefined : Date.parse(q.from);
    const toMs = q.to === undefined ? undefined : Date.parse(q.to);
    if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) throw new ApiError('FM_ERR_VALIDATION', `to: must be after from (${q.from}), got ${q.to}`, { field: 'to' });
    let after: { ts: number; hash: bigint } | undefined;
    if (q.cursor !== undefined) {
      const c = decodeCursor(q.cursor, SORT);
      if (typeof c.v !== 'number' || !/^\d+$/.test(c.i)) throw new ApiError('FM_ERR_VALIDATION', 'cursor: not a cursor this API issued', { field: 'cursor' });
      after = { ts: c.v, hash: BigInt(c.i) };
    }
    const limit = q.limit ?? LIMIT_DEFAULT;
    const rows = await this.store.query<RecordRow>(recordsPageSql(deviceId, { fromMs, toMs, after }, limit));
    const pageRows = rows.slice(0, limit);
    const frames = new Map<string, { hash: string; receivedAt: string; transport: string; hex: string }>();
    if ((q.frames ?? true) && pageRows.length > 0) {
      const hashes = [...new Set(pageRows.map((r) => String(r.frame_hash)))];
      for (const f of await this.store.query<{ hash: string; received: string; transport: string; bytes_hex: string }>(framesSql(deviceId, hashes))) {
        frames.set(f.hash, { hash: f.hash, receivedAt: iso(Number(f.received)), transport: f.transport, hex: f.bytes_hex });
      }
    }
    const items = pageRows.map((r) => ({
      deviceTime: r.has_device_time ? iso(Number(r.device_ts)) : null,
      receivedAt: iso(Number(r.received_ts)),
      protocol: r.protocol,
      transport: r.transport,
      latitude: r.latitude,
      longitude: r.longitude,
      altitude: r.altitude,
      speed: r.speed,
      course: r.course,
      satellites: r.satellites,
      hdop: r.hdop,
      valid: r.valid === 1,
      priority: r.priority,
      eventId: r.event_id,
      archive: r.archive === 1,
      io: rowIo(r).map((e) => ({ id: String(e.id), kind: ioKind(e.value), value: ioText(e.value) })),
      extras: JSON.parse(r.extras || '{}') as unknown,
      recordHash: String(r.record_hash),
      frame: frames.get(String(r.frame_hash)) ?? null,
    }));
    const last = pageRows[pageRows.length - 1];
    const page: Page<(typeof items)[number]> = {
      items,
      nextCursor: rows.length > limit && last !== undefined ? encodeCursor({ s: SORT, v: Number(last.device_ts), i: String(last.record_hash) }) : null,
    };
    return page;
  }
}
