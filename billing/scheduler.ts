/**
 * Named jobs, run by whichever gateway instance holds the job's lease. Leases and runs live in
 * ClickHouse, which has no transactions and no compare-and-set, so a lease is claimed the
 * append-only way — the claim mechanism of store/claims.ts (its order `firstClaim` and its
 * write → settle → read-back step `contend`, and the same settle-time assumption), with epochs and
 * expiry on top:
 *
 * - `billing_job_leases` holds claims `(job, epoch, owner, claimed_at, expires_at)`. The lease of a
 *   job is its highest epoch; among the claims of that epoch the earliest claim wins, then the
 *   smallest owner id (a total order every reader computes the same way). The holder renews by
 *   writing its claim again — same `claimed_at`, later `expires_at` (ReplacingMergeTree keeps the
 *   latest per `(job, epoch, owner)`).
 * - To take a free or expired lease, an instance writes a claim for epoch + 1, waits `settleMs`
 *   (so a competitor that read the old state at about the same time has written too), reads the
 *   claims of that epoch back and holds the lease only if its claim wins. A competitor that reads
 *   after the claim is committed sees the lease taken and does not claim at all.
 * - A crashed holder simply stops renewing: once its claim expires, another instance claims the
 *   next epoch and runs the job (which is due, since the crashed run never finished).
 *
 * Two instances can both believe they hold a lease only if one of them stalls longer than
 * `settleMs` between reading the lease and writing its claim *and* its clock puts the claim
 * before the other's; jobs are idempotent for that case (and for a run that crashes half way).
 * Runs are recorded in `billing_job_runs`.
 *
 * Time comes from an injected clock and waits from an injected `sleep`, so tests drive schedules
 * without waiting.
 */
import { contend, firstClaim } from '../store/claims.ts';
import { VersionClock } from '../store/versions.ts';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { sqlNumber, sqlString } from '../store/sql.ts';
import type { Migration, Store } from '../store/types.ts';

export const LEASES_TABLE = 'billing_job_leases';
export const RUNS_TABLE = 'billing_job_runs';

export const schedulerMigrations: readonly Migration[] = [
  {
    id: '0601_billing_job_leases',
    statements: [
      `CREATE TABLE IF NOT EXISTS ${LEASES_TABLE} (
        job String,
        epoch UInt64,
        owner String,
        claimed_at Int64,
        expires_at Int64
      ) ENGINE = ReplacingMergeTree(expires_at) ORDER BY (job, epoch, owner)`,
      `CREATE TABLE IF NOT EXISTS ${RUNS_TABLE} (
        job String,
        run_id String,
        owner String,
        trigger String,
        started_at Int64,
        finished_at Int64,
        status String,
        result String,
        error String,
        version Int64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY (job, started_at, run_id)`,
    ],
  },
];

