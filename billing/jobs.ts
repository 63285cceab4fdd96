/**
 * The scheduled jobs (see scheduler.ts for leases and runs). Each is idempotent: a run repeated —
 * after a crash, by a second instance, by a manual trigger — changes nothing more.
 *
 * | job | every | does |
 * |---|---|---|
 * | `period-close` | hour | closes every ended open month per account, oldest first, from its close day on; publishes `statement.closed`; runs the suspension policy for the accounts it closed |
 * | `device-silent` | hour | publishes `device.silent` for billed devices silent for N hours (once per silence) |
 * | `device-discovered` | minute | publishes `device.discovered` for unregistered devices that connected |
 * | `webhook-dispatch` | second | delivers events to webhook subscriptions (one instance at a time) |
 * | `mail-dispatch` | 5 s | sends statement and warning e-mails (when SMTP is configured) |
 * | `suspension-evaluate` | hour | the payment policy's `evaluateAll(now)` (registered when billing/suspension.ts provides it) |
 */
import type { RatingService } from '../rating/service.ts';
import { sqlNumber } from '../store/sql.ts';
import type { Store } from '../store/types.ts';
import type { Consumer, Dispatcher, PassResult } from './deliveries.ts';
import type { BillingEventInput, BillingEvents } from './events.ts';
import { type CloseAccount, closePeriods } from './period-close.ts';
import type { JobContext, JobDefinition, JobResult } from './scheduler.ts';

export const JOB_NAMES = ['period-close', 'device-silent', 'device-discovered', 'webhook-dispatch', 'mail-dispatch', 'suspension-evaluate'] as const;
export type JobName = (typeof JOB_NAMES)[number];

const HOUR = 3_600_000;

export function periodCloseJob(deps: { rating: RatingService; events: BillingEvents; accounts: () => Promise<CloseAccount[]>; closeDay: number; afterClose?: (accountId: string, now: number) => Promise<unknown> }): JobDefinition {
  return {
    name: 'period-close',
    description: `closes the previous month for every account from day ${deps.closeDay} of the month (local time), publishes statement.closed`,
    intervalMs: HOUR,
    leaseMs: 10 * 60_000,
    async run(ctx) {
      const r = await closePeriods(deps.rating, deps.events, await deps.accounts(), ctx.now(), { closeDay: deps.closeDay, afterClose: deps.afterClose });
      return { closed: r.closed.map((c) => `${c.accountId} ${c.period.from}..${c.period.to}`), failed: r.failed, published: r.published, ...(r.evaluated === undefined ? {} : { evaluated: r.evaluated }) };
    },
  };
}

export interface SilentDevice {
  readonly deviceId: string;
  readonly accountId: string | null;
  /** Epoch ms last heard from; null: never. */
  readonly lastSeen: number | null;
}

/** One event per silence: the key holds the last contact, so a device that talks and falls silent again is reported again. */
export function deviceSilentEvent(d: SilentDevice, silentHours: number): BillingEventInput {
  return {
    type: 'device.silent',
    key: `${d.deviceId}:${d.lastSeen ?? 'never'}`,
    accountId: d.accountId ?? '',
    subject: d.deviceId,
    data: { deviceId: d.deviceId, accountId: d.accountId, lastSeen: d.lastSeen === null ? null : new Date(d.lastSeen).toISOString(), silentHours },
  };
}

export function deviceSilentJob(deps: { events: BillingEvents; silent: (now: number, hours: number) => Promise<SilentDevice[]>; silentHours: number }): JobDefinition {
  return {
    name: 'device-silent',
    description: `publishes device.silent for billed devices not heard from for ${deps.silentHours} h`,
    intervalMs: HOUR,
    async run(ctx) {
      const silent = await deps.silent(ctx.now(), deps.silentHours);
      const published = await deps.events.publish(silent.map((d) => deviceSilentEvent(d, deps.silentHours)));
      return { silent: silent.length, published: published.length };
    },
  };
}

export interface DiscoveredDevice {
  readonly deviceId: string;
  readonly protocol: string;
  readonly transport: string;
  readonly remote: string;
  readonly firstSeen: number;
}

