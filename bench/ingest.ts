/**
 * Ingest benchmark: the gateway as its own process (chDB, fresh data dir) against the device
 * simulator in this process, end to end over real sockets, ack-after-commit included.
 *
 *   npm run bench:ingest                                  all scenarios, results → bench/RESULTS.md
 *   npm run bench:ingest -- --scenario ingest --devices 2000 --duration 20
 *   npm run bench:ingest -- --scenario wialon-pipeline --cpu-prof
 *
 * Scenarios:
 *   ingest           --devices TCP connections (Teltonika + Wialon IPS), each waiting for its ack;
 *                    --duration seconds measured after a --ramp-ms ramp-up.
 *   wialon-pipeline  one Wialon IPS TCP connection keeping --pipeline-depth `#D#` unacknowledged.
 *   ingest-null-store  the ingest load against the real gateway on a store that keeps nothing
 *                    (null-store-gateway.ts): what decode, serialisation and acks cost without ClickHouse.
 *   simulator        the ingest devices at twice the packet rate against a stub that acks without
 *                    storing (ack-server.ts): the simulator's own ceiling on this machine.
 *
 * During a run /metrics is sampled every second (RSS, event-loop delay p99, committed records),
 * with the CPU of the gateway, of this process and of the whole machine (other load). After it
 * the gateway gets SIGTERM (graceful: it commits and acks what arrived), and its data dir is
 * opened with the chDB store to count `records FINAL`, which must equal what was acked.
 *
 * Options: --devices, --duration, --ramp-ms, --mix, --interval-ms, --records-per-packet,
 * --pipeline-depth, --pipeline-duration, --gateway-args "…" (extra `serve` flags), --cpu-prof
 * (profile the gateway, print where it spends its time), --wait-quiet S (wait up to S s for the
 * machine to be idle first), --no-results (do not write RESULTS.md), --keep-data.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { splitArgs } from '../cli/runtime.ts';
import { startAckServerProcess } from './simulator/ack-server-process.ts';
import { analyseProfile } from './simulator/cpu-profile.ts';
import { raiseFdLimit, startGatewayProcess } from './simulator/gateway-process.ts';
import { renderResults, type RunResult } from './simulator/ingest-report.ts';
import { MetricsSampler } from './simulator/metrics-sampler.ts';
import { DEFAULT_OPTIONS, parseMix, type SimulationOptions } from './simulator/options.ts';
import { openFileLimit, progressLine } from './simulator/report.ts';
import { machine, machineLine, writeSection } from './simulator/results-md.ts';
import { runSimulation } from './simulator/simulator.ts';
import { waitQuiet } from './simulator/system-cpu.ts';
import { countStoredRecords, nullStoreRows } from './simulator/stored-records.ts';

const FD_LIMIT = 65536;
const { flags } = splitArgs(process.argv.slice(2), ['gateway-args']);

const SCENARIOS = ['ingest', 'wialon-pipeline', 'ingest-null-store', 'simulator'] as const;
type Scenario = (typeof SCENARIOS)[number];
const chosen: readonly Scenario[] = flags.scenario && flags.scenario !== 'all' ? [flags.scenario as Scenario] : SCENARIOS;
for (const s of chosen) if (!SCENARIOS.includes(s)) throw new Error(`--scenario: ${SCENARIOS.join(', ')} or all; got ${s}`);

const devices = Number(flags.devices ?? 10_000);
const fdLimit = openFileLimit();
if (fdLimit !== null && fdLimit < devices + 1000 && !process.env.FLEETMETER_BENCH_REEXEC) {
  // 10 000 connections need > 10 000 fds in this process too: re-run under a raised soft limit.
  console.error(`ulimit -n is ${fdLimit}; re-running with it raised (to ${FD_LIMIT} or the hard limit)`);
  const r = spawnSync('bash', ['-c', `${raiseFdLimit(FD_LIMIT)}; exec "$@"`, 'bash', process.execPath, ...process.execArgv, 'bin/run-ts.js', 'bench/ingest.ts', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, FLEETMETER_BENCH_REEXEC: '1' },
  });
  process.exit(r.status ?? 1);
}

const log = (line: string) => process.stderr.write(line + '\n');

/** What the simulator runs against: the gateway process, or the stub ack server. */
interface Target {
  readonly pid: number;
  readonly ports: { readonly teltonika: number; readonly wialon: number };
  readonly metricsUrl: string | null;
  cpuSeconds(): number;
  /** Stops the target; returns the records it stored (gateway: counted in ClickHouse). */
  finish(): Promise<{ stored: number; stopSeconds: number; profileDir?: string }>;
}

