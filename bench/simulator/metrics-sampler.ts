/** Samples a gateway's Prometheus `/metrics` and the machine's CPU once a second (benchmarks). */
import { machineBusySeconds, tcpListenOverflows } from './system-cpu.ts';

export interface MetricsSample {
  /** performance.now() of the scrape. */
  readonly at: number;
  readonly rssBytes: number;
  /** prom-client's event-loop delay p99 since the previous scrape (includes its 10 ms resolution). */
  readonly eventLoopP99Seconds: number;
  readonly committedRecords: number;
  readonly queuedRecords: number;
  readonly pausedSockets: number;
  readonly connections: number;
  /** CPU seconds of the process under test so far. */
  readonly cpuSeconds: number;
  /** Busy CPU seconds of the whole machine so far (all processes). */
  readonly machineBusySeconds: number;
  /** Machine-wide TcpExt ListenOverflows so far. */
  readonly listenOverflows: number;
}

/** Sum of every series of `name` (all label sets), NaN when absent. */
export function metricValue(text: string, name: string): number {
  let sum = NaN;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    sum = Number.isNaN(sum) ? v : sum + v;
  }
  return sum;
}

export class MetricsSampler {
  readonly samples: MetricsSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    /** null: no /metrics (a stub target); only CPU is sampled. */
    private readonly url: string | null,
    private readonly cpuSeconds: () => number,
  ) {}

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.sample(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async sample(): Promise<MetricsSample | null> {
    if (this.busy) return null; // a slow scrape is itself a finding; never stack them
    this.busy = true;
    try {
      const text = this.url ? await (await fetch(this.url, { signal: AbortSignal.timeout(5000) })).text() : '';
      const s: MetricsSample = {
        at: performance.now(),
        rssBytes: metricValue(text, 'process_resident_memory_bytes'),
        eventLoopP99Seconds: metricValue(text, 'nodejs_eventloop_lag_p99_seconds'),
        committedRecords: metricValue(text, 'fleetmeter_committed_records_total'),
        queuedRecords: metricValue(text, 'fleetmeter_pipeline_queued_records'),
        pausedSockets: metricValue(text, 'fleetmeter_paused_sockets'),
        connections: metricValue(text, 'fleetmeter_connections'),
        cpuSeconds: this.cpuSeconds(),
        machineBusySeconds: machineBusySeconds(),
        listenOverflows: tcpListenOverflows(),
      };
      this.samples.push(s);
      return s;
    } catch {
      return null;
    } finally {
      this.busy = false;
    }
  }

  /** Samples taken in [from, to] (performance.now() times). */
  between(from: number, to: number): MetricsSample[] {
    return this.samples.filter((s) => s.at >= from && s.at <= to);
  }
}
