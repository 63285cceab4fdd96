/**
 * Webhook subscriptions and their delivery over HTTP.
 *
 * A subscription (`billing_webhooks`, newest `version` wins, `deleted` tombstones) names a URL, a
 * secret and the event types it wants. Each is a delivery consumer `wh:<id>` (see deliveries.ts):
 * it receives the events published from its creation on. Paused (`active: false`) it receives
 * nothing; events published meanwhile are delivered when it is active again.
 *
 * A delivery is `POST <url>` with the JSON body `{"id","type","createdAt","data"}` and headers
 * - `Fleetmeter-Event-Id`: the event id, the same on every retry and replay (dedupe on it);
 * - `Fleetmeter-Event-Type`, `Fleetmeter-Delivery-Attempt`;
 * - `Fleetmeter-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * A 2xx answer within the timeout is success; anything else is retried (deliveries.ts).
 *
 * The secret is stored as given (it must be, to sign) and never returned by the API.
 */
import { VersionClock } from '../store/versions.ts';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { sqlString } from '../store/sql.ts';
import type { Migration, Store } from '../store/types.ts';
import type { AttemptOutcome, Consumer } from './deliveries.ts';
import type { BillingEvent } from './events.ts';

export const WEBHOOKS_TABLE = 'billing_webhooks';

export const webhookMigrations: readonly Migration[] = [
  {
    id: '0603_billing_webhooks',
    statements: [
      `CREATE TABLE IF NOT EXISTS ${WEBHOOKS_TABLE} (
        webhook_id String,
        url String,
        secret String,
        types Array(String),
        active UInt8,
        description String,
        created_at Int64,
        updated_at Int64,
        deleted UInt8,
        version Int64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY webhook_id`,
    ],
  },
];

export interface Webhook {
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  /** Event types delivered; empty: every type. */
  readonly types: readonly string[];
  readonly active: boolean;
  readonly description: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export const consumerId = (webhookId: string) => `wh:${webhookId}`;

// ── signature ──────────────────────────────────────────────────────────────────────────────────

export const SIGNATURE_HEADER = 'Fleetmeter-Signature';
export const EVENT_ID_HEADER = 'Fleetmeter-Event-Id';

export function signature(secret: string, unixSeconds: number, body: string): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/**
 * Checks a `Fleetmeter-Signature` header the way a receiver should: the HMAC over the raw body,
 * compared in constant time, and the timestamp within `toleranceSec` of the receiver's clock.
 */
export function verifySignature(secret: string, header: string, body: string, nowSec: number, toleranceSec = 300): boolean {
  const parts = new Map(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || v1 === undefined || !/^[0-9a-f]{64}$/.test(v1)) return false;
  if (Math.abs(nowSec - t) > toleranceSec) return false;
  const want = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(want, Buffer.from(v1, 'hex'));
}

/** The body of a delivery (also what a replay sends: byte for byte the same for the same event). */
export function webhookBody(e: BillingEvent): string {
  return JSON.stringify({ id: e.id, type: e.type, createdAt: new Date(e.ts).toISOString(), data: e.data });
}

export interface HttpDeliveryOptions {
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly userAgent?: string;
}

/** One POST of one event. Never throws: connection errors and timeouts are outcomes. */
export async function postEvent(hook: Pick<Webhook, 'url' | 'secret'>, e: BillingEvent, attempt: number, o: HttpDeliveryOptions): Promise<AttemptOutcome> {
  const body = webhookBody(e);
  const t = Math.floor(o.now() / 1000);
  try {
    const res = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': o.userAgent ?? 'fleetmeter-webhooks/1',
        [EVENT_ID_HEADER]: e.id,
        'Fleetmeter-Event-Type': e.type,
        'Fleetmeter-Delivery-Attempt': String(attempt),
        [SIGNATURE_HEADER]: signature(hook.secret, t, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    // The answer's body is not needed; read a little of it for the log, then let it go.
    const text = (await res.text().catch(() => '')).slice(0, 200);
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: '' };
    return { ok: false, status: res.status, error: `HTTP ${res.status}${text ? `: ${text}` : ''}` };
  } catch (err) {
    const e2 = err as Error & { cause?: { code?: string; message?: string } };
    const what = e2.name === 'TimeoutError' ? `timeout after ${o.timeoutMs} ms` : (e2.cause?.code ?? e2.cause?.message ?? e2.message);
    return { ok: false, status: 0, error: what };
  }
}

// ── subscriptions ──────────────────────────────────────────────────────────────────────────────

interface Row {
  webhook_id: string;
  url: string;
  secret: string;
  types: string[];
  active: number;
  description: string;
  created_at: string;
  updated_at: string;
  deleted: number;
}

export function newWebhookId(): string {
  return `wh_${randomBytes(8).toString('hex')}`;
}

export function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

export class WebhookStore {
  private readonly versions: VersionClock;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {
    this.versions = new VersionClock(now);
  }

  /** Every live subscription (a small table: read whole, FINAL). */
  async list(): Promise<Webhook[]> {
    const rows = await this.store.query<Row>(
      `SELECT webhook_id, url, secret, types, active, description, created_at, updated_at, deleted FROM ${WEBHOOKS_TABLE} FINAL ORDER BY webhook_id`,
    );
    return rows.filter((r) => Number(r.deleted) === 0).map((r) => ({
      id: r.webhook_id,
      url: r.url,
      secret: r.secret,
      types: r.types,
      active: Number(r.active) === 1,
      description: r.description,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    }));
  }

  async get(id: string): Promise<Webhook | undefined> {
    const rows = await this.store.query<Row>(
      `SELECT webhook_id, url, secret, types, active, description, created_at, updated_at, deleted FROM ${WEBHOOKS_TABLE} FINAL WHERE webhook_id = ${sqlString(id)}`,
    );
    const r = rows[0];
    if (r === undefined || Number(r.deleted) === 1) return undefined;
    return { id: r.webhook_id, url: r.url, secret: r.secret, types: r.types, active: Number(r.active) === 1, description: r.description, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) };
  }

  async put(w: Webhook, deleted = false): Promise<void> {
    await this.store.insert(WEBHOOKS_TABLE, [
      {
        webhook_id: w.id,
        url: w.url,
        secret: w.secret,
        types: [...w.types],
        active: w.active ? 1 : 0,
        description: w.description,
        created_at: w.createdAt,
        updated_at: w.updatedAt,
        deleted: deleted ? 1 : 0,
        version: this.versions.next(),
      },
    ]);
  }
}

/** A subscription as a delivery consumer. */
export function webhookConsumer(w: Webhook, o: HttpDeliveryOptions): Consumer {
  return { id: consumerId(w.id), types: w.types, startAt: w.createdAt, deliver: (e, attempt) => postEvent(w, e, attempt, o) };
}
