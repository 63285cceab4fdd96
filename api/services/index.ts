/** The API's services, built once from the process's store, live state and device registry. */
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../../ingest/device-registry.ts';
import type { ImplausibleTimePolicy } from '../../rating/plausibility.ts';
import { BillingEvents } from '../../billing/events.ts';
import { suspensionEvaluateJob } from '../../billing/jobs.ts';
import type { BillingOps, BillingOpsOptions } from '../../billing/ops.ts';
import { RatingService } from '../../rating/service.ts';
import { Claims } from '../../store/claims.ts';
import type { Store } from '../../store/types.ts';
import { ApiKeys } from '../api-keys.ts';
import type { Live } from '../live.ts';
import { AccountsService } from './accounts.ts';
import { AuditLog } from './audit.ts';
import { BillingService } from './billing.ts';
import { createBillingOps } from './billing-ops.ts';
import { DevicesService } from './devices.ts';
import { FleetHealth } from './fleet.ts';
import { IdempotencyStore } from './idempotency.ts';
import { ReconcileService } from './reconcile.ts';
import { RecordsService } from './records.ts';
import { SnapshotSource } from './snapshot.ts';
import { StatementsService } from './statements.ts';
import { TariffsService } from './tariffs.ts';
import { UsageService } from './usage.ts';

export interface ApiDeps {
  readonly store: Store;
  readonly live: Live;
  /** The gateway's registry (so its cache sees API changes at once), or a registry of the API's own. */
  readonly registry: DeviceRegistry;
  readonly log: Logger;
  readonly policy?: ImplausibleTimePolicy;
  readonly now?: () => number;
  /** How often the configuration signature is polled (ms). Default 1000. */
  readonly snapshotPollMs?: number;
  /** Compute every device's usage of this month in the background at start (warm cache). Default false. */
  readonly prewarmUsage?: boolean;
  /** Claims (store/claims.ts), what decides every create that must be unique: settle time. Default 250 ms. */
  readonly claimSettleMs?: number;
  /** A claim this old whose row never appeared is a dead attempt its content may adopt. Default 60 000 ms. */
  readonly claimStaleMs?: number;
  /** Webhooks, e-mail, scheduled jobs (billing/ops.ts); the scheduler runs only once started (`fleetmeter serve`). */
  readonly billingOps?: BillingOpsOptions;
}

export class ApiServices {
  readonly store: Store;
  readonly live: Live;
  readonly log: Logger;
  readonly rating: RatingService;
  readonly keys: ApiKeys;
  readonly audit: AuditLog;
  readonly idempotency: IdempotencyStore;
  /** Who wins a create that must be unique (accounts, external ids, tariff versions, devices, assignments, payments). */
  readonly claims: Claims;
  readonly snapshots: SnapshotSource;
  readonly fleetHealth: FleetHealth;
  readonly usage: UsageService;
  readonly accounts: AccountsService;
  readonly devices: DevicesService;
  readonly tariffs: TariffsService;
  readonly statements: StatementsService;
  readonly records: RecordsService;
  readonly reconcile: ReconcileService;
  /** Billing events (change feed, webhooks, e-mail): every billing-relevant fact, published once. */
  readonly events: BillingEvents;
  /** Payments, balances, statement payment states and automatic suspension (billing/, docs/billing.md). */
  readonly billing: BillingService;
  /** Webhook subscriptions and deliveries, the change feed, e-mail and the job scheduler. */
  readonly ops: BillingOps;
  readonly now: () => number;
  private readonly prewarm: boolean;

  constructor(deps: ApiDeps) {
    this.prewarm = deps.prewarmUsage ?? false;
    const now = (this.now = deps.now ?? Date.now);
    this.store = deps.store;
    this.live = deps.live;
    this.log = deps.log;
    this.rating = new RatingService({ store: deps.store, presence: deps.live.engine, policy: deps.policy, now });
    this.keys = new ApiKeys(deps.store, now);
    this.audit = new AuditLog(deps.store, now);
    this.idempotency = new IdempotencyStore(deps.store, now);
    this.claims = new Claims(deps.store, { now, settleMs: deps.claimSettleMs, staleMs: deps.claimStaleMs });
    this.snapshots = new SnapshotSource(deps.store, this.rating, { pollMs: deps.snapshotPollMs, log: deps.log, now });
    this.fleetHealth = new FleetHealth(deps.live.fleet, now);
    this.usage = new UsageService({
      snapshots: this.snapshots,
      presence: deps.live.engine,
      tracker: deps.live.fleet,
      policy: this.rating.policy,
      presenceVersion: (id) => deps.live.presenceCache.version(id),
      presenceUnchangedSinceRead: (id) => deps.live.presenceCache.unchangedSinceRead(id),
      now,
    });
    this.accounts = new AccountsService(deps.store, this.rating, this.snapshots, this.audit, this.claims, now);
    this.devices = new DevicesService(deps.store, this.rating, deps.registry, this.snapshots, deps.live.fleet, this.audit, this.claims, now);
    this.tariffs = new TariffsService(deps.store, this.rating, this.snapshots, this.audit, this.claims);
    this.events = new BillingEvents(deps.store, now);
    this.billing = new BillingService(deps.store, this.snapshots, this.rating.statements, this.events, this.audit, this.claims, now);
    // A change of billing settings (mode, terms, credit limit) is applied at once.
    this.accounts.onBillingChange = (id) => this.billing.suspension.evaluate(id, now()).then(() => undefined);
    this.statements = new StatementsService(this.rating, this.snapshots, this.audit, now, this.events);
    this.records = new RecordsService(deps.store);
    this.reconcile = new ReconcileService(this.rating, this.snapshots, now, this.events);
    this.ops = createBillingOps({ store: deps.store, events: this.events, rating: this.rating, snapshots: this.snapshots, fleetHealth: this.fleetHealth, log: deps.log, now }, deps.billingOps);
    this.ops.registerJob(suspensionEvaluateJob(async (t) => {
      const r = await this.billing.suspension.evaluateAll(t);
      return { accounts: r.accounts, decisions: r.decisions.length, failed: r.failed };
    }));
  }

  async start(): Promise<void> {
    await this.keys.start(1000);
    await this.snapshots.start();
    if (this.prewarm) {
      this.usage.prewarm().then(
        (r) => this.log.info(r, 'device usage cache warmed'),
        (err: unknown) => this.log.warn({ err }, 'device usage warm-up failed'),
      );
    }
  }

  stop(): void {
    this.keys.stop();
    this.snapshots.stop();
  }
}
