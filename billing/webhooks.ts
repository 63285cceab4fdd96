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
 * A 2xx answer within the timeout is success; anything else is retried (deliveries.ts). Redirects
 * are not followed. Receivers on loopback, link-local, private and similar addresses are refused
 * unless allow-listed (webhook-targets.ts, `--webhook-allow-networks`).
 *
 * The secret is stored as given (it must be, to sign) and never returned by the API.
 */
import { VersionClock } from '../store/versions.ts';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { ipBytes, refusedTarget, type WebhookNetwork } from './webhook-targets.ts';
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
  /**
   * Networks a receiver may be in although they are refused by default (loopback, link-local,
   * private, …: webhook-targets.ts), for on-premise receivers. Default none.
   */
  readonly allowNetworks?: readonly WebhookNetwork[];
}

const REFUSED = 'FM_WEBHOOK_TARGET_REFUSED';

/**
 * One POST of one event. Never throws: connection errors, timeouts and refused targets are
 * outcomes. The receiver's address is checked (webhook-targets.ts) on the address connected to:
 * an IP literal before connecting, a name on every address DNS gives for it, inside the socket's
 * own lookup — so what is checked is what is used. Redirects are not followed: a 3xx is a failed
 * try like any non-2xx answer (so a redirect cannot lead past the check either).
 */
export async function postEvent(hook: Pick<Webhook, 'url' | 'secret'>, e: BillingEvent, attempt: number, o: HttpDeliveryOptions): Promise<AttemptOutcome> {
  const body = webhookBody(e);
  const t = Math.floor(o.now() / 1000);
  const allow = o.allowNetworks ?? [];
  let url: URL;
  try {
    url = new URL(hook.url);
  } catch {
    return { ok: false, status: 0, error: `not a URL: ${hook.url}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, status: 0, error: `not an http(s) URL: ${hook.url}` };
  if (ipBytes(url.hostname) !== null) {
    const why = refusedTarget(url.hostname, allow);
    if (why !== null) return { ok: false, status: 0, error: `target refused: ${why}` };
  }
  const lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      for (const a of addresses) {
        const why = refusedTarget(a.address, allow);
        if (why !== null) return callback(Object.assign(new Error(`target refused: ${hostname} resolves to ${why}`), { code: REFUSED }), '', 0);
      }
      if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const done = (r: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        lookup,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': o.userAgent ?? 'fleetmeter-webhooks/1',
          [EVENT_ID_HEADER]: e.id,
          'Fleetmeter-Event-Type': e.type,
          'Fleetmeter-Delivery-Attempt': String(attempt),
          [SIGNATURE_HEADER]: signature(hook.secret, t, body),
        },
      },
      (res) => {
        // The answer's body is not needed; keep a little of it for the log, then let it go.
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (text.length < 200) text += d;
        });
        const status = res.statusCode ?? 0;
        const finish = () => {
          text = text.slice(0, 200);
          if (status >= 200 && status < 300) done({ ok: true, status, error: '' });
          else done({ ok: false, status, error: `HTTP ${status}${text ? `: ${text}` : ''}` });
        };
        res.on('end', finish);
        res.on('error', finish);
      },
    );
    const timer = setTimeout(() => {
      done({ ok: false, status: 0, error: `timeout after ${o.timeoutMs} ms` });
      req.destroy();
    }, o.timeoutMs);
    req.on('error', (err: Error & { code?: string }) => done({ ok: false, status: 0, error: err.code === REFUSED ? err.message : (err.code ?? err.message) }));
    req.end(body);
  });
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
