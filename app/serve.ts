/**
 * The composition root of `fleetmeter serve`: opens and migrates storage, builds the process's
 * services (app/services.ts), starts the gateway on them (its committed batches feed the live
 * state; billing metrics join its Prometheus registry), the REST API when it has a port, and the
 * scheduled jobs when they are on — with the API or without it. `close()` stops it all in order.
 */
import type { Logger } from 'pino';
import { ApiKeys } from '../api/api-keys.ts';
import { type ApiServer, startApi } from '../api/server.ts';
import type { ProviderRequisites } from '../api/documents/requisites.ts';
import type { BillingOpsOptions } from '../billing/ops.ts';
import { type Gateway, type GatewayOptions, startGateway } from '../ingest/gateway.ts';
import { createMetrics } from '../ingest/metrics.ts';
import type { Store } from '../store/types.ts';
import { buildServices, type Services } from './services.ts';
import { allMigrations, openAndMigrate, type StorageConfig } from './storage.ts';

export interface AppOptions {
  readonly storage: StorageConfig;
  readonly gateway: GatewayOptions;
  /** The REST API's address; null: no API. */
  readonly api: { readonly host: string; readonly port: number } | null;
  /** The scheduler's tick; null: no scheduled jobs in this process. */
  readonly jobs: { readonly tickMs: number } | null;
  readonly billingOps: BillingOpsOptions;
  /** Claims for creates that must be unique (store/claims.ts): settle and stale times (ms). */
  readonly claims?: { readonly settleMs: number; readonly staleMs: number };
  /** The provider's requisites on invoices and acts (`--provider-file`); null: no PDF documents. */
  readonly provider?: ProviderRequisites | null;
  /** An API key (`fmk_…`) to make sure exists, with scope admin, before anything serves (FLEETMETER_BOOTSTRAP_API_KEY). */
  readonly bootstrapApiKey?: string | null;
}

export interface App {
  readonly store: Store;
  readonly services: Services;
  readonly gateway: Gateway;
  readonly api: ApiServer | null;
  readonly ports: Gateway['ports'] & { api?: number };
  /** Graceful: the API, then the gateway (commit and ack what arrived), the jobs, the live state, storage. */
  close(): Promise<void>;
}

/** The bootstrap API key could not be ensured (one line for the CLI). */
export class BootstrapKeyError extends Error {}

export async function startApp(o: AppOptions, log: Logger): Promise<App> {
  const store = await openAndMigrate(o.storage, log);
  log.info({ backend: store.backend, database: store.database }, 'storage ready');
  if (o.bootstrapApiKey) {
    try {
      const outcome = await new ApiKeys(store).ensure(o.bootstrapApiKey, 'bootstrap', ['admin']);
      const keyId = o.bootstrapApiKey.slice(4, 20);
      if (outcome === 'revoked') log.warn({ keyId }, 'bootstrap API key (FLEETMETER_BOOTSTRAP_API_KEY) is revoked: left revoked');
      else log.info({ keyId, outcome }, 'bootstrap API key ready (scope admin)');
    } catch (err) {
      await store.close();
      throw new BootstrapKeyError(`FLEETMETER_BOOTSTRAP_API_KEY: ${(err as Error).message}`);
    }
  }
  const metrics = createMetrics();
  const services = buildServices(store, { log, billingOps: o.billingOps, metrics: metrics.registry, claimSettleMs: o.claims?.settleMs, claimStaleMs: o.claims?.staleMs, provider: o.provider ?? null });
  let gateway: Gateway | null = null;
  let api: ApiServer | null = null;
  const stop = async () => {
    await api?.close();
    await gateway?.close();
    await services.stop();
    await store.close();
  };
  try {
    await services.start();
    // Each batch commits its presence with its records (the rating engine); the fleet tracker sees every committed batch.
    // The admin port's /commands take an API key with the admin scope (the REST API's keys), with the API on or off.
    gateway = await startGateway(store, o.gateway, log, services.live.sink, services.live.derive, metrics, services.adminKeys);
    if (o.api !== null) {
      // The API shares the gateway's device registry: a device registered through it is accepted at once.
      api = await startApi(
        { ...services, registry: gateway.context.registry, logger: log, migrations: allMigrations.map((m) => m.id), metricsRegistries: [metrics.registry], prewarmUsage: true },
        { host: o.api.host, port: o.api.port },
      );
    }
  } catch (err) {
    // E.g. a port is taken: stop what started, cleanly, then report.
    await stop().catch((e: unknown) => log.warn({ err: e }, 'stopping after a failed start'));
    throw err;
  }
  // Scheduled jobs (period close, webhook and e-mail dispatch, device checks, suspension) run on
  // the shared services; every instance may run them: leases in ClickHouse let one run each job at a time.
  if (o.jobs !== null) {
    services.startJobs(o.jobs.tickMs);
    log.info({ jobs: services.ops.scheduler.names(), owner: services.ops.scheduler.owner, mail: services.ops.mailer !== null }, 'scheduler started');
  }
  return {
    store,
    services,
    gateway,
    api,
    ports: { ...gateway.ports, ...(api !== null ? { api: api.port } : {}) },
    close: stop,
  };
}
