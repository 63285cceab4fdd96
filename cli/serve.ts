/** `fleetmeter serve`: the gateway and the REST API, until SIGTERM/SIGINT, then a graceful shutdown. */
import { createLive } from '../api/live.ts';
import { startApi } from '../api/server.ts';
import { startGateway } from '../ingest/gateway.ts';
import type { BillingOpsOptions } from '../billing/ops.ts';
import { type Config, configHelp } from './config.ts';
import { allMigrations, createLogger, loadConfig, openAndMigrate, splitArgs } from './runtime.ts';

export async function run(args: string[]): Promise<number> {
  const { flags } = splitArgs(args);
  if (flags.help) {
    process.stdout.write(`usage: fleetmeter serve [options]\n\n${configHelp()}\n`);
    return 0;
  }
  const config = loadConfig(flags);
  const log = createLogger(config);
  const store = await openAndMigrate(config, log);
  log.info({ backend: store.backend, database: store.database }, 'storage ready');
  // The rating engine and the fleet tracker see every committed batch (live usage, fleet health).
  const live = createLive(store, { log, flushMs: config.ratingFlushMs });
  await live.start();
  const gateway = await startGateway(store, config, log, live.sink);
  // The API shares the gateway's device registry: a device registered through it is accepted at once.
  let api: Awaited<ReturnType<typeof startApi>> | null = null;
  if (config.apiPort !== null) {
    try {
      api = await startApi(
        { store, live, registry: gateway.context.registry, logger: log, log, migrations: allMigrations.map((m) => m.id), metricsRegistries: [gateway.metrics.registry], prewarmUsage: true, billingOps: billingOpsOptions(config), claimSettleMs: config.claimSettleMs, claimStaleMs: config.claimStaleMs },
        { host: config.apiHost, port: config.apiPort },
      );
    } catch (err) {
      // E.g. the API port is taken: stop what started, cleanly, then report.
      await gateway.close();
      await live.stop();
      await store.close();
      throw err;
    }
  }
  // Scheduled jobs (period close, webhook and e-mail dispatch, device checks) run with the API's
  // services; every instance may run them: leases in ClickHouse let one run each job at a time.
  if (api !== null && config.jobs !== null) {
    api.services.ops.start(config.jobTickMs);
    log.info({ jobs: api.services.ops.scheduler.names(), owner: api.services.ops.scheduler.owner, mail: api.services.ops.mailer !== null }, 'scheduler started');
  }
  log.info({ ports: { ...gateway.ports, ...(api ? { api: api.port } : {}) } }, 'fleetmeter serving');

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down: no new connections, committing and acking what arrived');
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve();
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  await api?.close();
  await gateway.close();
  await live.stop();
  await store.close();
  return 0;
}

/** Billing operations settings from the config (see docs/billing.md). */
export function billingOpsOptions(c: Config): BillingOpsOptions {
  return {
    smtp: { url: c.smtpUrl, host: c.smtpHost, port: c.smtpPort, secure: c.smtpSecure, user: c.smtpUser, pass: c.smtpPass, from: c.smtpFrom, timeoutMs: c.smtpTimeoutMs },
    retry: { baseMs: c.retryBaseMs, maxMs: c.retryMaxMs, maxAttempts: c.retryMaxAttempts },
    webhookTimeoutMs: c.webhookTimeoutMs,
    settleMs: c.eventSettleMs,
    periodCloseDay: c.periodCloseDay,
    silentHours: c.silentHours,
    leaseMs: c.jobLeaseMs,
    leaseSettleMs: c.claimSettleMs,
  };
}
