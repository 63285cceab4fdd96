/**
 * At-least-once delivery of billing events to consumers (a webhook subscription, the e-mail
 * sender), from the persistent outbox that `billing_events` is. Per consumer, in ClickHouse:
 *
 * - a cursor (`billing_delivery_cursors`): the position in the event stream up to which every
 *   event the consumer wants has a delivery row;
 * - a delivery row per event (`billing_deliveries`, newest `version` wins): pending, delivered,
 *   skipped or failed, attempts, when to try next, the last status and error;
 * - an attempt log (`billing_delivery_attempts`, append-only): every try, its status, error, time.
 *
 * A pass (run by the dispatch job, under the scheduler's lease, so one instance delivers at a
 * time) first turns new events into pending rows and moves the cursor, then tries the pending
 * rows that are due, oldest event first. Success marks the row delivered; a failure schedules the
 * next try with exponential backoff and jitter. Everything is in ClickHouse, so a restart — or
 * another instance taking the lease over — resumes where the last one stopped; at worst an event
 * whose success was not yet recorded is sent again (receivers dedupe on the event id).
 */
import { VersionClock } from '../store/versions.ts';
import { sqlNumber, sqlString, sqlStringList } from '../store/sql.ts';
import type { Migration, Store } from '../store/types.ts';
import type { BillingEvent, BillingEvents } from './events.ts';

export const DELIVERIES_TABLE = 'billing_deliveries';
export const ATTEMPTS_TABLE = 'billing_delivery_attempts';
export const CURSORS_TABLE = 'billing_delivery_cursors';

export const deliveryMigrations: readonly Migration[] = [
  {
    id: '0602_billing_deliveries',
    statements: [
      `CREATE TABLE IF NOT EXISTS ${DELIVERIES_TABLE} (
        consumer String,
        event_id String,
        event_ts Int64,
        event_type String,
        status String,
        attempts UInt32,
        next_at Int64,
        last_at Int64,
        last_status Int32,
        last_error String,
        delivered_at Int64,
        version Int64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY (consumer, event_id)`,
      `CREATE TABLE IF NOT EXISTS ${ATTEMPTS_TABLE} (
        consumer String,
        event_id String,
        event_type String,
        attempt UInt32,
        at Int64,
        day Date,
        ok UInt8,
        status Int32,
        error String,
        duration_ms Int64
      ) ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (consumer, event_id, at)`,
      `CREATE TABLE IF NOT EXISTS ${CURSORS_TABLE} (
        consumer String,
        cursor_ts Int64,
        cursor_id String,
        version Int64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY consumer`,
    ],
  },
];

