/**
 * Billing events: the one record of every billing-relevant fact (a device discovered, a statement
 * closed, a payment received, an account suspended …). Stored in ClickHouse (`billing_events`), so
 * every gateway instance sees the same list. It feeds three consumers:
 *
 * - the change feed (`GET /v1/changes?after=<cursor>`), read in `(ts, event_id)` order;
 * - webhook deliveries (an outbox: each subscription delivers events it has not yet delivered);
 * - e-mail (statements, warnings).
 *
 * Publishing is idempotent: an event's id is derived from the fact it records (e.g.
 * `statement.closed:acme:2026-10`), so publishing the same fact twice — a retried job, two
 * instances racing — leaves one event. `ReplacingMergeTree(rank)` keeps the first publication
 * (rank falls as ts grows); readers use FINAL.
 */
import { createHash } from 'node:crypto';
import { sqlNumber, sqlString, sqlStringList } from '../store/sql.ts';
import type { Migration, Store } from '../store/types.ts';

export const BILLING_EVENT_TYPES = [
  'device.discovered',
  'device.silent',
  'account.suspension_warning',
  'account.suspended',
  'account.reactivated',
  'statement.closed',
  'payment.received',
  'payment.reversed',
  'reconcile.mismatch',
] as const;
export type BillingEventType = (typeof BILLING_EVENT_TYPES)[number];

export interface BillingEventInput {
  readonly type: BillingEventType;
  /** The fact's identity within its type, e.g. `acme:2026-10` for a statement; the event id derives from it. */
  readonly key: string;
  /** The account it concerns ('' when none, e.g. a device not yet assigned). */
  readonly accountId: string;
  /** What it is about: a statement id, a device id, a payment id. */
  readonly subject: string;
  /** The event body as sent to webhooks and shown in the change feed (JSON-serialisable). */
  readonly data: { readonly [key: string]: unknown };
}

export interface BillingEvent extends BillingEventInput {
  readonly id: string;
  /** Epoch ms of the (first) publication. */
  readonly ts: number;
}

/** A deterministic event id: the same fact always gets the same id. */
export function eventId(type: BillingEventType, key: string): string {
  return 'evt_' + createHash('sha256').update(type).update('\0').update(key).digest('hex').slice(0, 32);
}

export const EVENTS_TABLE = 'billing_events';
/** Larger than any epoch ms we will see; rank = RANK_BASE - ts keeps the earliest publication. */
const RANK_BASE = 9_000_000_000_000_000n;

export const eventMigrations: readonly Migration[] = [
  {
    id: '0401_billing_events',
    statements: [
      `CREATE TABLE IF NOT EXISTS ${EVENTS_TABLE} (
        event_id String,
        ts Int64,
        day Date,
        type String,
        account_id String,
        subject String,
        data String,
        rank UInt64
      ) ENGINE = ReplacingMergeTree(rank) PARTITION BY toYYYYMM(day) ORDER BY event_id`,
    ],
  },
];

interface Row {
  event_id: string;
  ts: string;
  type: string;
  account_id: string;
  subject: string;
  data: string;
}

const toEvent = (r: Row, key = ''): BillingEvent => ({
  id: r.event_id,
  ts: Number(r.ts),
  type: r.type as BillingEventType,
  key,
  accountId: r.account_id,
  subject: r.subject,
  data: JSON.parse(r.data) as { [key: string]: unknown },
});

export interface EventListener {
  (events: readonly BillingEvent[]): void;
}

