/**
 * The audit trail: every change made through the API, with who (API key id), when, and the
 * entity before and after. Append-only in ClickHouse (`api_audit`).
 */
import { randomUUID } from 'node:crypto';
import { sqlNumber, sqlString } from '../../store/sql.ts';
import type { Store } from '../../store/types.ts';
import { type ListParams, type Page, decodeCursor, encodeCursor } from './list.ts';
import { LIMIT_DEFAULT } from '../schemas/common.ts';

/** Who made a change: the API key and the request (for correlating with logs). */
export interface Actor {
  readonly keyId: string;
  readonly requestId: string;
}

export interface AuditEntry {
  readonly id: string;
  readonly at: string;
  readonly keyId: string;
  readonly action: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly requestId: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface AuditFilter {
  readonly entityType?: string;
  readonly entityId?: string;
  readonly keyId?: string;
  readonly from?: string;
  readonly to?: string;
}

interface Row {
  at_ms: string;
  audit_id: string;
  key_id: string;
  action: string;
  entity_type: string;
  entity_id: string;
  request_id: string;
  before: string;
  after: string;
}

export function auditWhere(f: AuditFilter): string {
  const c: string[] = [];
  if (f.entityType !== undefined) c.push(`entity_type = ${sqlString(f.entityType)}`);
  if (f.entityId !== undefined) c.push(`entity_id = ${sqlString(f.entityId)}`);
  if (f.keyId !== undefined) c.push(`key_id = ${sqlString(f.keyId)}`);
  if (f.from !== undefined) c.push(`ts >= ${sqlNumber(Date.parse(f.from))}`);
  if (f.to !== undefined) c.push(`ts < ${sqlNumber(Date.parse(f.to))}`);
  return c.length === 0 ? '' : `WHERE ${c.join(' AND ')}`;
}

export class AuditLog {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async record(actor: Actor, action: string, entityType: string, entityId: string, before: unknown, after: unknown): Promise<void> {
    const ts = this.now();
    await this.store.insert('api_audit', [
      {
        ts,
        day: new Date(ts).toISOString().slice(0, 10),
        audit_id: randomUUID(),
        key_id: actor.keyId,
        action,
        entity_type: entityType,
        entity_id: entityId,
        request_id: actor.requestId,
        before: JSON.stringify(before ?? null),
        after: JSON.stringify(after ?? null),
      },
    ]);
  }

  /** Newest first (sort -at) or oldest first (at); keyset-paged in SQL. */
  async list(filter: AuditFilter, params: ListParams): Promise<Page<AuditEntry>> {
    const sort = params.sort ?? '-at';
    const desc = sort === '-at';
    const limit = params.limit ?? LIMIT_DEFAULT;
    const where = auditWhere(filter);
    const parts = where === '' ? [] : [where.slice('WHERE '.length)];
    if (params.cursor !== undefined) {
      const c = decodeCursor(params.cursor, sort);
      const op = desc ? '<' : '>';
      parts.push(`(ts ${op} ${sqlNumber(Number(c.v))} OR (ts = ${sqlNumber(Number(c.v))} AND audit_id ${op} ${sqlString(c.i)}))`);
    }
    const dir = desc ? 'DESC' : 'ASC';
    const rows = await this.store.query<Row>(
      `SELECT toString(ts) AS at_ms, audit_id, key_id, action, entity_type, entity_id, request_id, before, after FROM api_audit ${parts.length ? `WHERE ${parts.join(' AND ')}` : ''} ORDER BY ts ${dir}, audit_id ${dir} LIMIT ${limit + 1}`,
    );
    const items = rows.slice(0, limit).map((r) => ({
      id: r.audit_id,
      at: new Date(Number(r.at_ms)).toISOString(),
      keyId: r.key_id,
      action: r.action,
      entityType: r.entity_type,
      entityId: r.entity_id,
      requestId: r.request_id,
      before: JSON.parse(r.before) as unknown,
      after: JSON.parse(r.after) as unknown,
    }));
    const last = rows[limit - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ s: sort, v: Number(last.at_ms), i: last.audit_id }) : null };
  }
}
