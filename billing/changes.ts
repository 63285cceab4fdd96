/**
 * The change feed: every billing event (`billing_events`) and every configuration change made
 * through the API that shapes a bill (the audit log's account, device and tariff entries), merged
 * into one stream in `(ts, id)` order. A client (a 1C exchange job) keeps the opaque `nextCursor`
 * and asks again with it; after any failure it resumes from the last cursor it stored, and gets
 * every change after it exactly once more.
 *
 * Only changes at least `settleMs` old are listed, so a change committed late by a slower
 * instance (with an earlier timestamp) is not skipped by a reader that has already moved past it.
 */
import { sqlNumber, sqlString, sqlStringList } from '../store/sql.ts';
import type { Store } from '../store/types.ts';
import { type BillingEvents } from './events.ts';

/** Audit entity types the feed carries (API keys and webhook settings are not billing changes). */
export const FEED_AUDIT_ENTITIES = ['account', 'device', 'tariff'] as const;
/** Audit entries appear with type `audit.<action>`, e.g. `audit.device.assign`. */
export const AUDIT_TYPE_PREFIX = 'audit.';

export interface Change {
  readonly id: string;
  readonly type: string;
  readonly source: 'event' | 'audit';
  readonly createdAt: string;
  readonly accountId: string | null;
  readonly subject: string;
  readonly data: unknown;
}

export interface ChangePage {
  readonly items: Change[];
  /** Where to continue; the same cursor when nothing new (poll again with it). */
  readonly nextCursor: string;
  readonly hasMore: boolean;
}

interface Position {
  readonly ts: number;
  readonly id: string;
}

const CURSOR_TAG = 'chg1';

export function encodeChangeCursor(p: Position): string {
  return Buffer.from(JSON.stringify([CURSOR_TAG, p.ts, p.id])).toString('base64url');
}

/** The position of a cursor this feed issued; null for a string that is not one. */
export function decodeChangeCursor(text: string): Position | null {
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 3 && v[0] === CURSOR_TAG && Number.isSafeInteger(v[1]) && typeof v[2] === 'string') return { ts: v[1] as number, id: v[2] as string };
  } catch {
    /* not ours */
  }
  return null;
}

export interface ChangeQuery {
  readonly after: Position | null;
  readonly limit: number;
  readonly types?: readonly string[];
  readonly accountId?: string;
}

const cmp = (a: Position, b: Position) => (a.ts !== b.ts ? a.ts - b.ts : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function auditFeedSql(q: ChangeQuery, until: number, actions: readonly string[] | null): string {
  const where = [`entity_type IN ${sqlStringList(FEED_AUDIT_ENTITIES)}`, `ts <= ${sqlNumber(until)}`];
  if (q.after !== null) where.push(`(ts > ${sqlNumber(q.after.ts)} OR (ts = ${sqlNumber(q.after.ts)} AND audit_id > ${sqlString(q.after.id)}))`);
  if (actions !== null) where.push(`action IN ${sqlStringList(actions)}`);
  // Account-scoped: changes of the account itself, and device/tariff changes naming it.
  if (q.accountId !== undefined) {
    where.push(`((entity_type = 'account' AND entity_id = ${sqlString(q.accountId)}) OR (entity_type != 'account' AND position(after, ${sqlString(`"accountId":${JSON.stringify(q.accountId)}`)}) > 0))`);
  }
  return (
    `SELECT ts, audit_id, action, entity_type, entity_id, key_id, before, after FROM api_audit WHERE ${where.join(' AND ')} ` +
    `ORDER BY ts, audit_id LIMIT ${sqlNumber(q.limit)}`
  );
}

export class ChangeFeed {
  constructor(
    private readonly store: Store,
    private readonly events: BillingEvents,
    private readonly settleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async page(q: ChangeQuery): Promise<ChangePage> {
    const eventTypes = q.types?.filter((t) => !t.startsWith(AUDIT_TYPE_PREFIX));
    const auditActions = q.types?.filter((t) => t.startsWith(AUDIT_TYPE_PREFIX)).map((t) => t.slice(AUDIT_TYPE_PREFIX.length));
    const wantEvents = q.types === undefined || eventTypes!.length > 0;
    const wantAudit = q.types === undefined || auditActions!.length > 0;
    const until = this.now() - this.settleMs;
    const fetch = q.limit + 1;
    const events = wantEvents ? await this.events.after(q.after, { limit: fetch, types: eventTypes, accountId: q.accountId, settleMs: this.settleMs }) : [];
    const audit = wantAudit
      ? await this.store.query<{ ts: string; audit_id: string; action: string; entity_type: string; entity_id: string; key_id: string; before: string; after: string }>(
          auditFeedSql({ ...q, limit: fetch }, until, q.types === undefined ? null : auditActions!),
        )
      : [];
    const merged: (Change & { pos: Position })[] = [
      ...events.map((e) => ({
        pos: { ts: e.ts, id: e.id },
        id: e.id,
        type: e.type as string,
        source: 'event' as const,
        createdAt: new Date(e.ts).toISOString(),
        accountId: e.accountId === '' ? null : e.accountId,
        subject: e.subject,
        data: e.data,
      })),
      ...audit.map((r) => {
        const after = JSON.parse(r.after) as { accountId?: unknown } | null;
        const accountId = r.entity_type === 'account' ? r.entity_id : typeof after?.accountId === 'string' ? after.accountId : null;
        return {
          pos: { ts: Number(r.ts), id: r.audit_id },
          id: r.audit_id,
          type: `${AUDIT_TYPE_PREFIX}${r.action}`,
          source: 'audit' as const,
          createdAt: new Date(Number(r.ts)).toISOString(),
          accountId,
          subject: `${r.entity_type}:${r.entity_id}`,
          data: { entityType: r.entity_type, entityId: r.entity_id, keyId: r.key_id, before: JSON.parse(r.before) as unknown, after },
        };
      }),
    ].sort((a, b) => cmp(a.pos, b.pos));
    const items = merged.slice(0, q.limit);
    const last = items[items.length - 1];
    const next = last !== undefined ? last.pos : q.after;
    return {
      items: items.map(({ pos: _pos, ...c }) => c),
      nextCursor: next === null ? encodeChangeCursor({ ts: 0, id: '' }) : encodeChangeCursor(next),
      hasMore: merged.length > q.limit,
    };
  }
}
