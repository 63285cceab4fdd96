/**
 * The process's long-lived services, built once from one store: the live state (rating engine,
 * presence read cache, fleet tracker — app/live.ts), the rating service, the configuration
 * snapshot, fleet health, the audit log, billing events, billing (payments, suspension), billing
 * operations with the scheduler and its jobs, the billing metrics and the API keys. The gateway
 * gets the live sink and the API keys' admin check (its admin port's `/commands`), the API gets
 * these services; the scheduler runs on them whether or not the API is on.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ApiKeys, authorizeRequest } from '../api/api-keys.ts';
import { ApiError } from '../api/errors.ts';
import { AuditLog } from '../api/services/audit.ts';
import { BillingService, SnapshotBillingAccounts } from '../api/services/billing.ts';
import { DocumentNumbers } from '../api/documents/numbering.ts';
import type { ProviderRequisites } from '../api/documents/requisites.ts';
import { DocumentsService } from '../api/services/documents.ts';
import { FleetHealth } from '../api/services/fleet.ts';
import { SnapshotSource } from '../api/services/snapshot.ts';
import { BillingEvents } from '../billing/events.ts';
import { suspensionEvaluateJob } from '../billing/jobs.ts';
import { BillingMetrics } from '../billing/metrics.ts';
import type { BillingOps, BillingOpsOptions } from '../billing/ops.ts';
import { PaymentLedger } from '../billing/payments.ts';
import type { JobRun } from '../billing/scheduler.ts';
import { SuspensionService } from '../billing/suspension.ts';
import type { AdminKeys } from '../ingest/admin-server.ts';
import { RatingConfigStore } from '../rating/config-store.ts';
import type { ImplausibleTimePolicy } from '../rating/plausibility.ts';
import { RatingService } from '../rating/service.ts';
import { Claims } from '../store/claims.ts';
import type { Store } from '../store/types.ts';
import { createBillingOps } from './billing-ops.ts';
import { createLive, type Live, type LiveOptions } from './live.ts';

export interface ServicesOptions {
  readonly log: Logger;
  readonly now?: () => number;
  readonly policy?: ImplausibleTimePolicy;
  /** The live state's settings (fleet refresh, presence cache). */
  readonly live?: Omit<LiveOptions, 'log'>;
  /** How often the configuration signature is polled (ms). Default 1000. */
  readonly snapshotPollMs?: number;
  /** Webhooks, e-mail, scheduled jobs (billing/ops.ts, docs/billing.md). */
  readonly billingOps?: BillingOpsOptions;
  /** The Prometheus registry the billing metrics go to (the gateway's); none: no billing metrics. */
  readonly metrics?: Registry;
  /** Claims (store/claims.ts), what decides every create that must be unique: settle time. Default 250 ms. */
  readonly claimSettleMs?: number;
  /** A claim this old whose row never appeared is a dead attempt its content may adopt. Default 60 000 ms. */
  readonly claimStaleMs?: number;
  /** The provider's requisites on invoices and acts (`--provider-file`); none: no PDF documents. */
  readonly provider?: ProviderRequisites | null;
}

export interface Services {
  readonly store: Store;
  readonly log: Logger;
  readonly now: () => number;
  readonly live: Live;
  readonly rating: RatingService;
  readonly snapshots: SnapshotSource;
  readonly fleetHealth: FleetHealth;
  readonly audit: AuditLog;
  readonly events: BillingEvents;
  readonly billing: BillingService;
  readonly ops: BillingOps;
  readonly claims: Claims;
  readonly metrics: BillingMetrics | null;
  /** Invoices, acts and workbooks of statements (the API serves them, e-mail attaches the invoice). */
  readonly documents: DocumentsService;
  /** API keys: the REST API's, and the admin port's `/commands` (admin scope, `adminKeys`). */
  readonly keys: ApiKeys;
  /** The admin port's check of a request's key (`keys`, admin scope). */
  readonly adminKeys: AdminKeys;
  /** Starts the API keys' refresh, the live state and the snapshot poll (the scheduler waits for `startJobs`). */
  start(): Promise<void>;
  /** Runs the scheduled jobs, ticking every `tickMs`, until stop(). */
  startJobs(tickMs: number): void;
  /** Stops the jobs (waiting for runs in progress, giving up leases), the poll, the live state (persisting it) and the keys' refresh. */
  stop(): Promise<void>;
}

