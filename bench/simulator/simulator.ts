/**
 * `runSimulation(options)`: builds the devices, ramps their connects, runs the shared scheduler,
 * triggers the reconnect storm, stops sending after --duration (or when every device has sent
 * --packets), waits for the last acks and returns the `Summary`.
 */
import { SimDevice, type DeviceEnv } from './device.ts';
import { TeltonikaTcpDevice } from './device-teltonika-tcp.ts';
import { TeltonikaUdpDevice, WialonUdpDevice } from './device-udp.ts';
import { WialonTcpDevice } from './device-wialon-tcp.ts';
import { prng } from '../../rating/synthetic.ts';
import { VehiclePath } from './motion.ts';
import { DEVICE_KINDS, devicesPerKind, validateOptions, type DeviceKind, type SimulationOptions } from './options.ts';
import { RecordSource } from './record-source.ts';
import { Scheduler } from './scheduler.ts';
import { addDevice, emptyTotals, KindStats, latencySummary, type Summary, type Totals } from './stats.ts';
import { Histogram } from './histogram.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Once a second while running. Rates are per second over the last interval. */
export interface Progress {
  readonly elapsedSeconds: number;
  readonly connected: number;
  readonly devices: number;
  readonly recordsSentPerSecond: number;
  readonly recordsAckedPerSecond: number;
  readonly ackP50Ms: number;
  readonly ackP99Ms: number;
  readonly totals: Totals;
  readonly errors: number;
  /** The simulator's own event-loop delay p99 over the interval: high means it, not the gateway, limits. */
  readonly loopDelayP99Ms: number;
}

export interface SimulationHooks {
  onProgress?(p: Progress): void;
  /** Aborting stops sending early; the summary still covers what was sent. */
  readonly signal?: AbortSignal;
}

const DEVICE_CLASSES: { readonly [K in DeviceKind]: new (id: string, source: RecordSource, env: DeviceEnv) => SimDevice } = {
  'teltonika-tcp': TeltonikaTcpDevice,
  'wialon-tcp': WialonTcpDevice,
  'teltonika-udp': TeltonikaUdpDevice,
  'wialon-udp': WialonUdpDevice,
};

/** Device time step: the interval spread over the packet's records, whole seconds, at least 1 s. */
function recordStepMs(o: SimulationOptions): number {
  return Math.max(1000, Math.round(o.intervalMs / o.recordsPerPacket / 1000) * 1000);
}

/**
 * First device time: far enough back that the run's last records land near now (a black-box
 * upload is history), at most 30 days back, and a day back when the length cannot be known.
 */
function timeBase(o: SimulationOptions, step: number, startMs: number): number {
  const avgRecords = o.blackBoxEvery > 0 ? ((o.blackBoxEvery - 1) * o.recordsPerPacket + o.blackBoxSize) / o.blackBoxEvery : o.recordsPerPacket;
  let packets = o.packets ?? Infinity;
  if (o.durationS !== null && o.intervalMs > 0) packets = Math.min(packets, Math.ceil((o.durationS * 1000) / o.intervalMs) + 1);
  const span = Number.isFinite(packets) ? packets * avgRecords * step : 86_400_000;
  return Math.floor((startMs - Math.min(span, 30 * 86_400_000)) / 1000) * 1000;
}

