/**
 * `npm start` as a user runs it, stopped as a service manager or a terminal stops it: SIGTERM or
 * SIGINT to the npm process must stop the gateway — no orphan left holding the ports and the data
 * dir. npm runs a script through `sh -c`, and signals the shell, not what the shell started; the
 * script `exec`s so that the gateway is the shell.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servingPorts } from './support/serve.ts';

const repo = new URL('..', import.meta.url).pathname;

/** Processes whose command line mentions `needle`. */
function processesWith(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

describe('npm start', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the npm process stops the gateway: no process left, ports free`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'fm-npm-start-'));
      const npm = spawn(
        'npm',
        ['start', '--silent', '--', '--data-dir', dataDir, '--host', '127.0.0.1', '--teltonika-tcp-port', '0', '--teltonika-udp-port', 'off', '--wialon-tcp-port', 'off', '--wialon-udp-port', 'off', '--mqtt-port', 'off', '--admin-port', '0', '--api-port', '0', '--jobs', 'off'],
        { cwd: repo, env: { ...process.env, CLICKHOUSE_URL: '', FLEETMETER_STORE: 'chdb' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      npm.stderr!.on('data', (d) => (stderr += d));
      try {
        const ports = await servingPorts<{ teltonikaTcp: number; admin: number; api: number }>(npm, { timeoutMs: 150_000 });
        expect(processesWith(dataDir).length).toBeGreaterThan(0);
        const exited = await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), 30_000);
          npm.once('exit', () => {
            clearTimeout(t);
            resolve(true);
          });
          npm.kill(signal);
        });
        expect(exited, `npm still running 30 s after ${signal}`).toBe(true);
        // npm returns when its script's process has exited; give a straggler a moment to show itself.
        const deadline = Date.now() + 20_000;
        while (processesWith(dataDir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        expect(processesWith(dataDir)).toEqual([]);
        for (const port of [ports.teltonikaTcp, ports.admin, ports.api]) expect(await portFree(port), `port ${port}`).toBe(true);
      } finally {
        for (const pid of processesWith(dataDir)) process.kill(pid, 'SIGKILL');
        npm.kill('SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      }
    }, 240_000);
  }
});