export function buildServices(store: Store, o: ServicesOptions): Services {
  const now = o.now ?? Date.now;
  const log = o.log;
  const live = createLive(store, { ...o.live, log });
  const rating = new RatingService({ store, presence: live.engine, presenceStorage: live.presenceCache, policy: o.policy, now });
  const snapshots = new SnapshotSource(store, rating, { pollMs: o.snapshotPollMs, log, now });
  const fleetHealth = new FleetHealth(live.fleet, now);
  const audit = new AuditLog(store, now);
  const keys = new ApiKeys(store, now);
  const events = new BillingEvents(store, now);
  // Billing's domain services read accounts from the snapshot; a suspension refreshes it at once.
  const accounts = new SnapshotBillingAccounts(snapshots, rating.statements);
  const claims = new Claims(store, { now, settleMs: o.claimSettleMs, staleMs: o.claimStaleMs });
  const ledger = new PaymentLedger(store, accounts, claims);
  const suspension = new SuspensionService({ store, accounts, ledger, events, ratingConfig: new RatingConfigStore(store), onRatingChange: () => snapshots.invalidate() });
  const billing = new BillingService({ accounts, ledger, suspension }, snapshots, events, audit, now);
  // Billing metrics on the process registry (read at scrape time); the scheduler reports each run.
  const metrics =
    o.metrics === undefined
      ? null
      : new BillingMetrics(o.metrics, { outboxes: () => ops.outboxes(), accountStates: async () => suspension.states((await snapshots.get()).accountIds()), now, log });
  const onJobRun = (run: JobRun) => {
    o.billingOps?.onJobRun?.(run);
    metrics?.jobRun(run);
  };
  const documents = new DocumentsService(snapshots, new DocumentNumbers(store, claims, now), o.provider ?? null, now);
  const ops = createBillingOps({ store, events, rating, snapshots, fleetHealth, suspension, documents, log, now }, { ...o.billingOps, onJobRun });
  ops.registerJob(
    suspensionEvaluateJob(async (t) => {
      const r = await suspension.evaluateAll(t);
      return { accounts: r.accounts, decisions: r.decisions.length, failed: r.failed };
    }),
  );
  metrics?.jobs(ops.scheduler.names());
  return {
    store,
    log,
    now,
    live,
    rating,
    snapshots,
    claims,
    fleetHealth,
    audit,
    events,
    billing,
    ops,
    metrics,
    documents,
    keys,
    adminKeys: adminKeysOf(keys),
    async start() {
      await keys.start(1000);
      try {
        await live.start();
      } catch (err) {
        keys.stop();
        throw err;
      }
      try {
        await snapshots.start();
      } catch (err) {
        await live.stop();
        keys.stop();
        throw err;
      }
    },
    startJobs(tickMs) {
      ops.start(tickMs);
    },
    async stop() {
      // Stopped even when never started: it closes the mailer too.
      await ops.stop();
      snapshots.stop();
      await live.stop();
      keys.stop();
    },
  };
}

/** The admin port's key check on the API keys: the admin scope, answered as the REST API answers. */
export function adminKeysOf(keys: ApiKeys): AdminKeys {
  return {
    authorize(headers) {
      const r = authorizeRequest(keys, headers, 'admin');
      if (!(r instanceof ApiError)) return { ok: true, keyId: r.keyId };
      return { ok: false, status: r.statusCode === 403 ? 403 : 401, code: r.code, message: r.message };
    },
  };
}