export async function runSimulation(input: SimulationOptions, hooks: SimulationHooks = {}): Promise<Summary> {
  const options = validateOptions(input);
  const scheduler = new Scheduler();
  const random = prng(options.seed);
  const stats = Object.fromEntries(DEVICE_KINDS.map((k) => [k, new KindStats(k)])) as { [K in DeviceKind]: KindStats };
  const startedAt = new Date();
  const step = recordStepMs(options);
  const base = timeBase(options, step, startedAt.getTime());

  // Kinds shuffled (seeded), so every part of the ramp has the same mix.
  const counts = devicesPerKind(options.devices, options.mix);
  const kinds: DeviceKind[] = DEVICE_KINDS.flatMap((k) => Array<DeviceKind>(counts[k]).fill(k));
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }

  let finished = 0;
  let resolveAll!: () => void;
  const allDone = new Promise<void>((r) => (resolveAll = r));
  const onDone = () => {
    if (++finished === options.devices) resolveAll();
  };
  const envOf = (kind: DeviceKind): DeviceEnv => ({ scheduler, options, stats: stats[kind], random, onDone });
  const envs = { 'teltonika-tcp': envOf('teltonika-tcp'), 'wialon-tcp': envOf('wialon-tcp'), 'teltonika-udp': envOf('teltonika-udp'), 'wialon-udp': envOf('wialon-udp') };
  const devices: SimDevice[] = kinds.map((kind, i) => {
    const source = new RecordSource(new VehiclePath(random), base, step);
    return new DEVICE_CLASSES[kind](String(options.imeiBase + i), source, envs[kind]);
  });

  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const rampEnd = t0 + options.rampMs;
  const sendEnd = options.durationS === null ? Infinity : t0 + options.durationS * 1000;
  devices.forEach((d, i) => d.start(t0 + (options.rampMs * i) / devices.length));
  scheduler.start();

  const totals = (): Totals => {
    const t = emptyTotals();
    for (const d of devices) addDevice(t, d);
    return t;
  };
  let steadyStart: { at: number; totals: Totals } | null = null;
  let steadyEnd: { at: number; totals: Totals } | null = null;
  let maxConnected = 0;
  let last = { at: t0, totals: emptyTotals() };
  const errorCount = () => DEVICE_KINDS.reduce((n, k) => n + [...stats[k].errors.values()].reduce((a, b) => a + b, 0), 0);

  const stopSending = () => {
    if (steadyEnd) return;
    const now = performance.now();
    steadyEnd = { at: now, totals: totals() };
    for (const d of devices) d.stop(now);
  };
  const onAbort = () => stopSending();
  hooks.signal?.addEventListener('abort', onAbort);
  if (hooks.signal?.aborted) stopSending();

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let loopDelayMaxMs = 0;
  let stormDone = options.reconnectStormAt === null;
  const recent = new Histogram();
  // Ramp end, storm and stop run from the scheduler (every tick, and from I/O callbacks when
  // a busy poll phase holds timers back), so they happen on time even when the simulator is loaded.
  let controlAt = 0;
  scheduler.onRun = (now) => {
    if (now - controlAt < 50) return;
    controlAt = now;
    if (!steadyStart && now >= rampEnd) steadyStart = { at: now, totals: totals() };
    if (!stormDone && now >= t0 + options.reconnectStormAt! * 1000) {
      stormDone = true;
      for (const d of devices) d.storm(now);
    }
    if (now >= sendEnd) stopSending();
  };
  const ticker = setInterval(() => {
    const now = performance.now();
    const t = totals();
    let connected = 0;
    for (const d of devices) if (d.connected) connected++;
    maxConnected = Math.max(maxConnected, connected);
    recent.reset();
    for (const k of DEVICE_KINDS) {
      recent.add(stats[k].recentLatency);
      stats[k].recentLatency.reset();
    }
    const secs = (now - last.at) / 1000;
    // monitorEventLoopDelay samples every 10 ms and includes those 10 ms: report the excess.
    const loopDelayP99Ms = Math.max(0, loop.percentile(99) / 1e6 - 10);
    loop.reset();
    if (steadyStart && !steadyEnd) loopDelayMaxMs = Math.max(loopDelayMaxMs, loopDelayP99Ms);
    hooks.onProgress?.({
      elapsedSeconds: (now - t0) / 1000,
      connected,
      devices: devices.length,
      recordsSentPerSecond: (t.recordsSent - last.totals.recordsSent) / secs,
      recordsAckedPerSecond: (t.recordsAcked - last.totals.recordsAcked) / secs,
      ackP50Ms: recent.percentile(50) / 1000,
      ackP99Ms: recent.percentile(99) / 1000,
      totals: t,
      errors: errorCount(),
      loopDelayP99Ms,
    });
    last = { at: now, totals: t };
  }, 1000);

  // Sending ends by duration (ticker), by abort, or when every device has sent its packets;
  // then the last acks get --drain-timeout-ms.
  await waitFor(() => steadyEnd !== null || finished === devices.length);
  if (finished < devices.length) {
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([allDone.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), options.drainTimeoutMs)))]);
    clearTimeout(timer);
    if (!drained) for (const d of devices) d.abandon();
  }
  const end = performance.now();
  clearInterval(ticker);
  loop.disable();
  scheduler.stop();
  hooks.signal?.removeEventListener('abort', onAbort);

  const cpu = process.cpuUsage(cpu0);
  const final = totals();
  const s0 = steadyStart ?? { at: t0, totals: emptyTotals() };
  const s1 = steadyEnd ?? { at: end, totals: final };
  const steadySeconds = Math.max(0, (s1.at - s0.at) / 1000);
  const perSec = (a: number, b: number) => (steadySeconds > 0 ? Math.round((b - a) / steadySeconds) : 0);
  const all = new Histogram();
  const byKind: { [K in DeviceKind]?: Totals & { ackLatencyMs: ReturnType<typeof latencySummary> } } = {};
  for (const k of DEVICE_KINDS) {
    if (counts[k] === 0) continue;
    all.add(stats[k].latency);
    const t = emptyTotals();
    for (const d of devices) if (d.kind === k) addDevice(t, d);
    byKind[k] = { ...t, ackLatencyMs: latencySummary(stats[k].latency) };
  }
  const errors: { [code: string]: number } = {};
  for (const k of DEVICE_KINDS) for (const [code, n] of stats[k].errors) errors[code] = (errors[code] ?? 0) + n;
  const elapsedSeconds = (end - t0) / 1000;
  return {
    options,
    startedAt: startedAt.toISOString(),
    elapsedSeconds: round3(elapsedSeconds),
    steadySeconds: round3(steadySeconds),
    totals: final,
    rates: {
      recordsAckedPerSecond: Math.round(final.recordsAcked / elapsedSeconds),
      steadyRecordsSentPerSecond: perSec(s0.totals.recordsSent, s1.totals.recordsSent),
      steadyRecordsAckedPerSecond: perSec(s0.totals.recordsAcked, s1.totals.recordsAcked),
      steadyPacketsAckedPerSecond: perSec(s0.totals.packetsAcked, s1.totals.packetsAcked),
    },
    ackLatencyMs: latencySummary(all),
    byKind,
    maxConnected,
    simulatorLoopDelayP99MaxMs: Math.round(loopDelayMaxMs),
    simulatorCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / elapsedSeconds) * 100),
    errors,
    errorSamples: DEVICE_KINDS.flatMap((k) => stats[k].errorSamples),
    ok: final.recordsUnacked === 0 && final.recordsSent > 0 && (errors['unacked-at-end'] ?? 0) === 0,
  };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise<void>((r) => setTimeout(r, 50));
}
