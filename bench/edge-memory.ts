/**
 * What hostile silent connections cost a real gateway process (issue #20): N TCP connections over
 * loopback, each announcing the largest frame its header allows and then going silent — a third
 * Teltonika (handshake, then `00000000` + L = max − 12), a third Wialon `#I#` (no login needed),
 * a third a Wialon compressed container `FF FFFF` — against `fleetmeter serve` (chDB) with the
 * default --max-frame-bytes (64 KiB). The gateway's RSS (/proc/PID/status VmRSS) is read before
 * and after; a second gateway gets the same number of connections that send nothing, as the
 * reference cost of an open socket. Loopback only, bounded in time (about a minute).
 *
 *   node bin/run-ts.js bench/edge-memory.ts [--connections 3000] [--null-store] [--no-results]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitArgs } from '../cli/runtime.ts';
import { encodeImei } from '../protocols/teltonika/index.ts';
import { startGatewayProcess, type GatewayProcess } from './simulator/gateway-process.ts';
import { machine, machineLine, writeSection } from './simulator/results-md.ts';

const { flags } = splitArgs(process.argv.slice(2));
const N = Number(flags.connections ?? 3000);
const MAX_FRAME = 65_536;
const SETTLE_MS = 3000;
const log = (line: string) => process.stderr.write(line + '\n');

const rssMiB = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Median of a few RSS samples 200 ms apart (one reading can catch a GC in the middle). */
async function rss(pid: number): Promise<number> {
  const s: number[] = [];
  for (let i = 0; i < 5; i++) {
    s.push(rssMiB(pid));
    await sleep(200);
  }
  return s.sort((a, b) => a - b)[2];
}

/** The opening bytes of connection i: the hostile announcement, or nothing. */
function opening(i: number, hostile: boolean): { port: 'teltonika' | 'wialon'; bytes: Buffer } {
  const kind = i % 3;
  if (kind === 0) {
    if (!hostile) return { port: 'teltonika', bytes: Buffer.alloc(0) };
    const head = Buffer.alloc(9);
    head.writeUInt32BE(MAX_FRAME - 12, 4);
    head[8] = 0x08;
    return { port: 'teltonika', bytes: Buffer.concat([encodeImei(String(359000000000000 + i)), head, Buffer.from('ABC')]) };
  }
  if (!hostile) return { port: 'wialon', bytes: Buffer.alloc(0) };
  if (kind === 1) return { port: 'wialon', bytes: Buffer.from(`#I#${MAX_FRAME - 64};0;0;070512;124010;a.jpg\r\nABC`) };
  return { port: 'wialon', bytes: Buffer.from([0xff, 0xff, 0xff, 0x78, 0x01, 0x00]) };
}

async function phase(hostile: boolean): Promise<{ before: number; after: number; open: number; bytesSent: number; heapBefore: number; heapAfter: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetmeter-edge-'));
  let gw: GatewayProcess | null = null;
  const sockets: Socket[] = [];
  try {
    gw = await startGatewayProcess({ dataDir, fdLimit: 20_000, nullStore: flags['null-store'] !== undefined, log }); // all from loopback: gateway-process turns the per-address limits off
    const heap = async () => {
      const text = await (await fetch(`http://127.0.0.1:${gw!.ports.admin}/metrics`)).text();
      return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN) / 2 ** 20;
    };
    await sleep(SETTLE_MS);
    const before = await rss(gw.pid);
    const heapBefore = await heap();
    let bytesSent = 0;
    for (let i = 0; i < N; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, N - i) }, (_, k) => {
          const o = opening(i + k, hostile);
          return new Promise<void>((resolve, reject) => {
            const s = connect({ host: '127.0.0.1', port: gw!.ports[o.port] }, () => {
              if (o.bytes.length > 0) s.write(o.bytes);
              bytesSent += o.bytes.length;
              resolve();
            });
            s.on('error', reject);
            s.on('data', () => undefined); // the Teltonika handshake answer
            sockets.push(s);
          });
        }),
      );
    }
    await sleep(SETTLE_MS);
    const open = sockets.filter((s) => !s.destroyed).length;
    const after = await rss(gw.pid);
    const heapAfter = await heap();
    return { before, after, open, bytesSent, heapBefore, heapAfter };
  } finally {
    for (const s of sockets) s.destroy();
    await gw?.stop(30_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const started = new Date();
const silent = await phase(false);
const hostile = await phase(true);
const f = (x: number) => x.toFixed(1);
const row = (name: string, r: typeof silent) =>
  `| ${name} | ${r.open} | ${r.bytesSent} | ${f(r.before)} | ${f(r.after)} | **${f(r.after - r.before)}** | ${f(((r.after - r.before) * 1024) / N)} | ${f(r.heapAfter - r.heapBefore)} |`;
const body = `
\`node bin/run-ts.js bench/edge-memory.ts\` (\`bench/edge-memory.ts\`): ${N} TCP connections over loopback
against a real gateway process (\`fleetmeter serve\`${flags['null-store'] !== undefined ? ' on the null store' : ', chDB'}, default \`--max-frame-bytes\` 65536,
\`--max-connections-per-address 0\`), opened 100 at a time, then silent. **Hostile**: a third
Teltonika (IMEI handshake, then a header announcing L = 65524, then 3 bytes), a third Wialon
\`#I#65472;…\` + 3 bytes (no login), a third a Wialon compressed container announcing 65535 bytes
+ 3 bytes. **Silent**: the same number of connections that send nothing, on a fresh gateway (the
cost of an open socket, session and logger). RSS = median of 5 VmRSS readings, 3 s after the
last connection opened; heap = \`nodejs_heap_size_used_bytes\`. Issue #20 found +228…293 MiB for
3 000 hostile connections before the framers stopped preallocating announced lengths; this script
run once with the framers of commit 517aa27 (before the fix) on 2026-12-07 measured +14.0 MiB
silent and **+157.9 MiB** hostile (53.9 KiB per connection, outside the V8 heap: the
preallocated frame buffers).

**Machine:** ${machineLine(machine())}. Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC (shared machine, other test suites running).

| connections | open after 3 s | bytes sent | RSS before (MiB) | RSS after (MiB) | RSS added (MiB) | KiB per connection | heap added (MiB) |
|---|---:|---:|---:|---:|---:|---:|---:|
${row(`${N} silent`, silent)}
${row(`${N} hostile`, hostile)}

Budget (issue #20): ${N} hostile connections add ≤ 60 MiB RSS — ${hostile.after - hostile.before <= 60 ? 'met' : '**not met**'}.
`;
process.stdout.write(body + '\n');
if (flags['no-results'] === undefined) writeSection(new URL('./RESULTS.md', import.meta.url).pathname, '## Edge memory (bench/edge-memory.ts)', body);