async function gatewayTarget(name: string, nullStore = false): Promise<Target> {
  const dataDir = mkdtempSync(join(os.tmpdir(), `fm-bench-${name}-`));
  const profDir = flags['cpu-prof'] ? mkdtempSync(join(os.tmpdir(), `fm-prof-${name}-`)) : undefined;
  const extraArgs = (flags['gateway-args'] ?? '').split(/\s+/).filter(Boolean);
  log(`gateway: data dir ${dataDir}${extraArgs.length ? `, extra flags ${extraArgs.join(' ')}` : ''}${profDir ? `, CPU profile → ${profDir}` : ''}`);
  const gw = await startGatewayProcess({ dataDir, fdLimit: FD_LIMIT, cpuProfDir: profDir, extraArgs, log, nullStore });
  return {
    pid: gw.pid,
    ports: gw.ports,
    metricsUrl: `http://127.0.0.1:${gw.ports.admin}/metrics`,
    cpuSeconds: () => gw.cpuSeconds(),
    async finish() {
      log('stopping the gateway (SIGTERM: it commits and acks what arrived)');
      const stopped = await gw.stop();
      log(`gateway exited (${stopped.signal ?? stopped.code}) in ${stopped.stopSeconds.toFixed(1)} s; counting records`);
      const stored = nullStore ? nullStoreRows(gw.stdout()) : await countStoredRecords(dataDir);
      if (!flags['keep-data']) rmSync(dataDir, { recursive: true, force: true });
      return { stored, stopSeconds: stopped.stopSeconds, profileDir: profDir };
    },
  };
}

async function ackServerTarget(): Promise<Target> {
  const stub = await startAckServerProcess(FD_LIMIT);
  return {
    pid: stub.pid,
    ports: stub.ports,
    metricsUrl: null,
    cpuSeconds: () => stub.cpuSeconds(),
    async finish() {
      const t = performance.now();
      const stored = await stub.stop();
      return { stored, stopSeconds: (performance.now() - t) / 1000 };
    },
  };
}

async function run(scenario: Scenario, target: Target, sim: SimulationOptions, measureFromMs: number, measureToMs: number): Promise<RunResult> {
  const sampler = new MetricsSampler(target.metricsUrl, () => target.cpuSeconds());
  await sampler.sample();
  sampler.start();
  const t0 = performance.now();
  const benchCpu0 = process.cpuUsage();
  const summary = await runSimulation(
    { ...sim, teltonikaPort: target.ports.teltonika, wialonPort: target.ports.wialon },
    { onProgress: (p) => log(`${progressLine(p)}${target.metricsUrl ? `  | gw ${lastGatewayLine(sampler)}` : ''}`) },
  );
  sampler.stop();
  await sampler.sample();
  const benchCpu = process.cpuUsage(benchCpu0);
  const benchCpuSeconds = (benchCpu.user + benchCpu.system) / 1e6;
  const benchSeconds = (performance.now() - t0) / 1000;
  const { stored, stopSeconds, profileDir } = await target.finish();

  const window = sampler.between(t0 + measureFromMs, t0 + measureToMs);
  const first = window[0];
  const last = window[window.length - 1];
  const span = first && last && last.at > first.at ? (last.at - first.at) / 1000 : NaN;
  const perSecond = (f: (s: typeof first) => number) => (first && last ? (f(last) - f(first)) / span : NaN);
  const targetCores = perSecond((s) => s.cpuSeconds);
  const machineCores = perSecond((s) => s.machineBusySeconds);
  const benchCores = benchCpuSeconds / benchSeconds;
  const profileFile = profileDir ? readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile')) : undefined;
  if (profileFile) log(`CPU profile: ${join(profileDir!, profileFile)}`);
  return {
    scenario,
    summary,
    stored,
    committedPerSecond: target.metricsUrl ? Math.round(perSecond((s) => s.committedRecords)) : NaN,
    rssMaxBytes: Math.max(...sampler.samples.map((s) => s.rssBytes)),
    eventLoopP99MaxSeconds: Math.max(...window.map((s) => s.eventLoopP99Seconds)),
    targetCores,
    simulatorCores: benchCores,
    otherCores: Math.max(0, machineCores - targetCores - benchCores),
    stopSeconds,
    listenOverflows: sampler.samples.length > 1 ? sampler.samples[sampler.samples.length - 1].listenOverflows - sampler.samples[0].listenOverflows : NaN,
    profile: profileFile ? analyseProfile(join(profileDir!, profileFile), 20) : null,
  };
}

