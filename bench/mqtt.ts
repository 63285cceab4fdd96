/**
 * MQTT benchmark: 5 000 devices (real `mqtt` clients in this process) publish QoS 1 telemetry to
 * the gateway's embedded broker; the gateway is its own process (`node bin/fleetmeter.js serve`,
 * chDB, fresh data dir), so the PUBACK a device waits for is the real ack-after-commit.
 *
 *   npm run bench:mqtt                        all scenarios, results → bench/RESULTS.md
 *   npm run bench:mqtt -- --scenario nominal --devices 2000 --duration 20 --no-results
 *   options: --devices --duration --ramp-ms --warmup-ms --points --interval-ms --gateway-args "…" --keep-data
 *            --wait-quiet S (wait up to S s for the machine to be idle before each scenario)
 *
 * Scenarios (each: a fresh gateway, --ramp-ms of connecting, then --duration seconds measured):
 *   nominal      every device publishes one Protobuf message of --points points every --interval-ms
 *                (default 10 points per second per device: 50 000 records/s offered by 5 000 devices)
 *   json         the same load as JSON batches
 *   saturate-50  Protobuf with 50 points per message, each device publishing its next message as
 *                soon as the previous is acked: the most the gateway commits on this machine
 *   null-store   the same closed loop (--points per message) against the gateway on a store that keeps nothing
 *                (bench/simulator/null-store-gateway.ts): the MQTT path's own ceiling
 *                (broker, decode, serialisation, acks) without ClickHouse
 *
 * Each scenario: all devices connect, start publishing, --warmup-ms (10 s) pass, then the window.
 * Reported: messages/s and records/s acked to the devices and records/s committed (gateway
 * metric) over the measured window, PUBACK latency p50/p99/max (publish → PUBACK, i.e. through
 * the commit), the gateway's peak RSS and CPU. Zero-loss check: after the devices stop and every
 * outstanding PUBACK has come back, the gateway gets SIGTERM and its data dir is opened to count
 * `records FINAL`, which must equal the records acked.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { splitArgs } from '../cli/runtime.ts';
import { encodeProtobufTelemetry, type ProtoPointInput } from '../protocols/mqtt/index.ts';
import { freePort, raiseFdLimit, startGatewayProcess } from './simulator/gateway-process.ts';
import { Histogram } from './simulator/histogram.ts';
import { MetricsSampler, metricValue } from './simulator/metrics-sampler.ts';
import { openFileLimit } from './simulator/report.ts';
import { machine, machineLine, writeSection } from './simulator/results-md.ts';
import { machineBusySeconds, waitQuiet } from './simulator/system-cpu.ts';
import { countStoredRecords, nullStoreRows } from './simulator/stored-records.ts';

const FD_LIMIT = 65536;
const { flags } = splitArgs(process.argv.slice(2), ['gateway-args']);

const devices = Number(flags.devices ?? 5000);
const durationS = Number(flags.duration ?? 30);
const rampMs = Number(flags['ramp-ms'] ?? 10_000);
const defaultPoints = Number(flags.points ?? 10);
const intervalMs = Number(flags['interval-ms'] ?? 1000);
const warmupMs = Number(flags['warmup-ms'] ?? 10_000);

interface ScenarioSpec {
  readonly format: 'protobuf' | 'json';
  readonly points: number;
  /** Next message on PUBACK (as fast as acked) instead of one per --interval-ms. */
  readonly closedLoop: boolean;
  readonly nullStore: boolean;
}
const SPECS = {
  nominal: { format: 'protobuf', points: defaultPoints, closedLoop: false, nullStore: false },
  json: { format: 'json', points: defaultPoints, closedLoop: false, nullStore: false },
  'saturate-50': { format: 'protobuf', points: 50, closedLoop: true, nullStore: false },
  'null-store': { format: 'protobuf', points: defaultPoints, closedLoop: true, nullStore: true },
} as const satisfies { [name: string]: ScenarioSpec };
type Scenario = keyof typeof SPECS;
const SCENARIOS = Object.keys(SPECS) as Scenario[];
const chosen: readonly Scenario[] = flags.scenario && flags.scenario !== 'all' ? (flags.scenario.split(',') as Scenario[]) : SCENARIOS;
for (const s of chosen) if (!SCENARIOS.includes(s)) throw new Error(`--scenario: ${SCENARIOS.join(', ')} or all; got ${s}`);
const log = (line: string) => process.stderr.write(line + '\n');

