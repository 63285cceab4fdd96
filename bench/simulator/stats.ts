/**
 * Counters and latencies. Each device keeps its own counters (plain fields, no allocation per
 * packet); devices of one kind share a `KindStats` for the latency histograms and error tallies.
 * `Summary` is what `runSimulation` returns and `--json` prints.
 */
import { Histogram } from './histogram.ts';
import type { DeviceKind, SimulationOptions } from './options.ts';

/** Closed set of error codes the simulator counts. */
export const SIM_ERRORS = [
  'connect-failed', // TCP connect or UDP send failed
  'closed-by-gateway', // the gateway closed a connection the device did not close
  'login-rejected', // Teltonika 00, Wialon #AL# other than 1
  'handshake-timeout',
  'bad-answer', // an answer that is not the expected type/count, or a negative code
  'unexpected-bytes', // bytes when no answer was expected
  'unacked-at-end', // records still unacknowledged when the drain timed out
] as const;
export type SimError = (typeof SIM_ERRORS)[number];

export class KindStats {
  /** Ack latency, µs, from a packet's first transmission to its ack. */
  readonly latency = new Histogram();
  /** The same, reset every progress interval. */
  readonly recentLatency = new Histogram();
  readonly errors = new Map<SimError, number>();
  readonly errorSamples: string[] = [];

  constructor(readonly kind: DeviceKind) {}

  recordLatency(ms: number): void {
    const us = ms * 1000;
    this.latency.record(us);
    this.recentLatency.record(us);
  }

  error(code: SimError, detail: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    if (this.errorSamples.length < 5) this.errorSamples.push(`${this.kind} ${code}: ${detail}`);
  }
}

/** Per-device counters (read by the simulator for progress and the summary). */
export interface DeviceCounters {
  readonly kind: DeviceKind;
  packetsSent: number;
  packetsAcked: number;
  /** Distinct records put on the wire at least once. */
  recordsSent: number;
  /** Distinct records acknowledged. */
  recordsAcked: number;
  /** Retransmissions (timeouts and resends after a reconnect). */
  resends: number;
  reconnects: number;
  timeouts: number;
  connected: boolean;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export interface Totals {
  devices: number;
  packetsSent: number;
  packetsAcked: number;
  recordsSent: number;
  recordsAcked: number;
  recordsUnacked: number;
  resends: number;
  reconnects: number;
  timeouts: number;
}

export interface Summary {
  readonly options: SimulationOptions;
  readonly startedAt: string;
  /** From the first connect to the last ack (or the drain timeout). */
  readonly elapsedSeconds: number;
  /** The part of it spent sending (after ramp-up until sending stopped): the rates' window. */
  readonly steadySeconds: number;
  readonly totals: Totals;
  readonly rates: {
    /** Over the whole run. */
    readonly recordsAckedPerSecond: number;
    /** Between the end of the ramp and the end of sending. */
    readonly steadyRecordsSentPerSecond: number;
    readonly steadyRecordsAckedPerSecond: number;
    readonly steadyPacketsAckedPerSecond: number;
  };
  /** Milliseconds from a packet's first transmission to its acknowledgement. */
  readonly ackLatencyMs: LatencySummary;
  readonly byKind: { readonly [K in DeviceKind]?: Totals & { readonly ackLatencyMs: LatencySummary } };
  readonly maxConnected: number;
  /**
   * The simulator's own event-loop delay (p99 per second, max over the steady window, ms). Tens of
   * ms or more: the simulator was short of CPU, so latencies and rates partly measure it.
   */
  readonly simulatorLoopDelayP99MaxMs: number;
  /** CPU time of this process over the run, in % of one core (the whole process: embedders count too). */
  readonly simulatorCpuPercent: number;
  readonly errors: { readonly [code: string]: number };
  readonly errorSamples: readonly string[];
  /** True when every record sent was acknowledged and nothing went wrong. */
  readonly ok: boolean;
}

export function latencySummary(h: Histogram): LatencySummary {
  const ms = (us: number) => Math.round(us) / 1000;
  return { count: h.count, p50: ms(h.percentile(50)), p90: ms(h.percentile(90)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) };
}

export function emptyTotals(): Totals {
  return { devices: 0, packetsSent: 0, packetsAcked: 0, recordsSent: 0, recordsAcked: 0, recordsUnacked: 0, resends: 0, reconnects: 0, timeouts: 0 };
}

export function addDevice(t: Totals, d: DeviceCounters): void {
  t.devices++;
  t.packetsSent += d.packetsSent;
  t.packetsAcked += d.packetsAcked;
  t.recordsSent += d.recordsSent;
  t.recordsAcked += d.recordsAcked;
  t.recordsUnacked += d.recordsSent - d.recordsAcked;
  t.resends += d.resends;
  t.reconnects += d.reconnects;
  t.timeouts += d.timeouts;
}
