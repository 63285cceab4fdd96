/**
 * Billing metrics, on the process's Prometheus registry (the gateway's: served at /metrics on the
 * admin port, and with the API's at its /metrics):
 *
 * | metric | type | labels | what |
 * |---|---|---|---|
 * | `fleetmeter_job_runs_total` | counter | `job` | job runs this instance finished (dispatcher passes with nothing to do included) |
 * | `fleetmeter_job_failures_total` | counter | `job` | of those, runs that failed |
 * | `fleetmeter_outbox_pending_events` | gauge | `outbox` (`webhook`, `email`) | events the outbox's consumers have yet to get: pending deliveries (retries included) and events not yet queued |
 * | `fleetmeter_outbox_oldest_pending_age_seconds` | gauge | `outbox` | age of the oldest of them (0 when none) |
 * | `fleetmeter_accounts` | gauge | `state` (`active`, `warning`, `suspended`) | accounts by suspension state |
 *
 * The counters are this instance's; the gauges read ClickHouse on each scrape, so every instance
 * reports the same cluster-wide figures. A failed read keeps the last values (and logs a warning).
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { OutboxBacklog } from './ops.ts';
import { SUSPENSION_STATES, type SuspensionState } from './policy.ts';
import type { JobRun } from './scheduler.ts';

export interface BillingMetricSources {
  /** The depth of each outbox (BillingOps.outboxes). */
  outboxes(): Promise<readonly OutboxBacklog[]>;
  /** The suspension state of every account. */
  accountStates(): Promise<ReadonlyMap<string, SuspensionState>>;
  readonly now: () => number;
  readonly log: Pick<Logger, 'warn'>;
}

export class BillingMetrics {
  private readonly runs: Counter<'job'>;
  private readonly failures: Counter<'job'>;

  constructor(registry: Registry, sources: BillingMetricSources) {
    this.runs = new Counter({ name: 'fleetmeter_job_runs_total', help: 'Scheduled job runs finished on this instance, by job', labelNames: ['job'], registers: [registry] });
    this.failures = new Counter({ name: 'fleetmeter_job_failures_total', help: 'Scheduled job runs that failed on this instance, by job', labelNames: ['job'], registers: [registry] });
    // One read of the outboxes per scrape, shared by both gauges (a scrape collects them concurrently).
    let reading: Promise<readonly OutboxBacklog[] | null> | null = null;
    const read = () =>
      (reading ??= sources
        .outboxes()
        .catch((err: unknown) => {
          sources.log.warn({ err }, 'billing metrics: outbox depth not read');
          return null;
        })
        .finally(() => (reading = null)));
    new Gauge({
      name: 'fleetmeter_outbox_pending_events',
      help: 'Events an outbox has yet to deliver (pending deliveries and events not yet queued)',
      labelNames: ['outbox'],
      registers: [registry],
      async collect() {
        for (const b of (await read()) ?? []) this.set({ outbox: b.outbox }, b.pending);
      },
    });
    new Gauge({
      name: 'fleetmeter_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest event an outbox has yet to deliver, seconds (0: none)',
      labelNames: ['outbox'],
      registers: [registry],
      async collect() {
        const now = sources.now();
        for (const b of (await read()) ?? []) this.set({ outbox: b.outbox }, b.oldestAt === null ? 0 : Math.max(0, (now - b.oldestAt) / 1000));
      },
    });
    new Gauge({
      name: 'fleetmeter_accounts',
      help: 'Accounts by suspension state',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        try {
          const counts = new Map<SuspensionState, number>(SUSPENSION_STATES.map((s) => [s, 0]));
          for (const s of (await sources.accountStates()).values()) counts.set(s, (counts.get(s) ?? 0) + 1);
          for (const [state, n] of counts) this.set({ state }, n);
        } catch (err) {
          sources.log.warn({ err }, 'billing metrics: account states not read');
        }
      },
    });
  }

  /** Starts the job counters at 0 for these jobs (so a rate over a fresh process is defined). */
  jobs(names: readonly string[]): void {
    for (const job of names) {
      this.runs.inc({ job }, 0);
      this.failures.inc({ job }, 0);
    }
  }

  /** A finished run (Scheduler `onRun`). */
  jobRun(run: JobRun): void {
    this.runs.inc({ job: run.job });
    if (run.status === 'error') this.failures.inc({ job: run.job });
  }
}