const fdLimit = openFileLimit();
if (fdLimit !== null && fdLimit < devices + 1000 && !process.env.FLEETMETER_BENCH_REEXEC) {
  log(`ulimit -n is ${fdLimit}; re-running with it raised`);
  const r = spawnSync('bash', ['-c', `${raiseFdLimit(FD_LIMIT)}; exec "$@"`, 'bash', process.execPath, ...process.execArgv, 'bin/run-ts.js', 'bench/mqtt.ts', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, FLEETMETER_BENCH_REEXEC: '1' },
  });
  process.exit(r.status ?? 1);
}

interface RunResult {
  readonly scenario: Scenario;
  readonly format: 'protobuf' | 'json';
  readonly points: number;
  readonly store: string;
  readonly offered: string;
  readonly connected: number;
  readonly messagesPerSecond: number;
  readonly recordsPerSecond: number;
  readonly committedPerSecond: number;
  readonly latencyMs: { p50: number; p99: number; max: number };
  readonly rssMaxMiB: number;
  readonly gatewayCores: number;
  readonly benchCores: number;
  readonly ackedRecords: number;
  readonly stored: number;
  readonly unacked: number;
  readonly failedPublishes: number;
  /** Connections the devices lost and made again (ramp included). */
  readonly reconnects: number;
  readonly connectSeconds: number;
  /** CPU the rest of the machine used meanwhile (other processes), in cores. */
  readonly otherCores: number;
}

const base = Date.UTC(2026, 0, 1);
function payload(format: 'protobuf' | 'json', points: number, device: number, seq: number): Buffer {
  const pts: ProtoPointInput[] = [];
  for (let j = 0; j < points; j++) {
    const t = base + (seq * points + j) * 1000;
    pts.push({ timeMs: t, latitude: 55 + (device % 1000) / 1e4 + j / 1e6, longitude: 37 + seq / 1e6, speed: 40 + (j % 20), course: (seq * 7) % 360, satellites: 9, io: [{ name: 'ignition', value: true }, { name: 'fuel_l', value: 41.5 }] });
  }
  if (format === 'protobuf') return Buffer.from(encodeProtobufTelemetry(pts));
  return Buffer.from(JSON.stringify(pts.map((p) => ({ time: p.timeMs, lat: p.latitude, lon: p.longitude, speed: p.speed, course: p.course, sats: p.satellites, io: { ignition: true, fuel_l: 41.5 } }))));
}

