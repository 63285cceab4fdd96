/**
 * The gateway under test as a separate process (`node bin/fleetmeter.js serve`), for benchmarks:
 * free ports, a fresh data dir, a raised fd limit, readiness, CPU time, graceful SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { processCpuSeconds } from './system-cpu.ts';

export interface GatewayProcess {
  readonly pid: number;
  readonly ports: { readonly teltonika: number; readonly wialon: number; readonly admin: number };
  readonly dataDir: string;
  /** CPU seconds (user + system) the process has used so far (Linux /proc), or NaN. */
  cpuSeconds(): number;
  /** SIGTERM, then wait for exit (graceful shutdown commits and acks what arrived). */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stopSeconds: number }>;
  /** Everything the process wrote to stdout (the null-store gateway prints its row count there). */
  stdout(): string;
  readonly exited: Promise<void>;
}

export interface GatewayProcessOptions {
  readonly dataDir: string;
  readonly fdLimit: number;
  /** Write a V8 CPU profile (.cpuprofile) into this directory at exit. */
  readonly cpuProfDir?: string;
  /** Extra `serve` flags, e.g. ['--batch-delay-ms', '10']. */
  readonly extraArgs?: readonly string[];
  /** Run the gateway on a store that keeps nothing (null-store-gateway.ts) instead of chDB. */
  readonly nullStore?: boolean;
  readonly log: (line: string) => void;
  /** The fleetmeter checkout to run (its bin/fleetmeter.js); default the current directory. */
  readonly cwd?: string;
}

/** A port free on 127.0.0.1 for both TCP and UDP at the time of asking. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { createSocket } = await import('node:dgram');
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

/** Shell snippet: raise the soft fd limit to `want`, or to the hard limit when that is lower. */
export function raiseFdLimit(want: number): string {
  return `ulimit -n ${want} 2>/dev/null || ulimit -n "$(ulimit -Hn)"`;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function startGatewayProcess(o: GatewayProcessOptions): Promise<GatewayProcess> {
  const ports = { teltonika: await freePort(), wialon: await freePort(), admin: await freePort() };
  const nodeArgs = o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : [];
  const serveArgs = [
    ...(o.nullStore ? ['bin/run-ts.js', 'bench/simulator/null-store-gateway.ts'] : ['bin/fleetmeter.js', 'serve', '--store', 'chdb', '--data-dir', o.dataDir, '--mqtt-port', 'off', '--api-port', 'off']),
    '--host', '127.0.0.1',
    '--teltonika-tcp-port', String(ports.teltonika), '--teltonika-udp-port', String(ports.teltonika),
    '--wialon-tcp-port', String(ports.wialon), '--wialon-udp-port', String(ports.wialon),
    '--admin-host', '127.0.0.1', '--admin-port', String(ports.admin),
    '--connections-per-address', '0', '--max-connections-per-address', '0', '--max-connections', '100000',
    '--log-level', 'warn',
    ...(o.extraArgs ?? []),
  ];
  // The soft fd limit is raised (up to the hard limit) in a shell that then becomes the gateway
  // (exec: same pid).
  const script = `${raiseFdLimit(o.fdLimit)}; exec ${[process.execPath, ...nodeArgs, ...serveArgs].map(quote).join(' ')}`;
  const child: ChildProcess = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], cwd: o.cwd ?? process.cwd() });
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) o.log(`[gateway] ${line.length > 400 ? line.slice(0, 400) + '…' : line}`);
  };
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    forward(chunk);
  });
  child.stderr!.on('data', forward);
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve();
    }),
  );
  const pid = child.pid!;

  // Ready = /ready answers 200 (storage reachable, listeners up).
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exitInfo) throw new Error(`gateway exited during start-up: ${JSON.stringify(exitInfo)}`);
    try {
      const r = await fetch(`http://127.0.0.1:${ports.admin}/ready`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('gateway did not become ready in 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    pid,
    ports,
    dataDir: o.dataDir,
    exited,
    cpuSeconds: () => processCpuSeconds(pid),
    stdout: () => stdout,
    async stop(timeoutMs = 120_000) {
      const t = performance.now();
      if (!exitInfo) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
      return { ...exitInfo!, stopSeconds: (performance.now() - t) / 1000 };
    },
  };
}