export const RUN_STATUSES = ['running', 'ok', 'error'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const RUN_TRIGGERS = ['schedule', 'manual'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export interface JobContext {
  readonly runId: string;
  readonly trigger: RunTrigger;
  now(): number;
  /**
   * Extends the lease (long runs call it between steps). False when the lease was lost — another
   * instance took it after this one stalled past the expiry: stop at once.
   */
  renew(): Promise<boolean>;
}

/** What a run reports: a JSON-serialisable summary, or null for "nothing to do" (quiet jobs do not record those). */
export type JobResult = { readonly [key: string]: unknown } | null;

export interface JobDefinition {
  readonly name: string;
  /** A run is due this long after the previous run finished (on any instance). */
  readonly intervalMs: number;
  /** Lease time to live; the run must renew within it. Default: the scheduler's. */
  readonly leaseMs?: number;
  /** Frequent jobs (dispatchers): runs with a null result are not recorded. */
  readonly quiet?: boolean;
  readonly description: string;
  run(ctx: JobContext): Promise<JobResult>;
}

export interface JobRun {
  readonly job: string;
  readonly runId: string;
  readonly owner: string;
  readonly trigger: RunTrigger;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly status: RunStatus;
  readonly result: JobResult;
  readonly error: string | null;
}

export interface LeaseView {
  readonly owner: string;
  readonly epoch: number;
  readonly claimedAt: number;
  readonly expiresAt: number;
}

export interface JobState {
  readonly name: string;
  readonly description: string;
  readonly intervalMs: number;
  readonly lastRun: JobRun | null;
  readonly lease: LeaseView | null;
}

export interface SchedulerOptions {
  /** This instance's id in leases and runs. Default host:pid:random. */
  readonly owner?: string;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Wait between writing a claim and reading it back. Default 250 ms. */
  readonly settleMs?: number;
  /** Default lease time to live. Default 60 s. */
  readonly leaseMs?: number;
  readonly log?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Called with every run this instance finished, recorded or not (metrics). */
  readonly onRun?: (run: JobRun) => void;
}

interface ClaimRow {
  epoch: string;
  owner: string;
  claimed: string;
  expires: string;
}

interface RunRow {
  job: string;
  run_id: string;
  owner: string;
  trigger: string;
  started_at: string;
  finished_at: string;
  status: string;
  result: string;
  error: string;
}

/** The lease of a job from its claims: the highest epoch; within it the earliest claim, then the smallest owner. */
export function leaseOf(claims: readonly LeaseView[]): LeaseView | null {
  if (claims.length === 0) return null;
  const epoch = claims.reduce((m, c) => Math.max(m, c.epoch), 0);
  return firstClaim(claims.filter((c) => c.epoch === epoch), (c) => c.owner);
}

const toRun = (r: RunRow): JobRun => ({
  job: r.job,
  runId: r.run_id,
  owner: r.owner,
  trigger: r.trigger as RunTrigger,
  startedAt: Number(r.started_at),
  finishedAt: Number(r.finished_at) === 0 ? null : Number(r.finished_at),
  status: r.status as RunStatus,
  result: r.result === '' ? null : (JSON.parse(r.result) as JobResult),
  error: r.error === '' ? null : r.error,
});

/** Leases in ClickHouse (see the module note). */
export class Leases {
  constructor(
    private readonly store: Store,
    private readonly owner: string,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly settleMs: number,
  ) {}

  async current(job: string): Promise<LeaseView | null> {
    return leaseOf(await this.claims(job, null));
  }

  private async claims(job: string, epoch: number | null): Promise<LeaseView[]> {
    const rows = await this.store.query<ClaimRow>(
      `SELECT epoch, owner, min(claimed_at) AS claimed, max(expires_at) AS expires FROM ${LEASES_TABLE} WHERE job = ${sqlString(job)}` +
        `${epoch === null ? '' : ` AND epoch = ${sqlNumber(epoch)}`} GROUP BY epoch, owner ORDER BY epoch DESC, owner LIMIT 64`,
    );
    return rows.map((r) => ({ epoch: Number(r.epoch), owner: r.owner, claimedAt: Number(r.claimed), expiresAt: Number(r.expires) }));
  }

  private async write(job: string, epoch: number, claimedAt: number, expiresAt: number): Promise<void> {
    await this.store.insert(LEASES_TABLE, [{ job, epoch, owner: this.owner, claimed_at: claimedAt, expires_at: expiresAt }]);
  }

  /**
   * Holds the lease for `ttlMs` from now if it is free, expired or already ours: the epoch held,
   * or the lease that blocks us.
   */
  async acquire(job: string, ttlMs: number): Promise<{ held: true; epoch: number } | { held: false; lease: LeaseView }> {
    const cur = await this.current(job);
    const now = this.now();
    if (cur !== null && cur.owner === this.owner && cur.expiresAt > now) {
      await this.write(job, cur.epoch, cur.claimedAt, now + ttlMs);
      return { held: true, epoch: cur.epoch };
    }
    if (cur !== null && cur.expiresAt > now) return { held: false, lease: cur };
    const epoch = (cur?.epoch ?? 0) + 1;
    const won = (await contend(
      { settleMs: this.settleMs, sleep: this.sleep },
      () => this.write(job, epoch, now, now + ttlMs),
      () => this.claims(job, epoch),
      leaseOf,
    ))!;
    return won.owner === this.owner ? { held: true, epoch } : { held: false, lease: won };
  }

  /** Extends a held lease; false if another instance holds the job now. */
  async renew(job: string, epoch: number, ttlMs: number): Promise<boolean> {
    const cur = await this.current(job);
    if (cur === null || cur.owner !== this.owner || cur.epoch !== epoch) return false;
    await this.write(job, epoch, cur.claimedAt, this.now() + ttlMs);
    return true;
  }

  /** Gives a held lease up at once (an expired claim of the next epoch: whoever claims next wins it). */
  async release(job: string, epoch: number): Promise<void> {
    const cur = await this.current(job);
    if (cur === null || cur.owner !== this.owner || cur.epoch !== epoch) return;
    const now = this.now();
    await this.write(job, epoch + 1, now, now);
  }
}

/** Job run records. */
export class JobRuns {
  constructor(private readonly store: Store) {}

  async write(run: JobRun, version: number): Promise<void> {
    await this.store.insert(RUNS_TABLE, [
      {
        job: run.job,
        run_id: run.runId,
        owner: run.owner,
        trigger: run.trigger,
        started_at: run.startedAt,
        finished_at: run.finishedAt ?? 0,
        status: run.status,
        result: run.result === null ? '' : JSON.stringify(run.result),
        error: run.error ?? '',
        version,
      },
    ]);
  }

  /** The newest run of each job. */
  async last(jobs: readonly string[]): Promise<Map<string, JobRun>> {
    const out = new Map<string, JobRun>();
    if (jobs.length === 0) return out;
    const rows = await this.store.query<RunRow>(
      `SELECT job, run_id, owner, trigger, started_at, finished_at, status, result, error FROM ${RUNS_TABLE} FINAL ` +
        `WHERE job IN (${jobs.map(sqlString).join(', ')}) ORDER BY job, started_at DESC, run_id LIMIT 1 BY job`,
    );
    for (const r of rows) out.set(r.job, toRun(r));
    return out;
  }

  /** The newest finished run of a job (what "due" is measured from). */
  async lastFinished(job: string): Promise<JobRun | null> {
    const rows = await this.store.query<RunRow>(
      `SELECT job, run_id, owner, trigger, started_at, finished_at, status, result, error FROM ${RUNS_TABLE} FINAL ` +
        `WHERE job = ${sqlString(job)} AND status != 'running' ORDER BY finished_at DESC, run_id LIMIT 1`,
    );
    return rows.length === 0 ? null : toRun(rows[0]);
  }

  /** Runs of a job, newest first. */
  async list(job: string, limit: number, before?: number): Promise<JobRun[]> {
    const rows = await this.store.query<RunRow>(
      `SELECT job, run_id, owner, trigger, started_at, finished_at, status, result, error FROM ${RUNS_TABLE} FINAL ` +
        `WHERE job = ${sqlString(job)}${before === undefined ? '' : ` AND started_at < ${sqlNumber(before)}`} ORDER BY started_at DESC, run_id LIMIT ${sqlNumber(limit)}`,
    );
    return rows.map(toRun);
  }
}

export class JobBusyError extends Error {
  readonly code = 'FM_JOB_BUSY';
  constructor(
    readonly job: string,
    readonly lease: LeaseView,
  ) {
    super(`job ${job} is running on ${lease.owner} (lease until ${new Date(lease.expiresAt).toISOString()})`);
  }
}

export class UnknownJobError extends Error {
  readonly code = 'FM_JOB_UNKNOWN';
  constructor(readonly job: string) {
    super(`no job named ${JSON.stringify(job)}`);
  }
}

interface Local {
  /** Epoch of a lease this instance holds, and until when (local view). */
  held: { epoch: number; expiresAt: number } | null;
  /** Do not look at storage for this job before then (the job is not due / the lease is taken). */
  checkAfter: number;
  running: Promise<unknown> | null;
}

export class Scheduler {
  readonly owner: string;
  readonly leases: Leases;
  readonly runs: JobRuns;
  private readonly jobs = new Map<string, JobDefinition>();
  private readonly local = new Map<string, Local>();
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly log: SchedulerOptions['log'];
  private readonly onRun: SchedulerOptions['onRun'];
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<unknown> | null = null;
  private stopping = false;
  private readonly versions: VersionClock;

  constructor(store: Store, options: SchedulerOptions = {}) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.now = options.now ?? Date.now;
    this.versions = new VersionClock(this.now);
    this.leaseMs = options.leaseMs ?? 60_000;
    this.log = options.log;
    this.onRun = options.onRun;
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    this.leases = new Leases(store, this.owner, this.now, sleep, options.settleMs ?? 250);
    this.runs = new JobRuns(store);
  }

  /** Adds a job (a second registration of a name replaces the first). */
  register(job: JobDefinition): void {
    this.jobs.set(job.name, job);
    this.local.set(job.name, { held: null, checkAfter: 0, running: null });
  }

  has(name: string): boolean {
    return this.jobs.has(name);
  }

  names(): string[] {
    return [...this.jobs.keys()].sort();
  }

  /** Looks at the job again on the next tick (e.g. new events for a dispatcher). */
  poke(name: string, atMs = this.now()): void {
    const l = this.local.get(name);
    if (l !== undefined && l.checkAfter > atMs) l.checkAfter = atMs;
  }

  /** Every job that is due and whose lease this instance gets, run one after another. */
  async tick(): Promise<JobRun[]> {
    const done: JobRun[] = [];
    for (const name of this.names()) {
      if (this.stopping) break; // a stop waits for this tick: do not start another job's check
      try {
        const r = await this.tickJob(name);
        if (r !== null) done.push(r);
      } catch (err) {
        this.log?.warn({ err, job: name }, 'scheduler: job check failed');
      }
    }
    return done;
  }

  private async tickJob(name: string): Promise<JobRun | null> {
    const job = this.jobs.get(name)!;
    const l = this.local.get(name)!;
    const now = this.now();
    if (l.running !== null || now < l.checkAfter) return null;
    const ttl = job.leaseMs ?? this.leaseMs;
    if (job.quiet && l.held !== null && l.held.expiresAt - now > ttl / 2) {
      // A dispatcher holding its lease runs without touching the lease table every tick.
      return this.execute(job, l, 'schedule');
    }
    const got = await this.leases.acquire(name, ttl);
    if (!got.held) {
      l.held = null;
      l.checkAfter = got.lease.expiresAt;
      return null;
    }
    const fresh = l.held === null || l.held.epoch !== got.epoch;
    l.held = { epoch: got.epoch, expiresAt: this.now() + ttl };
    if (fresh || !job.quiet) {
      // Newly held (or a recorded job): what another instance ran meanwhile counts.
      const last = await this.runs.lastFinished(name);
      const due = last === null ? 0 : (last.finishedAt ?? last.startedAt) + job.intervalMs;
      if (due > this.now()) {
        l.checkAfter = due;
        return null;
      }
    }
    return this.execute(job, l, 'schedule');
  }

  /** Runs a job now on this instance (manual trigger), whether due or not. Throws JobBusyError when another instance holds it. */
  async trigger(name: string): Promise<JobRun> {
    const job = this.jobs.get(name);
    if (job === undefined) throw new UnknownJobError(name);
    const l = this.local.get(name)!;
    if (l.running !== null) await l.running.catch(() => undefined);
    const ttl = job.leaseMs ?? this.leaseMs;
    const got = await this.leases.acquire(name, ttl);
    if (!got.held) throw new JobBusyError(name, got.lease);
    l.held = { epoch: got.epoch, expiresAt: this.now() + ttl };
    return this.execute(job, l, 'manual');
  }

  private async execute(job: JobDefinition, l: Local, trigger: RunTrigger): Promise<JobRun> {
    const ttl = job.leaseMs ?? this.leaseMs;
    const epoch = l.held!.epoch;
    const startedAt = this.now();
    const base = { job: job.name, runId: randomUUID(), owner: this.owner, trigger, startedAt };
    const record = !job.quiet || trigger === 'manual';
    if (record) await this.runs.write({ ...base, finishedAt: null, status: 'running', result: null, error: null }, this.versions.next());
    let lost = false;
    const ctx: JobContext = {
      runId: base.runId,
      trigger,
      now: this.now,
      renew: async () => {
        if (lost) return false;
        // Renew only past half the lease (cheap for a loop that calls it often).
        if (l.held !== null && l.held.expiresAt - this.now() > ttl / 2) return true;
        const ok = await this.leases.renew(job.name, epoch, ttl);
        if (ok) l.held = { epoch, expiresAt: this.now() + ttl };
        else lost = true;
        return ok;
      },
    };
    const running = (async (): Promise<JobRun> => {
      let run: JobRun;
      try {
        const result = await job.run(ctx);
        run = { ...base, finishedAt: this.now(), status: 'ok', result, error: null };
        if (record || result !== null) await this.runs.write(run, this.versions.next());
      } catch (err) {
        run = { ...base, finishedAt: this.now(), status: 'error', result: null, error: err instanceof Error ? err.message : String(err) };
        this.log?.error({ err, job: job.name, runId: base.runId }, 'job failed');
        await this.runs.write(run, this.versions.next()).catch(() => undefined);
      }
      l.checkAfter = run.finishedAt! + job.intervalMs;
      this.onRun?.(run);
      return run;
    })();
    l.running = running;
    try {
      return await running;
    } finally {
      l.running = null;
    }
  }

  /** Every job with its last run and current lease. */
  async states(): Promise<JobState[]> {
    const names = this.names();
    const last = await this.runs.last(names);
    const out: JobState[] = [];
    for (const name of names) {
      const job = this.jobs.get(name)!;
      out.push({ name, description: job.description, intervalMs: job.intervalMs, lastRun: last.get(name) ?? null, lease: await this.leases.current(name) });
    }
    return out;
  }

  /** Ticks every `tickMs` (real time) until stop(). */
  start(tickMs: number): void {
    if (this.timer !== null) return;
    this.stopping = false;
    this.timer = setInterval(() => {
      if (this.ticking !== null) return;
      this.ticking = this.tick()
        .catch((err: unknown) => this.log?.warn({ err }, 'scheduler tick failed'))
        .finally(() => (this.ticking = null));
    }, tickMs);
    this.timer.unref();
  }

  /** Stops ticking, waits for the runs in progress, and gives up the leases held. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    // Each job's run in progress, then its lease given up: the jobs side by side, so a slow or
    // hung storage costs one request timeout, not one per job.
    await Promise.all(
      [...this.local].map(async ([name, l]) => {
        await l.running?.catch(() => undefined);
        if (l.held !== null) await this.leases.release(name, l.held.epoch).catch(() => undefined);
        l.held = null;
      }),
    );
  }
}