async function run(scenario: Scenario): Promise<RunResult> {
  if (flags['wait-quiet']) await waitQuiet(0.3, Number(flags['wait-quiet']) * 1000, log);
  const { format, points, closedLoop, nullStore } = SPECS[scenario];
  const dataDir = mkdtempSync(join(os.tmpdir(), `fm-bench-mqtt-${scenario}-`));
  const mqttPort = await freePort();
  const gw = await startGatewayProcess({ dataDir, fdLimit: FD_LIMIT, nullStore, extraArgs: ['--mqtt-port', String(mqttPort), ...(flags['gateway-args'] ?? '').split(/\s+/).filter(Boolean)], log });
  const metricsUrl = `http://127.0.0.1:${gw.ports.admin}/metrics`;
  const sampler = new MetricsSampler(metricsUrl, () => gw.cpuSeconds());
  /** Window edges, read directly (a busy gateway can miss the sampler's 5-s scrape timeout). */
  const snapshot = async () => {
    const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(60_000) })).text();
    return { at: performance.now(), committed: metricValue(text, 'fleetmeter_committed_records_total'), gatewayCpu: gw.cpuSeconds(), machineBusy: machineBusySeconds() };
  };
  await sampler.sample();
  sampler.start();

  const latency = new Histogram(); // µs, up to 2^30 (~18 min)
  let ackedMessages = 0;
  let ackedRecords = 0;
  let inFlight = 0;
  let failed = 0;
  let reconnects = 0;
  let running = true;
  let windowStart = Infinity;
  let windowEnd = Infinity;
  let windowMessages = 0;
  let windowRecords = 0;
  const t0 = performance.now();
  const clients: MqttClient[] = [];

  /** Connects device i; resolves with the function that starts its publishing. */
  const device = (i: number) =>
    new Promise<() => void>((resolve) => {
      const id = `bench-${scenario}-${i}`;
      const topic = `fleetmeter/${id}/telemetry/${format}`;
      const c = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, { clientId: id, username: id, protocolVersion: 4, keepalive: 120, reconnectPeriod: 1000, connectTimeout: 60_000 });
      clients.push(c);
      let seq = 0;
      const loop = () => {
        if (!running) return;
        const sent = performance.now();
        const body = payload(format, points, i, seq++);
        inFlight++;
        c.publish(topic, body, { qos: 1 }, (err) => {
          inFlight--;
          const now = performance.now();
          if (err) failed++;
          else {
            ackedMessages++;
            ackedRecords += points;
            latency.record((now - sent) * 1000);
            if (now >= windowStart && now <= windowEnd) {
              windowMessages++;
              windowRecords += points;
            }
          }
          if (closedLoop) setImmediate(loop);
          else setTimeout(loop, Math.max(0, intervalMs - (now - sent)));
        });
      };
      // Spread the first publishes over one interval so the load is even.
      c.once('connect', () => resolve(() => setTimeout(loop, closedLoop ? 0 : Math.random() * intervalMs)));
      c.on('error', () => undefined);
      c.on('reconnect', () => reconnects++);
    });

  log(`\n== ${scenario}: ${devices} devices, ${format}, ${points} points/message, ${closedLoop ? 'closed loop (next on PUBACK)' : `one message per ${intervalMs} ms per device`}`);
  // All devices connect first (about --ramp-ms, in steps of 100), then all start publishing:
  // connection set-up is measured apart from the steady state.
  const connected: Promise<() => void>[] = [];
  for (let i = 0; i < devices; i++) {
    connected.push(device(i));
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, (rampMs / devices) * 100));
  }
  const starts = await Promise.all(connected);
  const connectSeconds = (performance.now() - t0) / 1000;
  log(`connected ${devices} devices in ${connectSeconds.toFixed(1)} s`);
  for (const start of starts) start();
  await new Promise((r) => setTimeout(r, warmupMs)); // every device publishing, first batches committed
  latency.reset();
  const at0 = await snapshot();
  const benchCpu0 = process.cpuUsage();
  windowStart = performance.now();
  windowEnd = windowStart + durationS * 1000;
  const progress = setInterval(() => {
    const s = sampler.samples[sampler.samples.length - 1];
    log(`  acked ${ackedMessages} msgs / ${ackedRecords} records, in flight ${inFlight}, p99 ${(latency.percentile(99) / 1000).toFixed(0)} ms${s ? `, gw rss ${(s.rssBytes / 2 ** 20).toFixed(0)} MiB, committed ${s.committedRecords}` : ''}`);
  }, 5000);
  await new Promise((r) => setTimeout(r, durationS * 1000));
  const benchCpu = process.cpuUsage(benchCpu0);
  const at1 = await snapshot();
  const window = { messages: windowMessages, records: windowRecords, latency: { p50: latency.percentile(50) / 1000, p99: latency.percentile(99) / 1000, max: latency.max / 1000 } };
  clearInterval(progress);
  running = false;
  const drainDeadline = Date.now() + 120_000;
  while (inFlight > 0 && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 50));
  const unacked = inFlight;
  sampler.stop();
  await sampler.sample();
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  log('stopping the gateway (SIGTERM), then counting records FINAL');
  await gw.stop();
  const stored = nullStore ? nullStoreRows(gw.stdout()) : await countStoredRecords(dataDir);
  if (!flags['keep-data']) rmSync(dataDir, { recursive: true, force: true });

  const span = (at1.at - at0.at) / 1000;
  const machineCores = (at1.machineBusy - at0.machineBusy) / span;
  const gatewayCores = (at1.gatewayCpu - at0.gatewayCpu) / span;
  const benchCores = (benchCpu.user + benchCpu.system) / 1e6 / durationS;
  return {
    scenario,
    format,
    points,
    store: nullStore ? 'null' : 'chDB',
    offered: closedLoop ? 'as fast as acked' : `${((devices * points * 1000) / intervalMs).toLocaleString('en-US')} rec/s`,
    connected: devices,
    messagesPerSecond: window.messages / durationS,
    recordsPerSecond: window.records / durationS,
    committedPerSecond: (at1.committed - at0.committed) / span,
    latencyMs: window.latency,
    rssMaxMiB: Math.max(...sampler.samples.map((s) => s.rssBytes)) / 2 ** 20,
    gatewayCores,
    benchCores,
    otherCores: Math.max(0, machineCores - gatewayCores - benchCores),
    ackedRecords,
    stored,
    unacked,
    failedPublishes: failed,
    reconnects,
    connectSeconds,
  };
}

const n0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const n1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');

