/**
 * Rating benchmark (issue 5, "Performance"): three measurements on one machine.
 *
 *   npm run bench:rating                                   everything at full scale, results → bench/RESULTS.md
 *   npm run bench:rating -- --accounts 1000 --devices 10000   a quick, scaled-down run (results not written)
 *   npm run bench:rating -- --part statement --runs 200      one part only (stream | billing | statement)
 *
 * 1. stream     records/s through `PresenceEngine.ingest` on one core (this process's main thread),
 *               batches as the commit pipeline hands them over (20 000 records, many devices):
 *               device-grouped (each frame's records together, frames of many devices interleaved)
 *               and worst-case interleaved (every record shuffled within its batch). Fresh engine
 *               per repetition, so every record sets a new bit as in production.
 * 2. billing    statements for --accounts accounts with --devices devices over a month of
 *               synthetic presence in embedded ClickHouse (chDB, temp dir): generation
 *               (`syntheticFleet`, `presenceRows`) timed apart, then `billingRun(period)` end to end,
 *               with wall time, peak RSS sampled during the run, and the process's ru_maxrss.
 * 3. statement  one account's draft statement with --statement-devices devices, one account per
 *               tariff unit (minute, hour, day, month), p50/p99 over --runs runs (default 100): cold (first call
 *               of a fresh service), warm (repeated calls), live (the engine flushes late data for
 *               a few device-days between calls, so presence read-through must notice it), and
 *               uncached (presence read in full every time: the path before the cache).
 *
 * The machine is shared: each measurement carries the 1-minute load average at its start and end,
 * and CPU time of this process next to wall time where that is what the target is about.
 *
 * Other options: --month YYYY-MM (default 2024-06), --stream-devices, --stream-records,
 * --reps, --results (write RESULTS.md even when scaled down), --no-results, --keep-data,
 * --cpu-prof (sample the billing run and the warm statements; print where the time goes),
 * --render FILE[,FILE…] (re-render the section from saved runs' JSON, the first as the main run).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { splitArgs } from '../cli/runtime.ts';
import {
  ClickHousePresenceStorage,
  type Period,
  PresenceEngine,
  type PresenceRecord,
  MemoryPresenceStorage,
  RatingService,
  type RatingConfig,
  deviceIdOf,
  isoToDay,
  monthPeriod,
  presenceRows,
  prng,
  ratingMigrations,
  recordBatches,
  syntheticFleet,
} from '../rating/index.ts';
import { migrate, openStore, type Store } from '../store/index.ts';

const { flags } = splitArgs(process.argv.slice(2));
const PARTS = ['stream', 'billing', 'statement'] as const;
type Part = (typeof PARTS)[number];
const parts: Part[] = flags.part && flags.part !== 'all' ? (flags.part.split(',') as Part[]) : [...PARTS];
for (const p of parts) if (!PARTS.includes(p)) throw new Error(`--part: ${PARTS.join(', ')} or all; got ${p}`);

const num = (name: string, def: number) => {
  const v = flags[name] === undefined ? def : Number(flags[name]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got ${flags[name]}`);
  return v;
};
const ACCOUNTS = num('accounts', 10_000);
const DEVICES = num('devices', 100_000);
const STATEMENT_DEVICES = num('statement-devices', 1000);
const RUNS = num('runs', 100);
const REPS = num('reps', 5);
const STREAM_DEVICES = num('stream-devices', 10_000);
const STREAM_RECORDS = num('stream-records', 2_000_000);
const MONTH = flags.month ?? '2024-06';
const PERIOD = monthPeriod(MONTH);
const FULL_SCALE = ACCOUNTS === 10_000 && DEVICES === 100_000 && STATEMENT_DEVICES === 1000 && RUNS >= 50 && parts.length === PARTS.length;
const WRITE_RESULTS = flags['no-results'] === undefined && (FULL_SCALE || flags.results !== undefined);
if (DEVICES % ACCOUNTS !== 0) throw new Error(`--devices (${DEVICES}) must be a multiple of --accounts (${ACCOUNTS})`);

const log = (line: string) => process.stderr.write(line + '\n');
/** A full garbage collection between phases, so one phase's garbage is not collected in the next one's timing. */
const fullGc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();
const load1 = () => os.loadavg()[0].toFixed(1);
const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** --cpu-prof: sample the main thread during a measurement, print the top self-time functions. */
async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (flags['cpu-prof'] === undefined) return fn();
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 250 });
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    const file = join(os.tmpdir(), `bench-rating-${name}-${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    let total = 0;
    profile.samples!.forEach((id, i) => {
      const f = byId.get(id)!.callFrame;
      const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}`;
      const dt = profile.timeDeltas![i];
      self.set(key, (self.get(key) ?? 0) + dt);
      total += dt;
    });
    log(`cpu profile of ${name}: ${file}`);
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) log(`  ${(v / 1000).toFixed(0).padStart(7)} ms ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
  }
}

const machine = {
  cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
  cores: os.cpus().length,
  ramGb: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
};
const machineLine = `${machine.cpu} (\`os.cpus()\` model string), ${machine.cores} logical CPUs, ${machine.ramGb} GB RAM, ${machine.platform}, Node ${machine.node}`;
log(`machine: ${machineLine}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

// ── 1. streaming presence updates ─────────────────────────────────────────────────────────────
interface StreamResult {
  readonly name: string;
  readonly records: number;
  readonly batch: number;
  readonly best: number;
  readonly median: number;
  readonly perCpu: number;
  readonly load: string;
}

function streamBench(): StreamResult[] {
  const perBatch = 20_000;
  const recordsPerDevice = Math.max(1, Math.floor(perBatch / STREAM_DEVICES));
  const batches = Math.ceil(STREAM_RECORDS / (STREAM_DEVICES * recordsPerDevice));
  // A Tuesday 06:00 UTC: records run through the day and across midnight (new device-days).
  const startMs = Date.UTC(2024, 5, 4, 6);
  const grouped = [...recordBatches({ devices: STREAM_DEVICES, recordsPerBatch: recordsPerDevice, batches, startMs, stepMs: 10_000, implausibleShare: 0.01, seed: 11 })];
  const rnd = prng(99);
  const interleaved = grouped.map((b) => {
    const c = b.slice();
    for (let i = c.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      const t = c[i];
      c[i] = c[j];
      c[j] = t;
    }
    return c;
  });
  const total = grouped.reduce((s, b) => s + b.length, 0);
  const cases: [string, PresenceRecord[][]][] = [
    [`device-grouped (${recordsPerDevice} consecutive records per device per batch, device order shuffled)`, grouped],
    ['interleaved (every record shuffled within its batch: worst case)', interleaved],
  ];
  const out: StreamResult[] = [];
  for (const [name, data] of cases) {
    // Warm-up: let V8 optimise ingest before timing.
    const warm = new PresenceEngine({ storage: new MemoryPresenceStorage() });
    for (let i = 0; i < Math.min(20, data.length); i++) warm.ingest(data[i]);
    const rates: number[] = [];
    let cpuRate = 0;
    const loadStart = load1();
    for (let r = 0; r < REPS; r++) {
      fullGc();
      const engine = new PresenceEngine({ storage: new MemoryPresenceStorage(), maxDeviceDays: 10_000_000 });
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (const b of data) engine.ingest(b);
      const wall = performance.now() - t0;
      const cpu = cpuMs(c0);
      rates.push(total / (wall / 1000));
      cpuRate = Math.max(cpuRate, total / (cpu / 1000));
      if (engine.stats().records !== total) throw new Error('engine did not see every record');
    }
    const result = { name, records: total, batch: data[0].length, best: Math.max(...rates), median: percentile(rates, 50), perCpu: cpuRate, load: `${loadStart} → ${load1()}` };
    log(`stream ${name}: best ${fmt(result.best)}/s, median ${fmt(result.median)}/s, ${fmt(result.perCpu)}/CPU-s (load ${result.load})`);
    out.push(result);
  }
  return out;
}

// ── storage set-up shared by 2 and 3 ──────────────────────────────────────────────────────────
let dataDir: string | null = null;
let store: Store | null = null;
async function openBenchStore(): Promise<Store> {
  if (store) return store;
  dataDir = mkdtempSync(join(os.tmpdir(), 'fm-bench-rating-'));
  store = await openStore({ backend: 'chdb', path: dataDir, database: 'bench' });
  await migrate(store, ratingMigrations);
  return store;
}

/** UTC days whose presence a period can touch in any zone (UTC−12 … UTC+14), plus margin. */
function presenceDays(p: Period): { fromDay: number; toDay: number } {
  return { fromDay: isoToDay(p.from) - 1, toDay: isoToDay(p.to) + 1 };
}

async function writePresence(s: Store, deviceIds: readonly string[], seed: number): Promise<{ rows: number; ms: number }> {
  const storage = new ClickHousePresenceStorage(s);
  const t0 = performance.now();
  let rows = 0;
  for (const chunk of presenceRows({ deviceIds, ...presenceDays(PERIOD), seed, chunk: 50_000 })) {
    await storage.save(chunk, 1);
    rows += chunk.length;
  }
  return { rows, ms: performance.now() - t0 };
}

/**
 * Waits until ClickHouse has no merges running (at most 10 min): a bulk load of millions of rows
 * keeps background merges busy for minutes, on this process's threads. Steady-state storage is
 * merged; measuring during the merge storm would time the bulk load, not rating.
 */
async function settle(s: Store): Promise<number> {
  const t0 = performance.now();
  let quiet = 0;
  while (performance.now() - t0 < 600_000 && quiet < 2) {
    const [r] = await s.query<{ n: string }>('SELECT count() AS n FROM system.merges');
    quiet = Number(r.n) === 0 ? quiet + 1 : 0;
    if (quiet < 2) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return performance.now() - t0;
}

// ── 2. full month billing run ─────────────────────────────────────────────────────────────────
interface BillingResult {
  readonly accounts: number;
  readonly devices: number;
  readonly presenceRows: number;
  readonly configMs: number;
  readonly presenceMs: number;
  readonly settleMs: number;
  readonly genLoad: string;
  readonly statements: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMb: number;
  readonly rssBeforeMb: number;
  readonly maxRssMb: number;
  readonly load: string;
}

async function billingBench(): Promise<BillingResult> {
  const s = await openBenchStore();
  const genLoad = load1();
  const fleet = syntheticFleet({ accounts: ACCOUNTS, devicesPerAccount: DEVICES / ACCOUNTS });
  const service = new RatingService({ store: s, presence: new PresenceEngine({ storage: new ClickHousePresenceStorage(s) }) });
  let t0 = performance.now();
  await service.config.importConfig(fleet);
  const configMs = performance.now() - t0;
  const written = await writePresence(
    s,
    fleet.deviceAssignments.map((d) => d.deviceId),
    7,
  );
  log(`billing: generated ${fmt(ACCOUNTS)} accounts, ${fmt(DEVICES)} devices (${ms(configMs)} ms), ${fmt(written.rows)} presence rows in ${ms(written.ms)} ms (load ${genLoad} → ${load1()})`);
  const genEnd = load1();
  const settleMs = await settle(s);
  log(`billing: background merges settled after ${ms(settleMs)} ms`);

  fullGc();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sample = () => {
    const r = process.memoryUsage().rss;
    if (r > peak) peak = r;
  };
  const timer = setInterval(sample, 25);
  const loadStart = load1();
  const c0 = process.cpuUsage();
  t0 = performance.now();
  let statements = 0;
  await profiled('billing', async () => {
    for await (const st of service.billingRun(PERIOD)) {
      if (st.doc.lines.length === 0 && st.doc.devices.length === 0) throw new Error(`empty statement for ${st.doc.accountId}`);
      if (++statements % 100 === 0) sample();
    }
  });
  const wallMs = performance.now() - t0;
  const cpu = cpuMs(c0);
  clearInterval(timer);
  sample();
  if (statements !== ACCOUNTS) throw new Error(`billing run produced ${statements} statements, expected ${ACCOUNTS}`);
  const result: BillingResult = {
    accounts: ACCOUNTS,
    devices: DEVICES,
    presenceRows: written.rows,
    configMs,
    presenceMs: written.ms,
    settleMs,
    genLoad: `${genLoad} → ${genEnd}`,
    statements,
    wallMs,
    cpuMs: cpu,
    peakRssMb: mb(peak),
    rssBeforeMb: mb(rssBefore),
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    load: `${loadStart} → ${load1()}`,
  };
  log(`billing: ${statements} statements in ${ms(wallMs)} ms (CPU ${ms(cpu)} ms), RSS ${result.rssBeforeMb} → peak ${result.peakRssMb} MB (ru_maxrss ${result.maxRssMb} MB), load ${result.load}`);
  return result;
}

// ── 3. one account's draft statement ──────────────────────────────────────────────────────────
interface StatementRow {
  readonly unit: string;
  readonly zone: string;
  readonly mode: string;
  readonly runs: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly cpuP50: number;
  readonly cpuP99: number;
  readonly load: string;
}

const STATEMENT_DEVICE_BASE = 5_000_000;

/** Four accounts, one per tariff unit of the synthetic tariffs, `STATEMENT_DEVICES` devices each. */
function statementFleet(tariffsExist: boolean): RatingConfig {
  const base = syntheticFleet({ accounts: 4, devicesPerAccount: STATEMENT_DEVICES });
  const units = ['minute', 'hour', 'day', 'month'];
  const rename = (id: string) => `stmt-${units[Number(id.slice(4)) - 1]}`;
  return {
    accounts: base.accounts.map((a) => ({ ...a, id: rename(a.id), name: `Statement bench ${rename(a.id)}` })),
    deviceAssignments: base.deviceAssignments.map((d) => ({ ...d, accountId: rename(d.accountId!), deviceId: deviceIdOf(STATEMENT_DEVICE_BASE + Number(d.deviceId.slice(8))) })),
    tariffAssignments: base.tariffAssignments.map((t) => ({ ...t, accountId: rename(t.accountId) })),
    tariffVersions: tariffsExist ? [] : base.tariffVersions,
    suspensions: [],
  };
}

async function timeRuns(name: string, runs: number, fn: (i: number) => Promise<unknown>): Promise<{ wall: number[]; cpu: number[]; load: string }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  fullGc();
  const loadStart = load1();
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn(i);
    wall.push(performance.now() - t0);
    cpu.push(cpuMs(c0));
  }
  void name;
  return { wall, cpu, load: `${loadStart} → ${load1()}` };
}

/** Like `timeRuns`, with an untimed `before` step ahead of each timed `fn`. */
async function timeRunsWith(runs: number, before: () => Promise<unknown>, fn: () => Promise<unknown>): Promise<{ wall: number[]; cpu: number[]; load: string }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  fullGc();
  const loadStart = load1();
  for (let i = 0; i < runs; i++) {
    await before();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    cpu.push(cpuMs(c0));
  }
  return { wall, cpu, load: `${loadStart} → ${load1()}` };
}

async function statementBench(tariffsExist: boolean): Promise<StatementRow[]> {
  const s = await openBenchStore();
  const fleet = statementFleet(tariffsExist);
  const setup = new RatingService({ store: s, presence: new PresenceEngine({ storage: new ClickHousePresenceStorage(s) }) });
  await setup.config.importConfig(fleet);
  const gen = await writePresence(
    s,
    fleet.deviceAssignments.map((d) => d.deviceId),
    13,
  );
  const settleMs = await settle(s);
  fullGc();
  log(`statement: ${fleet.accounts.length} accounts × ${STATEMENT_DEVICES} devices, ${fmt(gen.rows)} presence rows in ${ms(gen.ms)} ms; merges settled after ${ms(settleMs)} ms`);
  const rows: StatementRow[] = [];
  const push = (acc: (typeof fleet.accounts)[number], mode: string, r: { wall: number[]; cpu: number[]; load: string }) => {
    const row: StatementRow = {
      unit: acc.id.slice(5),
      zone: acc.timeZone,
      mode,
      runs: r.wall.length,
      p50: percentile(r.wall, 50),
      p99: percentile(r.wall, 99),
      max: Math.max(...r.wall),
      cpuP50: percentile(r.cpu, 50),
      cpuP99: percentile(r.cpu, 99),
      load: r.load,
    };
    log(`statement ${row.unit.padEnd(6)} ${mode.padEnd(9)} runs ${row.runs}: p50 ${ms(row.p50)} ms, p99 ${ms(row.p99)} ms, max ${ms(row.max)} ms, CPU p50 ${ms(row.cpuP50)} ms, p99 ${ms(row.cpuP99)} ms (load ${row.load})`);
    rows.push(row);
  };
  const dayMs = 86_400_000;
  for (const acc of fleet.accounts) {
    const engineWith = (cacheDeviceDays?: number) => new PresenceEngine({ storage: new ClickHousePresenceStorage(s, cacheDeviceDays === undefined ? {} : { cacheDeviceDays }) });
    const devices = fleet.deviceAssignments.filter((d) => d.accountId === acc.id).map((d) => d.deviceId);
    // cold: the first statement of a freshly started service (new engine, nothing cached), ×5
    push(acc, 'cold', await timeRuns('cold', 5, () => new RatingService({ store: s, presence: engineWith() }).statement(acc.id, PERIOD)));
    // uncached: presence read in full every time (the read path without the cache)
    const uncached = new RatingService({ store: s, presence: engineWith(0) });
    const reference = (await uncached.statement(acc.id, PERIOD)).json;
    push(acc, 'uncached', await timeRuns('uncached', RUNS, () => uncached.statement(acc.id, PERIOD)));
    // warm: repeated statements of one service; must be byte-identical to the uncached one
    const engine = engineWith();
    const service = new RatingService({ store: s, presence: engine });
    await service.statement(acc.id, PERIOD); // fills the cache: that first read is what "cold" measures
    push(
      acc,
      'warm',
      await profiled(`warm-${acc.id}`, () =>
        timeRuns('warm', RUNS, async () => {
          const r = await service.statement(acc.id, PERIOD);
          if (r.json !== reference) throw new Error(`${acc.id}: cached statement differs from the uncached one`);
        }),
      ),
    );
    // live: before every run the engine ingests and flushes new minutes of 20 devices on the
    // period's last day and late (black-box) minutes on its 5th day, so two days of the cached
    // presence go stale every time and must be re-read; plus minutes left unflushed in memory.
    const last = isoToDay(PERIOD.to) - 1;
    const fifth = isoToDay(PERIOD.from) + 4;
    let tick = 0;
    const live = await timeRunsWith(RUNS, async () => {
      const recs: PresenceRecord[] = [];
      for (let k = 0; k < 20; k++) {
        const id = devices[(tick * 20 + k) % devices.length];
        recs.push({ deviceId: id, deviceTime: last * dayMs + ((tick * 7 + k) % 1440) * 60_000 + 5_000, receivedAt: last * dayMs + 86_000_000 });
        recs.push({ deviceId: id, deviceTime: fifth * dayMs + ((tick * 11 + k) % 1440) * 60_000 + 5_000, receivedAt: last * dayMs + 86_000_000 });
      }
      tick++;
      await engine.ingest(recs.slice(0, 30));
      await engine.ingest(recs.slice(30));
    }, () => service.statement(acc.id, PERIOD));
    push(acc, 'live', live);
    const after = await service.statement(acc.id, PERIOD);
    if (after.json !== (await uncached.statement(acc.id, PERIOD)).json) throw new Error(`${acc.id}: live cached statement differs from the uncached one`);
    if (after.json === reference) throw new Error(`${acc.id}: live data did not change the statement`);
  }
  return rows;
}

/**
 * The same measurement before the read-path work (code of commit 0d172d3: decimal word text, no
 * read cache, per-bucket map lookups), run once with this bench's statement part (30 warm runs):
 * kept here so that the section always shows what the numbers are compared with.
 */
const BEFORE_STATEMENT = [
  '*Before* (code of commit 0d172d3, measured with this bench on 2026-11-26 at 21:17 UTC, load 5.6 → 4.3; no cache, so "warm" is a repeated full read):',
  '',
  '| unit | mode | runs | p50 ms | p99 ms | CPU p50 ms |',
  '|---|---|---:|---:|---:|---:|',
  '| minute | cold | 5 | 499 | 768 | 396 |',
  '| minute | warm | 30 | 356 | 586 | 293 |',
  '| hour | cold | 5 | 478 | 757 | 433 |',
  '| hour | warm | 30 | 314 | 1897 | 298 |',
  '| day | cold | 5 | 264 | 322 | 294 |',
  '| day | warm | 30 | 243 | 556 | 259 |',
  '| month | cold | 5 | 363 | 591 | 337 |',
  '| month | warm | 30 | 272 | 412 | 270 |',
].join('\n');

// ── RESULTS.md ────────────────────────────────────────────────────────────────────────────────
const HEADING = '## Rating (bench:rating)';

/** Everything one run measured: rendered into RESULTS.md, and kept as JSON (`--render`). */
interface RunResults {
  readonly startedAt: string;
  readonly machine: string;
  readonly reps: number;
  readonly month: string;
  readonly statementDevices: number;
  readonly stream: readonly StreamResult[] | null;
  readonly billing: BillingResult | null;
  readonly statement: readonly StatementRow[] | null;
  /** What was different about this run (shown for other runs). */
  readonly note?: string;
}

const HOW = [
  '**How (3) got faster, and why statements stay exact.** Measured before/after with this bench (CPU profiles: `--cpu-prof`):',
  '- *Read cache of merged presence* in `ClickHousePresenceStorage` (per device chunk and UTC day, bounded LRU, default 100 000 device-day bitmaps): every read first asks ClickHouse for per-day fingerprints of the stored rows — `count()` and the wrapping sum of `cityHash64(device_id, kind, writer, minutes, words)` — and re-reads only days whose fingerprint changed. A cached day is served only while the multiset of stored rows is the one it was merged from, and the merge is a function of that multiset, so a hit is what a fresh read returns, whoever wrote (this process, another gateway, a merge, a manual `ALTER … DELETE`). The fingerprint stored with an entry is summed in JS from per-row hashes returned *with* the bitmaps (one SELECT, one snapshot), so a write racing the read cannot pair old bits with a new fingerprint. Hits are shared read-only (`sharedDayPresence`, copy-on-write in `PresenceSet`), so the engine overlaying unflushed minutes never changes the cache. Billing runs and reconcile read past the cache. Tests: `presence-store-cache.test.ts` (late data from another instance, merges, a same-popcount row swap only the word hash sees, deletions, a random-interleaving property, byte-identical statements), `presence-day-cache.test.ts`, `presence.test.ts`.',
  '- *Compact transfer* (cold reads and misses): one string per device, `day:kind:tokens;…`, each 32-bit word as `\'\'` (0), `x` (all ones) or `hex()` — about half the bytes of decimal words, one JSON string per device instead of four arrays, decoded into one buffer per query. Portable SQL (`toUInt16(Date)`, `hex`, `arrayStringConcat`, `cityHash64` over arrays: checked on ClickHouse 18.16.1 and chDB).',
  '- *Unit counting*: each device\'s bitmaps are looked up once per day of the period (not per hour bucket), and `activeBuckets` sweeps buckets and intervals in one pass, keeps the current UTC day, and stops counting a bucket once it qualifies (`countRangeUpTo`). Property tests pin it to the per-bucket definition at every threshold.',
].join('\n');

const pct = (rows: readonly StatementRow[], mode: string, key: 'p50' | 'p99') => rows.filter((r) => r.mode === mode).map((r) => r[key]);

function verdicts(run: RunResults): string[] {
  const out: string[] = [];
  const yes = (ok: boolean) => (ok ? '**met**' : '**not met**');
  if (run.stream) {
    const [grouped, interleaved] = run.stream;
    out.push(`- Streaming ≥ 3 000 000 records/s: device-grouped ${yes(grouped.best >= 3e6)} (best ${fmt(grouped.best)}/s, ${fmt(grouped.perCpu)}/CPU-s); interleaved worst case ${yes(interleaved.best >= 3e6)} (best ${fmt(interleaved.best)}/s, ${fmt(interleaved.perCpu)}/CPU-s).`);
  }
  if (run.billing) out.push(`- Billing run ≤ 60 s: ${yes(run.billing.wallMs <= 60_000)} (${(run.billing.wallMs / 1000).toFixed(1)} s; RSS peak ${run.billing.peakRssMb} MB, ${run.billing.peakRssMb - run.billing.rssBeforeMb} MB above the start of the run).`);
  if (run.statement) {
    const worst = (mode: string) => Math.max(...pct(run.statement!, mode, 'p99'));
    const p50s = (mode: string) => pct(run.statement!, mode, 'p50').map(ms).join(' / ');
    out.push(
      `- Statement p99 ≤ 200 ms: warm ${yes(worst('warm') <= 200)} (worst p99 ${ms(worst('warm'))} ms; p50 ${p50s('warm')} ms for minute / hour / day / month), live ${yes(worst('live') <= 200)} (worst p99 ${ms(worst('live'))} ms), uncached ${yes(worst('uncached') <= 200)} (worst p99 ${ms(worst('uncached'))} ms). *Uncached* (no read cache) is for reference: the service always runs with the cache. The load column shows what else ran meanwhile.`,
    );
  }
  return out;
}

function renderSection(run: RunResults, others: readonly RunResults[] = []): string {
  const lines: string[] = [HEADING, ''];
  lines.push(`\`npm run bench:rating\` (\`bench/rating.ts\`), run ${run.startedAt}. **Machine:** ${run.machine}.`);
  lines.push("Each row carries the 1-minute load average at its start → end (2 vCPUs: a load above 2 means this process shared its cores with other work).");
  lines.push('');
  lines.push(...verdicts(run));
  lines.push('');
  if (run.stream) {
    lines.push(`**1. Streaming presence updates** (\`PresenceEngine.ingest\`, main thread, fresh engine per repetition, ${run.reps} repetitions; 1 % of records with no device time → fallback path). Target ≥ 3 000 000 records/s.`);
    lines.push('');
    lines.push('| batches | records | batch size | records/s (best) | records/s (median) | records/CPU-s (best) | load |');
    lines.push('|---|---:|---:|---:|---:|---:|---|');
    for (const r of run.stream) lines.push(`| ${r.name} | ${fmt(r.records)} | ${fmt(r.batch)} | ${fmt(r.best)} | ${fmt(r.median)} | ${fmt(r.perCpu)} | ${r.load} |`);
    lines.push('');
  }
  if (run.billing) {
    lines.push(`**2. Full month billing run** (\`billingRun(${run.month})\` end to end: configuration, presence per chunk of 500 accounts, statements with JSON and SHA-256; embedded chDB in a temp dir). Target ≤ 60 s with bounded memory.`);
    lines.push('');
    lines.push('| accounts | devices | presence rows (device-days) | generation (config + presence; then merges settle) | billing run wall | billing run CPU | RSS before → peak (sampled) | ru_maxrss (whole process) | load (generation; run) |');
    lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    const b = run.billing;
    lines.push(
      `| ${fmt(b.accounts)} | ${fmt(b.devices)} | ${fmt(b.presenceRows)} | ${(b.configMs / 1000).toFixed(1)} s + ${(b.presenceMs / 1000).toFixed(1)} s; ${(b.settleMs / 1000).toFixed(1)} s | **${(b.wallMs / 1000).toFixed(1)} s** | ${(b.cpuMs / 1000).toFixed(1)} s | ${b.rssBeforeMb} → ${b.peakRssMb} MB | ${b.maxRssMb} MB | ${b.genLoad}; ${b.load} |`,
    );
    lines.push('');
  }
  if (run.statement) {
    lines.push(`**3. One account's draft statement, ${fmt(run.statementDevices)} devices, a month** (\`RatingService.statement\` over a \`PresenceEngine\`, presence in chDB; the four synthetic tariffs, one account each). Target p99 ≤ 200 ms.`);
    lines.push("Modes: *cold* = first statement of a freshly started service (nothing cached; 5 runs); *uncached* = presence read in full every time (`cacheDeviceDays: 0`); *warm* = repeated statements of one service (read cache validated by fingerprints each time; checked byte-identical to the uncached statement); *live* = before each run the engine flushes new minutes for 20 devices on the last day and late minutes on day 5, and keeps more unflushed in memory, so two days are re-read every time (final statement checked byte-identical to the uncached one). CPU is this process's (main thread + chDB threads).");
    lines.push('');
    lines.push('| unit | zone | mode | runs | p50 ms | p99 ms | max ms | CPU p50 ms | CPU p99 ms | load |');
    lines.push('|---|---|---|---:|---:|---:|---:|---:|---:|---|');
    for (const r of run.statement) lines.push(`| ${r.unit} | ${r.zone} | ${r.mode} | ${r.runs} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${ms(r.cpuP50)} | ${ms(r.cpuP99)} | ${r.load} |`);
    lines.push('');
    lines.push(BEFORE_STATEMENT);
    lines.push('');
  }
  if (others.length > 0) {
    lines.push('*Other runs* (same machine, same evening), for the spread:');
    lines.push('');
    lines.push('| run | note | stream best (grouped / interleaved) | billing run | warm p50 (min / h / d / mo) | warm p99 | live p99 | loads seen |');
    lines.push('|---|---|---:|---:|---:|---:|---:|---|');
    for (const o of others) {
      const loads = [...(o.stream ?? []).map((r) => r.load), o.billing?.load ?? '', ...(o.statement ?? []).map((r) => r.load)].flatMap((l) => l.split(' → ').map(Number)).filter((n) => Number.isFinite(n) && n > 0);
      const st = o.statement ?? [];
      lines.push(
        `| ${o.startedAt} | ${o.note ?? ''} | ${o.stream ? o.stream.map((r) => fmt(r.best)).join(' / ') : '-'} | ${o.billing ? `${(o.billing.wallMs / 1000).toFixed(1)} s` : '-'} | ${pct(st, 'warm', 'p50').map(ms).join(' / ')} | ${pct(st, 'warm', 'p99').map(ms).join(' / ')} | ${pct(st, 'live', 'p99').map(ms).join(' / ')} | ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} |`,
      );
    }
    lines.push('');
  }
  lines.push(HOW);
  lines.push('');
  return lines.join('\n');
}

/** Replaces (or appends) this bench's section of RESULTS.md, leaving every other section as it is. */
function writeResults(section: string): void {
  const path = new URL('./RESULTS.md', import.meta.url).pathname;
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(`\n${HEADING}\n`);
  let next: string;
  if (start === -1) next = text.replace(/\s*$/, '\n\n') + section.trimEnd() + '\n';
  else {
    const after = text.indexOf('\n## ', start + HEADING.length + 1);
    next = text.slice(0, start + 1) + section.trimEnd() + '\n' + (after === -1 ? '' : '\n' + text.slice(after + 1));
  }
  writeFileSync(path, next);
}

// ── main ──────────────────────────────────────────────────────────────────────────────────────
const LAST_RUN = join(os.tmpdir(), 'fleetmeter-bench-rating-last.json');

if (flags.render !== undefined) {
  // Re-render the section from saved runs (--render main.json[,other.json…]): no measuring.
  const [main, ...others] = flags.render.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as RunResults);
  const section = renderSection(main, others);
  process.stdout.write(section + '\n');
  if (flags.results !== undefined) writeResults(section);
  process.exit(0);
}

const startedAt = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
try {
  const stream = parts.includes('stream') ? streamBench() : null;
  const billing = parts.includes('billing') ? await billingBench() : null;
  const statement = parts.includes('statement') ? await statementBench(billing !== null) : null;
  const run: RunResults = { startedAt, machine: machineLine, reps: REPS, month: MONTH, statementDevices: STATEMENT_DEVICES, stream, billing, statement };
  writeFileSync(LAST_RUN, JSON.stringify(run, null, 1));
  const section = renderSection(run);
  process.stdout.write(section + '\n');
  log(`raw results: ${LAST_RUN} (npm run bench:rating -- --render FILE[,FILE…] --results re-renders RESULTS.md)`);
  if (WRITE_RESULTS) {
    writeResults(section);
    log('results written to bench/RESULTS.md');
  } else log('results not written (scaled-down or partial run; --results forces it)');
} finally {
  await (store as Store | null)?.close();
  if (dataDir && flags['keep-data'] === undefined) rmSync(dataDir, { recursive: true, force: true });
  else if (dataDir) log(`data kept in ${dataDir}`);
}
