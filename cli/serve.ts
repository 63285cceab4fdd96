/** `fleetmeter serve`: the gateway, the scheduled jobs and the REST API (app/serve.ts), until SIGTERM/SIGINT, then a graceful shutdown. */
import { type AppOptions, BootstrapKeyError, startApp } from '../app/serve.ts';
import type { BillingOpsOptions } from '../billing/ops.ts';
import { CliError, parseArgs } from './args.ts';
import { type Config, configFlags, configHelp, configOptions, readProviderFile } from './config.ts';
import { createLogger, loadConfig } from './runtime.ts';

export const SERVE_HELP = `usage: fleetmeter serve [options]

The gateway (device listeners, admin port), the REST API and the scheduled jobs, until SIGTERM or
SIGINT. Flags override environment variables, which override defaults.

${configHelp()}
`;

export async function run(args: string[]): Promise<number> {
  const { flags } = parseArgs(args, configFlags(), { positionals: false });
  if (flags.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  const config = loadConfig(flags);
  const log = createLogger(config);
  let app;
  try {
    app = await startApp(appOptions(config), log);
  } catch (err) {
    const busy = busyPort(err, config);
    if (busy !== null) throw new CliError(busy);
    if (err instanceof BootstrapKeyError) throw new CliError(err.message);
    throw err;
  }
  log.info({ ports: app.ports }, 'fleetmeter serving');

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
  // Bounded: commits still failing after --shutdown-timeout-ms are given up (their devices were
  // not acked and resend), and whatever else still waits on a hung storage then is abandoned, so
  // a stop never hangs with the storage down. Nothing acked can be lost by leaving early: an ack
  // is only ever sent after its commit.
  const limit = config.shutdownTimeoutMs + 1_500;
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([app.close().then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), limit)))]);
  clearTimeout(timer);
  if (!inTime) {
    log.warn({ waitedMs: limit }, 'shutdown: storage did not answer in time; exiting with the remaining work abandoned (nothing acked is lost)');
    process.exit(0);
  }
  log.info('stopped');
  return 0;
}

/**
 * "--teltonika-tcp-port 5027 is in use …" for a listener that could not bind (EADDRINUSE), naming
 * the flag that chose the port; null for any other error.
 */
export function busyPort(err: unknown, config: Config): string | null {
  const e = err as { code?: string; syscall?: string; port?: number; address?: string } | null;
  if (e?.code !== 'EADDRINUSE' || typeof e.port !== 'number') return null;
  const udp = e.syscall === 'bind';
  const candidates = configOptions.filter((o) => 'port' in o && o.port && config[o.key] === e.port);
  const option = candidates.find((o) => o.flag.includes('-udp-') === udp) ?? candidates[0];
  const what = option ? `--${option.flag} ${e.port}` : `port ${e.port}`;
  return `${what} is in use (${udp ? 'UDP' : 'TCP'} ${e.address ?? ''}:${e.port} is bound by another process): stop it, or choose another port${option ? ` with --${option.flag} (${option.env})` : ''}`;
}

/** What the composition root is built from, out of the validated config. */
export function appOptions(c: Config): AppOptions {
  return {
    storage: c,
    gateway: c,
    api: c.apiPort === null ? null : { host: c.apiHost, port: c.apiPort },
    jobs: c.jobs === null ? null : { tickMs: c.jobTickMs },
    billingOps: billingOpsOptions(c),
    claims: { settleMs: c.claimSettleMs, staleMs: c.claimStaleMs },
    provider: readProviderFile(c.providerFile),
    bootstrapApiKey: c.bootstrapApiKey || null,
  };
}

/** Billing operations settings from the config (see docs/billing.md). */
export function billingOpsOptions(c: Config): BillingOpsOptions {
  return {
    smtp: { url: c.smtpUrl, host: c.smtpHost, port: c.smtpPort, secure: c.smtpSecure, user: c.smtpUser, pass: c.smtpPass, from: c.smtpFrom, timeoutMs: c.smtpTimeoutMs },
    retry: { baseMs: c.retryBaseMs, maxMs: c.retryMaxMs, maxAttempts: c.retryMaxAttempts },
    webhookTimeoutMs: c.webhookTimeoutMs,
    webhookAllowNetworks: c.webhookAllowNetworks,
    settleMs: c.eventSettleMs,
    periodCloseDay: c.periodCloseDay,
    silentHours: c.silentHours,
    leaseMs: c.jobLeaseMs,
    leaseSettleMs: c.claimSettleMs,
  };
}