export class BillingEvents {
  private readonly listeners = new Set<EventListener>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records events (idempotently, see the module note) and tells in-process listeners (e.g. the
   * webhook dispatcher, so it delivers without waiting for its next poll). Resolves once committed,
   * with the events newly recorded (a fact already recorded is not returned again).
   */
  async publish(inputs: readonly BillingEventInput[]): Promise<BillingEvent[]> {
    if (inputs.length === 0) return [];
    const ts = this.now();
    // Facts already recorded are not written again: a reader past the first publication must not see
    // a second one with a later ts (FINAL would collapse them, but a filter on ts can see either row).
    const wanted = new Map<string, BillingEvent>();
    for (const e of inputs) wanted.set(eventId(e.type, e.key), { ...e, id: eventId(e.type, e.key), ts });
    const existing = await this.store.query<{ event_id: string }>(
      `SELECT DISTINCT event_id FROM ${EVENTS_TABLE} WHERE event_id IN ${sqlStringList([...wanted.keys()])}`,
    );
    for (const r of existing) wanted.delete(r.event_id);
    const events = [...wanted.values()];
    if (events.length === 0) return [];
    const day = new Date(ts).toISOString().slice(0, 10);
    await this.store.insert(
      EVENTS_TABLE,
      events.map((e) => ({
        event_id: e.id,
        ts,
        day,
        type: e.type,
        account_id: e.accountId,
        subject: e.subject,
        data: JSON.stringify(e.data),
        rank: (RANK_BASE - BigInt(ts)).toString(),
      })),
    );
    for (const l of this.listeners) {
      try {
        l(events);
      } catch {
        /* a listener's failure is its own; the events are committed */
      }
    }
    return events;
  }

  onPublish(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events by id (first publication of each). */
  async get(ids: readonly string[]): Promise<BillingEvent[]> {
    if (ids.length === 0) return [];
    const rows = await this.store.query<Row>(
      `SELECT event_id, ts, type, account_id, subject, data FROM ${EVENTS_TABLE} FINAL WHERE event_id IN ${sqlStringList(ids)} ORDER BY ts, event_id`,
    );
    return rows.map((r) => toEvent(r));
  }

  /**
   * Events after the cursor position `(ts, id)` in order, at most `limit`, optionally for one
   * account and some types. Only events at least `settleMs` old are returned, so an event
   * committed late by a slower instance with an earlier ts is not skipped by a reader that has
   * already moved past it.
   */
  async after(
    cursor: { ts: number; id: string } | null,
    opts: { limit: number; accountId?: string; types?: readonly string[]; settleMs?: number },
  ): Promise<BillingEvent[]> {
    const rows = await this.store.query<Row>(
      `SELECT event_id, ts, type, account_id, subject, data FROM ${EVENTS_TABLE} FINAL WHERE ${this.afterWhere(cursor, opts)} ORDER BY ts, event_id LIMIT ${sqlNumber(opts.limit)}`,
    );
    return rows.map((r) => toEvent(r));
  }

  /** How many events `after` would return without a limit, and the time of the first (null: none). */
  async countAfter(cursor: { ts: number; id: string } | null, opts: { types?: readonly string[]; settleMs?: number } = {}): Promise<{ count: number; oldest: number | null }> {
    const rows = await this.store.query<{ n: string; oldest: string }>(`SELECT count() AS n, toString(min(ts)) AS oldest FROM ${EVENTS_TABLE} FINAL WHERE ${this.afterWhere(cursor, opts)}`);
    const count = Number(rows[0]?.n ?? 0);
    return { count, oldest: count === 0 ? null : Number(rows[0].oldest) };
  }

  private afterWhere(cursor: { ts: number; id: string } | null, opts: { accountId?: string; types?: readonly string[]; settleMs?: number }): string {
    const where: string[] = [`ts <= ${sqlNumber(this.now() - (opts.settleMs ?? 0))}`];
    if (cursor !== null) where.push(`(ts > ${sqlNumber(cursor.ts)} OR (ts = ${sqlNumber(cursor.ts)} AND event_id > ${sqlString(cursor.id)}))`);
    if (opts.accountId !== undefined) where.push(`account_id = ${sqlString(opts.accountId)}`);
    if (opts.types !== undefined && opts.types.length > 0) where.push(`type IN ${sqlStringList(opts.types)}`);
    return where.join(' AND ');
  }
}