function lastGatewayLine(s: MetricsSampler): string {
  const x = s.samples[s.samples.length - 1];
  if (!x) return '';
  return `rss ${(x.rssBytes / 2 ** 20).toFixed(0)} MiB, loop p99 ${(x.eventLoopP99Seconds * 1000).toFixed(0)} ms, committed ${x.committedRecords}, queued ${x.queuedRecords}`;
}

// ---- scenarios ----------------------------------------------------------------------------------

const durationS = Number(flags.duration ?? 60);
const rampMs = Number(flags['ramp-ms'] ?? 10_000);
const ingestOptions: SimulationOptions = {
  ...DEFAULT_OPTIONS,
  devices,
  mix: parseMix(flags.mix ?? 'teltonika-tcp=60,wialon-tcp=40,teltonika-udp=0,wialon-udp=0'),
  intervalMs: Number(flags['interval-ms'] ?? 1000),
  recordsPerPacket: Number(flags['records-per-packet'] ?? 10),
  pipeline: 1,
  ackTimeoutMs: 30_000,
  rampMs,
  durationS: Math.ceil(rampMs / 1000) + durationS,
  drainTimeoutMs: 120_000,
  imeiBase: 351_000_000_000_000,
};
// The simulator's ceiling: the same devices and packets, offered twice as often (up to 200 000
// records/s), so what comes back is what the simulator can drive, not what the pacing asks for.
const ceilingOptions: SimulationOptions = { ...ingestOptions, intervalMs: Math.max(1, Math.round(ingestOptions.intervalMs / 2)) };
const pipelineDepth = Number(flags['pipeline-depth'] ?? 1000);
const pipelineDurationS = Number(flags['pipeline-duration'] ?? 20);
const pipelineOptions: SimulationOptions = {
  ...DEFAULT_OPTIONS,
  devices: 1,
  mix: parseMix('wialon-tcp=100'),
  intervalMs: 0,
  recordsPerPacket: 1,
  pipeline: pipelineDepth,
  ackTimeoutMs: 30_000,
  rampMs: 0,
  durationS: pipelineDurationS,
  drainTimeoutMs: 60_000,
  imeiBase: 352_000_000_000_000,
};

const m = machine();
log(`machine: ${machineLine(m)}; ulimit -n here ${openFileLimit()} (children get ${FD_LIMIT} or the hard limit)`);
const results: RunResult[] = [];
for (const scenario of chosen) {
  log(`\n== ${scenario}`);
  if (flags['wait-quiet']) await waitQuiet(0.3, Number(flags['wait-quiet']) * 1000, log);
  if (scenario === 'ingest') results.push(await run(scenario, await gatewayTarget(scenario), ingestOptions, rampMs + 2000, ingestOptions.durationS! * 1000));
  if (scenario === 'wialon-pipeline') results.push(await run(scenario, await gatewayTarget(scenario), pipelineOptions, 2000, pipelineDurationS * 1000));
  if (scenario === 'ingest-null-store') results.push(await run(scenario, await gatewayTarget(scenario, true), ingestOptions, rampMs + 2000, ingestOptions.durationS! * 1000));
  if (scenario === 'simulator') results.push(await run(scenario, await ackServerTarget(), ceilingOptions, rampMs + 2000, ceilingOptions.durationS! * 1000));
}

const command = `npm run bench:ingest${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`;
const { markdown, profiles } = renderResults(results, { machine: m, command, gatewayArgs: flags['gateway-args'] ?? null, durationS, rampMs, pipelineDepth, pipelineDurationS });
process.stdout.write('\n' + markdown + '\n' + profiles);
if (!flags['no-results'] && chosen.length === SCENARIOS.length) {
  writeSection(join(process.cwd(), 'bench/RESULTS.md'), '## Ingest (bench:ingest)', markdown);
  log('\nwritten to bench/RESULTS.md (## Ingest (bench:ingest))');
}
