/** bench:ingest results as the Markdown section of bench/RESULTS.md, plus the profile tables. */
import type { ProfileReport } from './cpu-profile.ts';
import { machineLine, type Machine } from './results-md.ts';
import type { Summary } from './stats.ts';

export interface RunResult {
  readonly scenario: 'ingest' | 'wialon-pipeline' | 'ingest-null-store' | 'simulator';
  readonly summary: Summary;
  /** Records stored: `count() FROM records FINAL` (gateway) or acknowledged (stub). */
  readonly stored: number;
  /** fleetmeter_committed_records_total per second over the steady window (NaN for the stub). */
  readonly committedPerSecond: number;
  readonly rssMaxBytes: number;
  readonly eventLoopP99MaxSeconds: number;
  /** CPU cores used over the steady window by the target (gateway or stub), this process, everyone else. */
  readonly targetCores: number;
  readonly simulatorCores: number;
  readonly otherCores: number;
  readonly stopSeconds: number;
  /** Accept-queue overflows (machine-wide) during the whole run. */
  readonly listenOverflows: number;
  readonly profile: ProfileReport | null;
}

export interface ReportContext {
  readonly machine: Machine;
  readonly command: string;
  readonly gatewayArgs: string | null;
  readonly durationS: number;
  readonly rampMs: number;
  readonly pipelineDepth: number;
  readonly pipelineDurationS: number;
}

const n = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const mib = (b: number) => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(0)} MiB` : 'n/a');
const cores = (c: number) => (Number.isFinite(c) ? c.toFixed(2) : 'n/a');
const met = (ok: boolean) => (ok ? 'yes' : '**no**');
const lat = (s: Summary) => `${s.ackLatencyMs.p50} / ${s.ackLatencyMs.p99} / ${s.ackLatencyMs.max} ms`;

function rowsFor(r: RunResult): string[] {
  const s = r.summary;
  const loss = Math.max(0, s.totals.recordsAcked - r.stored);
  const extra = Math.max(0, r.stored - s.totals.recordsAcked);
  const cpu = `| ${r.scenario} | CPU cores: ${r.scenario === 'simulator' ? 'stub' : 'gateway'} / simulator / other processes | | ${cores(r.targetCores)} / ${cores(r.simulatorCores)} / ${cores(r.otherCores)} | |`;
  switch (r.scenario) {
    case 'ingest':
      return [
        `| ingest | records/s committed: acked after commit (simulator) / gateway counter, steady window | ≥ 100,000 | ${n(s.rates.steadyRecordsAckedPerSecond)} / ${n(r.committedPerSecond)} | ${met(Math.max(s.rates.steadyRecordsAckedPerSecond, r.committedPerSecond) >= 100_000)} |`,
        `| ingest | records/s offered (simulator, steady window; 10,000 × 10 every second at most) | | ${n(s.rates.steadyRecordsSentPerSecond)} | |`,
        `| ingest | ack latency p50 / p99 / max | p99 ≤ 250 ms | ${lat(s)} | ${met(s.ackLatencyMs.p99 <= 250)} |`,
        `| ingest | gateway RSS, max | ≤ 1 GiB | ${mib(r.rssMaxBytes)} | ${met(r.rssMaxBytes <= 2 ** 30)} |`,
        `| ingest | gateway event-loop delay p99, max of 1-s samples | | ${(r.eventLoopP99MaxSeconds * 1000).toFixed(0)} ms | |`,
        `| ingest | records acked / stored (FINAL) | equal | ${n(s.totals.recordsAcked)} / ${n(r.stored)} | ${met(loss === 0)} |`,
        `| ingest | acked but not stored (loss) / stored but not acked | 0 / in-flight only | ${n(loss)} / ${n(extra)} | ${met(loss === 0)} |`,
        `| ingest | TCP connections (max connected); accept-queue overflows | 10,000 | ${n(s.maxConnected)}; ${n(r.listenOverflows)} | ${met(s.maxConnected >= 10_000)} |`,
        cpu,
      ];
    case 'wialon-pipeline':
      return [
        `| wialon-pipeline | #D# messages/s acked after commit (1 connection) | ≥ 50,000 | ${n(s.rates.steadyPacketsAckedPerSecond)} | ${met(s.rates.steadyPacketsAckedPerSecond >= 50_000)} |`,
        `| wialon-pipeline | ack latency p50 / p99 / max | | ${lat(s)} | |`,
        `| wialon-pipeline | messages acked / stored (FINAL), loss | equal, 0 | ${n(s.totals.recordsAcked)} / ${n(r.stored)}, ${n(loss)} | ${met(loss === 0)} |`,
        `| wialon-pipeline | gateway RSS max, event-loop delay p99 max | | ${mib(r.rssMaxBytes)}, ${(r.eventLoopP99MaxSeconds * 1000).toFixed(0)} ms | |`,
        cpu,
      ];
    case 'ingest-null-store':
      return [
        `| ingest-null-store | records/s committed with inserts dropped (no ClickHouse) | | ${n(r.committedPerSecond)} (acked ${n(s.rates.steadyRecordsAckedPerSecond)}, offered ${n(s.rates.steadyRecordsSentPerSecond)}) | |`,
        `| ingest-null-store | ack latency p50 / p99 / max | | ${lat(s)} | |`,
        `| ingest-null-store | gateway RSS max, event-loop delay p99 max | | ${mib(r.rssMaxBytes)}, ${(r.eventLoopP99MaxSeconds * 1000).toFixed(0)} ms | |`,
        `| ingest-null-store | records acked / "inserted" | equal | ${n(s.totals.recordsAcked)} / ${n(r.stored)} | ${met(loss === 0)} |`,
        `| ingest-null-store | TCP connections (max connected); accept-queue overflows | | ${n(s.maxConnected)}; ${n(r.listenOverflows)} | |`,
        cpu,
      ];
    case 'simulator':
      return [
        `| simulator | records/s acked by a stub that stores nothing (simulator ceiling) | ≥ 100,000 | ${n(s.rates.steadyRecordsAckedPerSecond)} (offered ${n(s.rates.steadyRecordsSentPerSecond)}) | ${met(s.rates.steadyRecordsAckedPerSecond >= 100_000)} |`,
        `| simulator | ack latency p50 / p99, simulator loop delay p99 max | | ${s.ackLatencyMs.p50} / ${s.ackLatencyMs.p99} ms, ${s.simulatorLoopDelayP99MaxMs} ms | |`,
        cpu,
      ];
  }
}

