/**
 * Gateway CPU at a steady, realistic load — the figure the presence-in-the-commit change had to
 * keep within 10 %: `fleetmeter serve` (chDB, API off) under 500 Teltonika TCP devices from
 * `fleetmeter simulate` offering 20 000 records/s (20 records a packet, a packet each per 500 ms),
 * CPU of the gateway process (all threads: JavaScript, chDB inserts and merges) over a steady
 * window, from /proc.
 *
 * Side by side: `--baseline DIR` names another fleetmeter checkout (e.g. a worktree of the commit
 * before a change, with node_modules); the rounds alternate baseline and this tree, so drifting
 * machine load hits both alike.
 *
 *   npm run bench:gateway-cpu -- --baseline ../fleetmeter-before [--rounds 3] [--duration 45]
 *   npm run bench:gateway-cpu -- --no-results
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { splitArgs } from '../cli/runtime.ts';
import { startGatewayProcess } from './simulator/gateway-process.ts';
import { machine, machineLine, writeSection } from './simulator/results-md.ts';
import { machineBusySeconds, waitQuiet } from './simulator/system-cpu.ts';

const { flags } = splitArgs(process.argv.slice(2));
const num = (k: string, d: number) => (flags[k] === undefined ? d : Number(flags[k]));
const ROUNDS = num('rounds', 2);
const DURATION = num('duration', 45);
const WARMUP = num('warmup', 15);
const DEVICES = num('devices', 500);
const PER_PACKET = num('records-per-packet', 20);
const INTERVAL = num('interval-ms', 500);
const here = resolve(new URL('..', import.meta.url).pathname);
const trees: { name: string; dir: string }[] = [...(flags.baseline ? [{ name: 'baseline', dir: resolve(flags.baseline) }] : []), { name: 'this tree', dir: here }];
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Run {
  readonly tree: string;
  readonly round: number;
  readonly gatewayCores: number;
  readonly otherCores: number;
  readonly ackedPerSecond: number;
  readonly sent: number;
  readonly acked: number;
}

async function once(tree: { name: string; dir: string }, round: number): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fm-gwcpu-'));
  const gw = await startGatewayProcess({ dataDir, fdLimit: 4096, log: () => undefined, cwd: tree.dir });
  try {
    const sim = spawn(
      process.execPath,
      [join(here, 'bin/fleetmeter.js'), 'simulate', '--teltonika-port', String(gw.ports.teltonika), '--mix', 'teltonika-tcp=100', '--devices', String(DEVICES), '--records-per-packet', String(PER_PACKET), '--interval-ms', String(INTERVAL), '--duration', String(DURATION), '--ramp-ms', '3000', '--json'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    sim.stdout!.on('data', (b) => (out += String(b)));
    const done = new Promise<void>((r) => sim.once('exit', () => r()));
    await new Promise((r) => setTimeout(r, WARMUP * 1000));
    const g0 = gw.cpuSeconds();
    const m0 = machineBusySeconds();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, (DURATION - WARMUP - 3) * 1000));
    const seconds = (performance.now() - t0) / 1000;
    const gatewayCores = (gw.cpuSeconds() - g0) / seconds;
    const machineCores = (machineBusySeconds() - m0) / seconds;
    await done;
    const summary = JSON.parse(out) as { totals: { recordsSent: number; recordsAcked: number }; rates: { steadyRecordsAckedPerSecond: number } };
    const run = { tree: tree.name, round, gatewayCores, otherCores: machineCores - gatewayCores, ackedPerSecond: Math.round(summary.rates.steadyRecordsAckedPerSecond), sent: summary.totals.recordsSent, acked: summary.totals.recordsAcked };
    log(`${tree.name} round ${round}: gateway ${gatewayCores.toFixed(2)} cores, machine ${machineCores.toFixed(2)}, ${run.ackedPerSecond} records/s acked`);
    return run;
  } finally {
    await gw.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await waitQuiet(0.3, 60_000, log);
const runs: Run[] = [];
for (let round = 1; round <= ROUNDS; round++) for (const t of round % 2 === 1 ? trees : [...trees].reverse()) runs.push(await once(t, round));

const m = machine();
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const byTree = trees.map((t) => ({ t, rs: runs.filter((r) => r.tree === t.name) }));
const body = `\`npm run bench:gateway-cpu\` (\`bench/gateway-cpu.ts\`), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${flags.baseline ? `, side by side with a checkout of the commit before (${flags['baseline-label'] ?? flags.baseline})` : ''}.
**Machine:** ${machineLine(m)}.

\`fleetmeter serve\` (chDB, API and MQTT off, default batching) under ${DEVICES} Teltonika TCP devices from \`fleetmeter simulate\`,
${PER_PACKET} records a packet, one packet each per ${INTERVAL} ms (${Math.round((DEVICES * PER_PACKET * 1000) / INTERVAL).toLocaleString('en-US')} records/s offered), ${DURATION} s; CPU of the
gateway process (all threads) from /proc over the steady window (${WARMUP} s after the start to 3 s before the end).
Rounds alternate the trees. *Other* is the rest of the machine (mostly the simulator).

| tree | round | gateway cores | other cores | records/s acked |
|---|---:|---:|---:|---:|
${runs.map((r) => `| ${r.tree} | ${r.round} | ${r.gatewayCores.toFixed(2)} | ${r.otherCores.toFixed(2)} | ${r.ackedPerSecond.toLocaleString('en-US')} |`).join('\n')}

${byTree.map(({ t, rs }) => `- ${t.name}: mean ${mean(rs.map((r) => r.gatewayCores)).toFixed(2)} gateway cores`).join('\n')}${
  byTree.length === 2 ? `\n- ratio this tree / baseline: **${(mean(byTree[1].rs.map((r) => r.gatewayCores)) / mean(byTree[0].rs.map((r) => r.gatewayCores))).toFixed(2)}**` : ''
}`;
process.stdout.write(`\n${body}\n`);
if (flags['no-results'] !== 'true') writeSection(new URL('./RESULTS.md', import.meta.url).pathname, '## Gateway CPU at 20 000 records/s (bench:gateway-cpu)', body);
