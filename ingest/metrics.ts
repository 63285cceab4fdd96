/**
 * Gateway metrics (Prometheus text at /metrics on the admin port). One registry per gateway
 * instance, so tests can run several side by side.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Process metrics under the standard names. Not prom-client's collectDefaultMetrics: it lists
 * /proc/self/fd synchronously on every scrape, which with 10 000 device sockets costs the event
 * loop more than everything else the scrape does.
 */
function processMetrics(registry: Registry): void {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
  new Gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes', registers: [registry], collect() { this.set(process.memoryUsage.rss()); } });
  new Gauge({ name: 'nodejs_heap_size_used_bytes', help: 'V8 heap in use, bytes', registers: [registry], collect() { this.set(process.memoryUsage().heapUsed); } });
  // A counter (promtool: a _total is a counter); collect sets it to the process's running total.
  new Counter({ name: 'process_cpu_seconds_total', help: 'User and system CPU time spent, seconds', registers: [registry], collect() { const c = process.cpuUsage(); this.reset(); this.inc((c.user + c.system) / 1e6); } });
  // Percentiles over the interval since the previous scrape. The first gauge's collect reads and
  // resets the histogram for all three (gauges are collected in registration order).
  const p99 = new Gauge({ name: 'nodejs_eventloop_lag_p99_seconds', help: 'Event-loop delay p99 since the last scrape', registers: [] });
  const max = new Gauge({ name: 'nodejs_eventloop_lag_max_seconds', help: 'Event-loop delay max since the last scrape', registers: [] });
  new Gauge({
    name: 'nodejs_eventloop_lag_p50_seconds',
    help: 'Event-loop delay p50 since the last scrape',
    registers: [registry],
    collect() {
      this.set(seconds(loop.percentile(50)));
      p99.set(seconds(loop.percentile(99)));
      max.set(seconds(loop.max));
      loop.reset();
    },
  });
  registry.registerMetric(p99);
  registry.registerMetric(max);
}

export function createMetrics() {
  const registry = new Registry();
  processMetrics(registry);
  const labels = ['protocol', 'transport'] as const;
  return {
    registry,
    connections: new Gauge({ name: 'fleetmeter_connections', help: 'Open device connections', labelNames: labels, registers: [registry] }),
    connectionsTotal: new Counter({ name: 'fleetmeter_connections_total', help: 'Device connections accepted', labelNames: labels, registers: [registry] }),
    connectionsRefused: new Counter({ name: 'fleetmeter_connections_refused_total', help: 'Connections refused by a limit', labelNames: ['protocol', 'transport', 'reason'], registers: [registry] }),
    bytes: new Counter({ name: 'fleetmeter_bytes_received_total', help: 'Bytes received from devices', labelNames: labels, registers: [registry] }),
    frames: new Counter({ name: 'fleetmeter_frames_total', help: 'Frames decoded', labelNames: labels, registers: [registry] }),
    records: new Counter({ name: 'fleetmeter_records_total', help: 'Records decoded', labelNames: labels, registers: [registry] }),
    decodeErrors: new Counter({ name: 'fleetmeter_decode_errors_total', help: 'Frames rejected by the decoder, by error code', labelNames: ['protocol', 'transport', 'code'], registers: [registry] }),
    logins: new Counter({ name: 'fleetmeter_logins_total', help: 'Device logins by outcome', labelNames: ['protocol', 'outcome'], registers: [registry] }),
    committedRecords: new Counter({ name: 'fleetmeter_committed_records_total', help: 'Records committed to storage', registers: [registry] }),
    commitFailures: new Counter({ name: 'fleetmeter_commit_failures_total', help: 'Failed insert attempts', registers: [registry] }),
    batchSize: new Histogram({
      name: 'fleetmeter_batch_records',
      help: 'Records per committed batch',
      buckets: [1, 10, 100, 500, 1000, 5000, 10000, 50000],
      registers: [registry],
    }),
    commitLatency: new Histogram({
      name: 'fleetmeter_commit_seconds',
      help: 'Time from a batch being cut to its commit',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queuedRecords: new Gauge({ name: 'fleetmeter_pipeline_queued_records', help: 'Records waiting for commit', registers: [registry] }),
    pausedSockets: new Gauge({ name: 'fleetmeter_paused_sockets', help: 'Device sockets paused by backpressure', registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