function note(r: RunResult, ctx: ReportContext): string {
  const s = r.summary;
  const kinds = Object.entries(s.byKind).map(([k, t]) => `${k} ${n(t?.devices ?? 0)}`).join(', ');
  const errors = Object.keys(s.errors).length ? JSON.stringify(s.errors) : 'none';
  const common = `${n(s.totals.packetsSent)} packets, ${n(s.totals.resends)} resends, ${n(s.totals.reconnects)} reconnects, errors ${errors}`;
  if (r.scenario === 'wialon-pipeline') {
    return `wialon-pipeline: 1 Wialon IPS 2.0 TCP connection, ${ctx.pipelineDepth} \`#D#\` in flight, ${ctx.pipelineDurationS} s; ${common}.`;
  }
  const what =
    r.scenario === 'ingest' ? 'ingest' : r.scenario === 'ingest-null-store' ? 'ingest-null-store (same load, gateway on a null store)' : 'simulator (the same devices at twice the packet rate, stub target)';
  return (
    `${what}: ${n(s.options.devices)} devices (${kinds}), each sending a packet every ${s.options.intervalMs} ms with ${s.options.recordsPerPacket} records ` +
    `(Teltonika Codec 8E with 20 IO elements, ~1.3 KB — the FMB 1280-byte packet limit; Wialon IPS 2.0 \`#B#\` with 10 params per body) and waiting for its ack; ` +
    `${ctx.rampMs / 1000} s ramp, ${ctx.durationS} s measured; ${common}` +
    (r.scenario === 'ingest' ? `; graceful stop ${r.stopSeconds.toFixed(1)} s.` : '.')
  );
}

export function renderResults(results: readonly RunResult[], ctx: ReportContext): { markdown: string; profiles: string } {
  const rows = ['| scenario | metric | target | measured | met |', '|---|---|---|---|---|', ...results.flatMap(rowsFor)];
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`${ctx.command}\`: the gateway (\`fleetmeter serve\`, embedded chDB, ` +
      `defaults plus \`--connections-per-address 0 --max-connections-per-address 0 --max-connections 100000 --log-level warn\`${ctx.gatewayArgs ? ` \`${ctx.gatewayArgs}\`` : ''}) ` +
      `as its own process, the simulator in the bench process, both on this machine.`,
    '',
    `Machine: ${machineLine(ctx.machine)}.`,
    '',
    ...rows,
    '',
    ...results.map((r) => `- ${note(r, ctx)}`),
    '- Records/s committed: every ack follows a commit, so the simulator\'s acked rate is a lower bound; the gateway counter (`fleetmeter_committed_records_total`) is read from 1-s scrapes that a stalled gateway answers late, so its window is less exact.',
    '- Steady window: from the end of the ramp (+2 s) until sending stopped. "Other processes" is machine CPU not used by the gateway or the bench process during that window: on a shared machine it is load that competed with the run.',
    "- Event-loop delay is prom-client's `nodejs_eventloop_lag_p99_seconds` (monitorEventLoopDelay at 10 ms resolution: an idle loop reads 10–20 ms).",
  ];
  let profiles = '';
  const profiled = results.filter((r) => r.profile);
  if (profiled.length > 0) {
    lines.push('', '**Where the gateway spends its time** (V8 `--cpu-prof` of the gateway process during the runs above, self time; the profiler costs a few %):', '');
    lines.push('| scenario | by file / category | top functions |', '|---|---|---|');
    for (const r of profiled) {
      const p = r.profile!;
      const files = p.files.slice(0, 8).map((f) => `${f.selfPercent} % ${f.name}`).join('<br>');
      const fns = p.functions.slice(0, 10).map((f) => `${f.selfPercent} % \`${f.name.split('  ')[0]}\` ${f.name.split('  ')[1] ?? ''}`).join('<br>');
      lines.push(`| ${r.scenario} | ${files} | ${fns} |`);
    }
  }
  for (const r of profiled) {
    profiles += `\nGateway CPU profile (${r.scenario}), self time, ${n(r.profile!.totalMs)} ms sampled:\n  by file:\n`;
    for (const f of r.profile!.files.slice(0, 12)) profiles += `  ${String(f.selfPercent).padStart(5)} %  ${f.name}\n`;
    profiles += '  by function:\n';
    for (const f of r.profile!.functions) profiles += `  ${String(f.selfPercent).padStart(5)} %  ${f.name}\n`;
  }
  return { markdown: lines.join('\n'), profiles };
}