export const DELIVERY_STATUSES = ['pending', 'delivered', 'skipped', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** What one try gave: ok (2xx, or the mail accepted), or a failure with the status and error seen. */
export interface AttemptOutcome {
  readonly ok: boolean;
  /** Skipped on purpose (e.g. no billing e-mail): final, not retried. */
  readonly skipped?: boolean;
  /** HTTP status (0: none, e.g. connection refused or timeout; SMTP reply code for mail). */
  readonly status: number;
  readonly error: string;
}

export interface Consumer {
  /** `wh:<subscription id>`, `mail`. */
  readonly id: string;
  /** Event types wanted; empty: all. */
  readonly types: readonly string[];
  /** Where a consumer without a cursor starts: events published from then on. */
  readonly startAt: number;
  deliver(event: BillingEvent, attempt: number): Promise<AttemptOutcome>;
}

export interface Delivery {
  readonly consumer: string;
  readonly eventId: string;
  readonly eventTs: number;
  readonly eventType: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAt: number | null;
  readonly lastAt: number | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: number | null;
}

export interface Attempt {
  readonly attempt: number;
  readonly at: number;
  readonly ok: boolean;
  readonly status: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

export interface RetryPolicy {
  /** First retry after about this long (ms). */
  readonly baseMs: number;
  /** No wait longer than this (ms). */
  readonly maxMs: number;
  /** Give up (status failed, replayable) after this many attempts; 0: never. */
  readonly maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 10_000, maxMs: 3_600_000, maxAttempts: 0 };

/**
 * Wait before attempt `attempt + 1` after `attempt` failures: base × 2^(attempt−1), capped at max,
 * with "equal jitter" (half fixed, half random) so retries of many events spread out.
 */
export function retryDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.round(exp / 2 + random() * (exp / 2));
}

interface DeliveryRow {
  consumer: string;
  event_id: string;
  event_ts: string;
  event_type: string;
  status: string;
  attempts: number;
  next_at: string;
  last_at: string;
  last_status: number;
  last_error: string;
  delivered_at: string;
}

const DELIVERY_COLUMNS =
  'consumer, event_id, event_ts, event_type, status, attempts, next_at, last_at, last_status, last_error, delivered_at';

const nz = (v: string | number): number | null => (Number(v) === 0 ? null : Number(v));

const toDelivery = (r: DeliveryRow): Delivery => ({
  consumer: r.consumer,
  eventId: r.event_id,
  eventTs: Number(r.event_ts),
  eventType: r.event_type,
  status: r.status as DeliveryStatus,
  attempts: Number(r.attempts),
  nextAt: r.status === 'pending' ? Number(r.next_at) : null,
  lastAt: nz(r.last_at),
  lastStatus: Number(r.attempts) === 0 ? null : Number(r.last_status),
  lastError: r.last_error === '' ? null : r.last_error,
  deliveredAt: nz(r.delivered_at),
});

/** Delivery state in ClickHouse. */
export class DeliveryStore {
  private readonly versions: VersionClock;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {
    this.versions = new VersionClock(now);
  }

  async cursor(consumer: string): Promise<{ ts: number; id: string } | null> {
    const rows = await this.store.query<{ cursor_ts: string; cursor_id: string }>(`SELECT cursor_ts, cursor_id FROM ${CURSORS_TABLE} FINAL WHERE consumer = ${sqlString(consumer)}`);
    return rows.length === 0 ? null : { ts: Number(rows[0].cursor_ts), id: rows[0].cursor_id };
  }

  async setCursor(consumer: string, c: { ts: number; id: string }): Promise<void> {
    await this.store.insert(CURSORS_TABLE, [{ consumer, cursor_ts: c.ts, cursor_id: c.id, version: this.versions.next() }]);
  }

  async write(ds: readonly Delivery[]): Promise<void> {
    if (ds.length === 0) return;
    const version = this.versions.next();
    await this.store.insert(
      DELIVERIES_TABLE,
      ds.map((d) => ({
        consumer: d.consumer,
        event_id: d.eventId,
        event_ts: d.eventTs,
        event_type: d.eventType,
        status: d.status,
        attempts: d.attempts,
        next_at: d.nextAt ?? 0,
        last_at: d.lastAt ?? 0,
        last_status: d.lastStatus ?? 0,
        last_error: d.lastError ?? '',
        delivered_at: d.deliveredAt ?? 0,
        version,
      })),
    );
  }

  async logAttempt(d: Delivery, a: Attempt): Promise<void> {
    await this.store.insert(ATTEMPTS_TABLE, [
      {
        consumer: d.consumer,
        event_id: d.eventId,
        event_type: d.eventType,
        attempt: a.attempt,
        at: a.at,
        day: new Date(a.at).toISOString().slice(0, 10),
        ok: a.ok ? 1 : 0,
        status: a.status ?? 0,
        error: a.error ?? '',
        duration_ms: a.durationMs,
      },
    ]);
  }

  async get(consumer: string, eventIds: readonly string[]): Promise<Delivery[]> {
    if (eventIds.length === 0) return [];
    const rows = await this.store.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM ${DELIVERIES_TABLE} FINAL WHERE consumer = ${sqlString(consumer)} AND event_id IN ${sqlStringList(eventIds)}`,
    );
    return rows.map(toDelivery);
  }

  /** How many deliveries of these consumers are pending (due or waiting for a retry), and the oldest's event time. */
  async pendingOf(consumers: readonly string[]): Promise<{ count: number; oldest: number | null }> {
    if (consumers.length === 0) return { count: 0, oldest: null };
    const rows = await this.store.query<{ n: string; oldest: string }>(
      `SELECT count() AS n, toString(min(event_ts)) AS oldest FROM ${DELIVERIES_TABLE} FINAL WHERE consumer IN ${sqlStringList(consumers)} AND status = 'pending'`,
    );
    const count = Number(rows[0]?.n ?? 0);
    return { count, oldest: count === 0 ? null : Number(rows[0].oldest) };
  }

  /** Pending deliveries due by `now`, oldest event first. */
  async due(consumer: string, now: number, limit: number): Promise<Delivery[]> {
    const rows = await this.store.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM ${DELIVERIES_TABLE} FINAL WHERE consumer = ${sqlString(consumer)} AND status = 'pending' AND next_at <= ${sqlNumber(now)} ` +
        `ORDER BY event_ts, event_id LIMIT ${sqlNumber(limit)}`,
    );
    return rows.map(toDelivery);
  }

  /** Deliveries of a consumer, newest event first, keyset-paged on (event ts, event id). */
  async list(consumer: string, filter: { status?: DeliveryStatus }, limit: number, before: { ts: number; id: string } | null): Promise<Delivery[]> {
    const where = [`consumer = ${sqlString(consumer)}`];
    if (filter.status !== undefined) where.push(`status = ${sqlString(filter.status)}`);
    if (before !== null) where.push(`(event_ts < ${sqlNumber(before.ts)} OR (event_ts = ${sqlNumber(before.ts)} AND event_id < ${sqlString(before.id)}))`);
    const rows = await this.store.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM ${DELIVERIES_TABLE} FINAL WHERE ${where.join(' AND ')} ORDER BY event_ts DESC, event_id DESC LIMIT ${sqlNumber(limit)}`,
    );
    return rows.map(toDelivery);
  }

  async attempts(consumer: string, eventId: string): Promise<Attempt[]> {
    const rows = await this.store.query<{ attempt: number; at: string; ok: number; status: number; error: string; duration_ms: string }>(
      `SELECT attempt, at, ok, status, error, duration_ms FROM ${ATTEMPTS_TABLE} ` +
        `WHERE consumer = ${sqlString(consumer)} AND event_id = ${sqlString(eventId)} ORDER BY at, attempt`,
    );
    return rows.map((r) => ({ attempt: Number(r.attempt), at: Number(r.at), ok: Number(r.ok) === 1, status: Number(r.status) === 0 ? null : Number(r.status), error: r.error === '' ? null : r.error, durationMs: Number(r.duration_ms) }));
  }

  /** Queues events again for a consumer (manual replay): pending, due now, whatever their state. */
  async replay(consumer: string, events: readonly BillingEvent[]): Promise<Delivery[]> {
    const now = this.now();
    const existing = new Map((await this.get(consumer, events.map((e) => e.id))).map((d) => [d.eventId, d]));
    const rows = events.map((e): Delivery => {
      const d = existing.get(e.id);
      return {
        consumer,
        eventId: e.id,
        eventTs: e.ts,
        eventType: e.type,
        status: 'pending',
        attempts: d?.attempts ?? 0,
        nextAt: now,
        lastAt: d?.lastAt ?? null,
        lastStatus: d?.lastStatus ?? null,
        lastError: d?.lastError ?? null,
        deliveredAt: d?.deliveredAt ?? null,
      };
    });
    await this.write(rows);
    return rows;
  }

  /** Forgets a consumer's cursor (its delivery rows and log stay, for the record). */
  async dropCursor(consumer: string): Promise<void> {
    await this.setCursor(consumer, { ts: Number.MAX_SAFE_INTEGER, id: '' });
  }
}

export interface DispatcherOptions {
  readonly retry?: RetryPolicy;
  /** Events younger than this are not taken yet (see BillingEvents.after). Default 2000 ms. */
  readonly settleMs?: number;
  /** Events turned into deliveries per consumer per pass. Default 500. */
  readonly batch?: number;
  /** Deliveries tried per consumer per pass. Default 100. */
  readonly attemptsPerPass?: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface PassResult {
  queued: number;
  attempted: number;
  delivered: number;
  failed: number;
}

export class Dispatcher {
  private readonly retry: RetryPolicy;
  private readonly settleMs: number;
  private readonly batch: number;
  private readonly perPass: number;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(
    readonly deliveries: DeliveryStore,
    private readonly events: BillingEvents,
    options: DispatcherOptions = {},
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.settleMs = options.settleMs ?? 2000;
    this.batch = options.batch ?? 500;
    this.perPass = options.attemptsPerPass ?? 100;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** New events of the consumer's types become pending deliveries; the cursor moves past them. */
  async enqueue(c: Consumer): Promise<number> {
    let cursor = await this.deliveries.cursor(c.id);
    if (cursor === null) {
      cursor = { ts: c.startAt - 1, id: '\uffff' };
      await this.deliveries.setCursor(c.id, cursor);
    }
    let queued = 0;
    for (;;) {
      const events = await this.events.after(cursor, { limit: this.batch, types: c.types, settleMs: this.settleMs });
      if (events.length === 0) return queued;
      // A pass that crashed after writing rows but before moving the cursor left some: keep them.
      const known = new Set((await this.deliveries.get(c.id, events.map((e) => e.id))).map((d) => d.eventId));
      const now = this.now();
      const fresh = events.filter((e) => !known.has(e.id));
      await this.deliveries.write(
        fresh.map((e) => ({ consumer: c.id, eventId: e.id, eventTs: e.ts, eventType: e.type, status: 'pending', attempts: 0, nextAt: now, lastAt: null, lastStatus: null, lastError: null, deliveredAt: null })),
      );
      queued += fresh.length;
      const last = events[events.length - 1];
      cursor = { ts: last.ts, id: last.id };
      await this.deliveries.setCursor(c.id, cursor);
      if (events.length < this.batch) return queued;
    }
  }

  /**
   * What the consumers have yet to get (the outbox's depth): their pending deliveries plus the
   * events of their types not yet queued (past their cursors, settled or not), and the event time
   * of the oldest of them (null: nothing pending).
   */
  async backlog(consumers: readonly Consumer[]): Promise<{ pending: number; oldestAt: number | null }> {
    if (consumers.length === 0) return { pending: 0, oldestAt: null };
    let pending = 0;
    let oldestAt: number | null = null;
    const add = (count: number, oldest: number | null) => {
      pending += count;
      if (count > 0 && oldest !== null && (oldestAt === null || oldest < oldestAt)) oldestAt = oldest;
    };
    const queued = await this.deliveries.pendingOf(consumers.map((c) => c.id));
    add(queued.count, queued.oldest);
    for (const c of consumers) {
      const cursor = (await this.deliveries.cursor(c.id)) ?? { ts: c.startAt - 1, id: '\uffff' };
      const r = await this.events.countAfter(cursor, { types: c.types });
      add(r.count, r.oldest);
    }
    return { pending, oldestAt };
  }

  /** One try of one delivery: the outcome recorded in the state row and the attempt log. */
  async attempt(c: Consumer, d: Delivery, event: BillingEvent): Promise<Delivery> {
    const attempt = d.attempts + 1;
    const started = this.now();
    let outcome: AttemptOutcome;
    try {
      outcome = await c.deliver(event, attempt);
    } catch (err) {
      outcome = { ok: false, status: 0, error: err instanceof Error ? err.message : String(err) };
    }
    const at = this.now();
    const base = { ...d, attempts: attempt, lastAt: at, lastStatus: outcome.status, lastError: outcome.ok ? null : outcome.error.slice(0, 1000) };
    let next: Delivery;
    if (outcome.ok) next = { ...base, status: outcome.skipped ? 'skipped' : 'delivered', nextAt: null, deliveredAt: at, lastError: outcome.skipped ? outcome.error.slice(0, 1000) : null };
    else if (this.retry.maxAttempts > 0 && attempt >= this.retry.maxAttempts) next = { ...base, status: 'failed', nextAt: null };
    else next = { ...base, status: 'pending', nextAt: at + retryDelay(attempt, this.retry, this.random) };
    await this.deliveries.write([next]);
    await this.deliveries.logAttempt(next, { attempt, at, ok: outcome.ok, status: outcome.status === 0 ? null : outcome.status, error: outcome.error === '' ? null : outcome.error.slice(0, 1000), durationMs: at - started });
    return next;
  }

  /**
   * One pass over a consumer: queue new events, then try what is due. `keepGoing` is asked before
   * each try (the scheduler's lease renewal): false stops the pass.
   */
  async pass(c: Consumer, keepGoing: () => Promise<boolean> = async () => true): Promise<PassResult> {
    const r: PassResult = { queued: await this.enqueue(c), attempted: 0, delivered: 0, failed: 0 };
    const due = await this.deliveries.due(c.id, this.now(), this.perPass);
    if (due.length === 0) return r;
    const events = new Map((await this.events.get(due.map((d) => d.eventId))).map((e) => [e.id, e]));
    for (const d of due) {
      if (!(await keepGoing())) break;
      const e = events.get(d.eventId);
      if (e === undefined) continue;
      const next = await this.attempt(c, d, e);
      r.attempted++;
      if (next.status === 'delivered' || next.status === 'skipped') r.delivered++;
      else r.failed++;
    }
    return r;
  }
}
