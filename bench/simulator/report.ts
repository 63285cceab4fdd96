/** The summary as a text table (stdout), the progress line (stderr), and the fd-limit check. */
import { readFileSync } from 'node:fs';
import type { Progress } from './simulator.ts';
import type { LatencySummary, Summary, Totals } from './stats.ts';

const n = (v: number) => v.toLocaleString('en-US');
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

export function progressLine(p: Progress): string {
  return (
    `[${p.elapsedSeconds.toFixed(0).padStart(4)}s] connected ${n(p.connected)}/${n(p.devices)}` +
    `  sent ${n(Math.round(p.recordsSentPerSecond))} rec/s  acked ${n(Math.round(p.recordsAckedPerSecond))} rec/s` +
    `  ack p50 ${ms(p.ackP50Ms)} ms p99 ${ms(p.ackP99Ms)} ms  resends ${n(p.totals.resends)}  errors ${n(p.errors)}  sim loop +${ms(p.loopDelayP99Ms)} ms`
  );
}

function row(name: string, t: Totals, l: LatencySummary): string[] {
  return [name, n(t.devices), n(t.packetsSent), n(t.recordsSent), n(t.recordsAcked), n(t.recordsUnacked), n(t.resends), n(t.reconnects), ms(l.p50), ms(l.p99), ms(l.max)];
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

export function summaryText(s: Summary): string {
  const head = ['kind', 'devices', 'packets', 'records sent', 'acked', 'unacked', 'resends', 'reconnects', 'p50 ms', 'p99 ms', 'max ms'];
  const rows = [head];
  for (const [kind, t] of Object.entries(s.byKind)) if (t) rows.push(row(kind, t, t.ackLatencyMs));
  rows.push(row('total', s.totals, s.ackLatencyMs));
  const l = s.ackLatencyMs;
  const lines = [
    `fleetmeter simulate — ${s.options.devices} devices against ${s.options.host}, started ${s.startedAt}`,
    '',
    table(rows),
    '',
    `elapsed ${s.elapsedSeconds.toFixed(1)} s (steady window ${s.steadySeconds.toFixed(1)} s, after the ramp until sending stopped)`,
    `records acked/s: ${n(s.rates.steadyRecordsAckedPerSecond)} steady, ${n(s.rates.recordsAckedPerSecond)} over the whole run; records sent/s steady ${n(s.rates.steadyRecordsSentPerSecond)}; packets acked/s steady ${n(s.rates.steadyPacketsAckedPerSecond)}`,
    `ack latency ms (first transmission → ack): p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}  (${n(l.count)} packets)`,
    `max connected: ${n(s.maxConnected)}   ack timeouts: ${n(s.totals.timeouts)}   simulator CPU ${s.simulatorCpuPercent} % of a core, event-loop delay p99 (max of 1-s samples) ${n(s.simulatorLoopDelayP99MaxMs)} ms`,
  ];
  const errors = Object.entries(s.errors);
  lines.push(errors.length === 0 ? 'errors: none' : `errors: ${errors.map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
  for (const e of s.errorSamples) lines.push(`  e.g. ${e}`);
  lines.push(s.ok ? 'result: every record sent was acknowledged' : `result: ${n(s.totals.recordsUnacked)} records sent but not acknowledged`);
  return lines.join('\n') + '\n';
}

/** The soft "Max open files" limit of this process (Linux), or null when it cannot be read. */
export function openFileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m) return null;
    return m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return null;
  }
}

/** A warning when `devices` sockets will not fit under the fd limit, else null. */
export function fdLimitWarning(devices: number): string | null {
  const limit = openFileLimit();
  if (limit === null || devices + 64 <= limit) return null;
  return `warning: ${devices} devices need about ${devices + 64} open files but \`ulimit -n\` is ${limit}; raise it (e.g. \`ulimit -n 65536\`) or connects will fail with EMFILE`;
}