export function discoveredSinceSql(sinceMs: number): string {
  return (
    'SELECT device_id, argMax(protocol, seen_ts) AS protocol, argMax(transport, seen_ts) AS transport, argMax(remote, seen_ts) AS remote, toString(min(seen_ts)) AS first ' +
    `FROM discovered_devices WHERE seen_ts >= ${sqlNumber(sinceMs)} GROUP BY device_id ORDER BY device_id`
  );
}

export function deviceDiscoveredEvent(d: DiscoveredDevice): BillingEventInput {
  return {
    type: 'device.discovered',
    key: d.deviceId,
    accountId: '',
    subject: d.deviceId,
    data: { deviceId: d.deviceId, protocol: d.protocol, transport: d.transport, remote: d.remote, firstSeen: new Date(d.firstSeen).toISOString() },
  };
}

/** Unregistered devices that connected in the last `lookbackMs` (the registry writes them to `discovered_devices`). */
export function deviceDiscoveredJob(deps: { store: Store; events: BillingEvents; isRegistered: (deviceId: string) => Promise<boolean>; lookbackMs?: number }): JobDefinition {
  const lookback = deps.lookbackMs ?? 2 * 86_400_000;
  return {
    name: 'device-discovered',
    description: 'publishes device.discovered for unregistered devices that connected (once per device)',
    intervalMs: 60_000,
    quiet: true,
    async run(ctx) {
      const rows = await deps.store.query<{ device_id: string; protocol: string; transport: string; remote: string; first: string }>(discoveredSinceSql(ctx.now() - lookback));
      const found: DiscoveredDevice[] = [];
      for (const r of rows) {
        if (!(await deps.isRegistered(r.device_id))) found.push({ deviceId: r.device_id, protocol: r.protocol, transport: r.transport, remote: r.remote, firstSeen: Number(r.first) });
      }
      const published = await deps.events.publish(found.map(deviceDiscoveredEvent));
      return published.length === 0 ? null : { published: published.map((e) => e.subject) };
    },
  };
}

const sum = (rs: readonly PassResult[]): PassResult => rs.reduce((a, r) => ({ queued: a.queued + r.queued, attempted: a.attempted + r.attempted, delivered: a.delivered + r.delivered, failed: a.failed + r.failed }), { queued: 0, attempted: 0, delivered: 0, failed: 0 });

/** A dispatch pass over consumers, each in parallel with the others, stopping if the lease is lost. */
export async function dispatchAll(dispatcher: Dispatcher, consumers: readonly Consumer[], ctx: Pick<JobContext, 'renew'>): Promise<JobResult> {
  const results = await Promise.all(consumers.map((c) => dispatcher.pass(c, () => ctx.renew())));
  const total = sum(results);
  return total.queued === 0 && total.attempted === 0 ? null : { consumers: consumers.length, ...total };
}

export function dispatchJob(name: 'webhook-dispatch' | 'mail-dispatch', dispatcher: Dispatcher, consumers: () => Promise<Consumer[]>, intervalMs: number): JobDefinition {
  return {
    name,
    description: name === 'webhook-dispatch' ? 'delivers billing events to webhook subscriptions, with retries' : 'sends statement and suspension-warning e-mails, with retries',
    intervalMs,
    leaseMs: 30_000,
    quiet: true,
    async run(ctx) {
      return dispatchAll(dispatcher, await consumers(), ctx);
    },
  };
}

/**
 * The registration point for the payment policy: `evaluateAll(now)` from billing/suspension.ts
 * (warnings, suspensions, reactivations; itself idempotent), run hourly under the job lease.
 */
export function suspensionEvaluateJob(evaluateAll: (now: number) => Promise<unknown>): JobDefinition {
  return {
    name: 'suspension-evaluate',
    description: 'evaluates the payment policy for every account (warn, suspend, reactivate)',
    intervalMs: HOUR,
    async run(ctx) {
      const r = await evaluateAll(ctx.now());
      return r !== null && typeof r === 'object' ? (JSON.parse(JSON.stringify(r)) as JobResult) : { result: r ?? null };
    },
  };
}
