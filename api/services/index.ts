/**
 * The API's services. The long-lived ones every part of the process shares — the rating service,
 * the configuration snapshot, fleet health, billing events, billing (payments, suspension),
 * billing operations (webhooks, e-mail, the scheduler) and the API keys (the gateway's admin port
 * checks them too) — are built once by app/ and handed in: jobs run on them whether or not the API
 * is on. The API builds only what its routes use.
 */
import type { Logger } from 'pino';
import type { BillingEvents } from '../../billing/events.ts';
import type { BillingOps } from '../../billing/ops.ts';
import type { PresenceEngine } from '../../rating/engine.ts';
import type { CachedPresenceStorage } from '../../rating/presence-cache.ts';
import type { RatingService } from '../../rating/service.ts';
import type { Claims } from '../../store/claims.ts';
import type { Store } from '../../store/types.ts';
import type { ApiKeys } from '../api-keys.ts';
import { AccountsService } from './accounts.ts';
import type { AuditLog } from './audit.ts';
import type { BillingService } from './billing.ts';
import type { DocumentsService } from './documents.ts';
import { type DeviceDirectory, DevicesService } from './devices.ts';
import type { FleetHealth, FleetTracker } from './fleet.ts';
import { IdempotencyStore } from './idempotency.ts';
import { ReconcileService } from './reconcile.ts';
import { RecordsService } from './records.ts';
import type { SnapshotSource } from './snapshot.ts';
import { StatementsService } from './statements.ts';
import { TariffsService } from './tariffs.ts';
import { UsageService } from './usage.ts';

/** The live state the API reads (app/live.ts feeds it from every committed batch). */
export interface LiveViews {
  readonly engine: PresenceEngine;
  readonly presenceCache: CachedPresenceStorage;
  readonly fleet: FleetTracker;
}

/** What app/ hands the API: the process's shared services, and the gateway's device registry. */
export interface ApiDeps {
  readonly store: Store;
  readonly log: Logger;
  readonly now: () => number;
  readonly live: LiveViews;
  readonly registry: DeviceDirectory;
  readonly rating: RatingService;
  /** The configuration snapshot (polled; app/ starts and stops it). */
  readonly snapshots: SnapshotSource;
  readonly fleetHealth: FleetHealth;
  readonly audit: AuditLog;
  /** Billing events (change feed, webhooks, e-mail): every billing-relevant fact, published once. */
  readonly events: BillingEvents;
  /** Payments, balances, statement payment states and automatic suspension (billing/, docs/billing.md). */
  readonly billing: BillingService;
  /** Webhook subscriptions and deliveries, the change feed, e-mail and the job scheduler. */
  readonly ops: BillingOps;
  /** What decides every create that must be unique (store/claims.ts). */
  readonly claims: Claims;
  /** Invoices, acts and workbooks of statements (docs/documents.md). */
  readonly documents: DocumentsService;
  /** API keys (app/ starts and stops their refresh; the admin port checks the same keys). */
  readonly keys: ApiKeys;
  /** Compute every device's usage of this month in the background at start (warm cache). Default false. */
  readonly prewarmUsage?: boolean;
}

export class ApiServices {
  readonly store: Store;
  readonly live: LiveViews;
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
  readonly events: BillingEvents;
  readonly billing: BillingService;
  readonly ops: BillingOps;
  readonly documents: DocumentsService;
  readonly now: () => number;
  private readonly prewarm: boolean;

  constructor(deps: ApiDeps) {
    this.prewarm = deps.prewarmUsage ?? false;
    const now = (this.now = deps.now);
    this.store = deps.store;
    this.live = deps.live;
    this.log = deps.log;
    this.rating = deps.rating;
    this.snapshots = deps.snapshots;
    this.fleetHealth = deps.fleetHealth;
    this.audit = deps.audit;
    this.events = deps.events;
    this.billing = deps.billing;
    this.ops = deps.ops;
    this.documents = deps.documents;
    this.keys = deps.keys;
    this.idempotency = new IdempotencyStore(deps.store, now);
    this.claims = deps.claims;
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
    // A change of billing settings (mode, terms, credit limit) is applied at once.
    this.accounts.onBillingChange = (id) => this.billing.suspension.evaluate(id, now()).then(() => undefined);
    // A close runs the suspension policy at once (a credit limit it breaches must not wait for the hourly job).
    // The close is committed by then: should the policy fail, it is logged and the hourly job applies it.
    const evaluateAfterClose = (id: string) => this.billing.suspension.evaluate(id, now()).catch((err: unknown) => deps.log.warn({ err, accountId: id }, 'suspension evaluation after a close failed'));
    this.statements = new StatementsService(this.rating, this.snapshots, this.audit, now, this.events, evaluateAfterClose);
    this.records = new RecordsService(deps.store);
    this.reconcile = new ReconcileService(this.rating, this.snapshots, now, this.events);
  }

  /** Starts the usage warm-up; the shared services (API keys included) are app/'s to start. */
  async start(): Promise<void> {
    if (this.prewarm) {
      this.usage.prewarm().then(
        (r) => this.log.info(r, 'device usage cache warmed'),
        (err: unknown) => this.log.warn({ err }, 'device usage warm-up failed'),
      );
    }
  }

  stop(): void {}
}