function render(results: readonly RunResult[], m: ReturnType<typeof machine>, loadBefore: number[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.store} | ${r.format} × ${r.points} | ${r.offered} | ${n0(r.messagesPerSecond)} | ${n0(r.recordsPerSecond)} | ${n0(r.committedPerSecond)} | ${n1(r.latencyMs.p50)} | ${n1(r.latencyMs.p99)} | ${n0(r.latencyMs.max)} | ${n0(r.rssMaxMiB)} | ${n1(r.gatewayCores)} | ${n0(r.committedPerSecond / r.gatewayCores)} | ${n1(r.benchCores)} | ${n1(r.otherCores)} | ${n1(r.connectSeconds)} | ${n0(r.reconnects)} | ${n0(r.ackedRecords)} | ${n0(r.stored)} | ${r.stored === r.ackedRecords && r.unacked === 0 && r.failedPublishes === 0 ? 'yes' : `NO (unacked ${r.unacked}, failed ${r.failedPublishes})`} |`,
  );
  return [
    `\`npm run bench:mqtt\` (\`bench/mqtt.ts\`): ${devices.toLocaleString('en-US')} MQTT devices (\`mqtt\` clients, MQTT 3.1.1, one connection each) publish QoS 1 to the embedded broker of a gateway running as its own process (\`node bin/fleetmeter.js serve\`, chDB, fresh data dir, default batching: 20 000 records or 50 ms, at most one batch per 250 ms unless full${flags['gateway-args'] ? `, extra flags \`${flags['gateway-args']}\`` : ''}). Each device waits for the PUBACK (sent only after commit) before its next message. Measured over ${durationS} s, starting ${warmupMs / 1000} s after all devices connected and began publishing. In the closed-loop scenarios every device always has one message in flight, so their PUBACK latency is queueing (${devices.toLocaleString('en-US')} messages in flight / throughput), not the latency of a loaded-but-not-saturated gateway.`,
    '',
    `**Machine:** ${machineLine(m)}. Devices and gateway share it (load average before the runs: ${loadBefore.map((x) => x.toFixed(1)).join(', ')} for 1, 5, 15 min; *other processes* below is the CPU anything else on the machine took during each window).`,
    '',
    '| scenario | store | payload × points/msg | offered | messages/s acked | records/s acked | records/s committed | PUBACK p50 ms | p99 ms | max ms | gateway RSS peak MiB | gateway CPU cores | records/s committed per gateway core | bench CPU cores | other processes, cores | all connected after s | reconnects | records acked (whole run) | records stored (`FINAL`) | zero loss |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    'Columns: *acked* counts PUBACKs the devices received in the window; *committed* is the gateway\'s `fleetmeter_committed_records_total` over the same window. *Zero loss* compares every record acked during the whole run (ramp and drain included) with `count()` of `records FINAL` in the data dir after SIGTERM: every acked record must be stored, and no publish may be left unacked.',
    '',
    targetLine(results),
    '',
    "Reading it: the gateway gets what CPU the machine leaves it (*gateway CPU cores*), so *records/s committed per gateway core* is the figure that carries over between runs. The *null-store* row is the MQTT path alone (broker, payload decode, record serialisation, acks); the difference to the chDB rows is the storage path that TCP ingest shares (record serialisation in `store/records.ts` and `ingest/pipeline.ts`, chDB's RowBinary insert, the rating sink): see *Ingest (bench:ingest)* for the same profile on TCP.",
  ].join('\n');
}

function targetLine(results: readonly RunResult[]): string {
  const stored = results.filter((r) => r.store === 'chDB' && Number.isFinite(r.committedPerSecond));
  if (stored.length === 0) return '';
  const best = stored.reduce((a, b) => (b.committedPerSecond > a.committedPerSecond ? b : a));
  const met = best.committedPerSecond >= 50_000;
  return `**Target ≥ 50 000 records/s committed: ${met ? 'met' : 'not met'}.** Best ${n0(best.committedPerSecond)} records/s (${best.scenario}, ${n0(best.messagesPerSecond)} messages/s) with the gateway on ${n1(best.gatewayCores)} cores. Zero loss: ${results.every((r) => r.stored === r.ackedRecords && r.unacked === 0) ? 'held in every run' : '**violated** (see the table)'}.`;
}

const m = machine();
const loadBefore = os.loadavg();
log(`machine: ${machineLine(m)}; load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
const results: RunResult[] = [];
for (const s of chosen) results.push(await run(s));
const markdown = render(results, m, loadBefore);
process.stdout.write('\n' + markdown + '\n');
if (!flags['no-results'] && chosen.length === SCENARIOS.length) {
  writeSection(join(process.cwd(), 'bench/RESULTS.md'), '## MQTT (bench:mqtt)', markdown);
  log('\nwritten to bench/RESULTS.md (## MQTT (bench:mqtt))');
}
process.exit(results.every((r) => r.stored === r.ackedRecords && r.unacked === 0) ? 0 : 1);
