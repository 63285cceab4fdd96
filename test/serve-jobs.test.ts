/**
 * `fleetmeter serve --api-port off --jobs on` — a jobs-only instance, as a real child process on
 * each backend: the scheduler starts without the REST API, its jobs run (counted on the admin
 * port's /metrics) and their runs are recorded in ClickHouse (`billing_job_runs`); SIGTERM stops
 * it cleanly.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { sample } from './support/prometheus.ts';
import { tempDir } from './support/temp.ts';
import { servingPorts } from './support/serve.ts';

const bin = new URL('../bin/fleetmeter.js', import.meta.url).pathname;
const serverUrl = process.env.CLICKHOUSE_URL;

interface Target {
  readonly name: 'chdb' | 'server';
  readonly env: { [k: string]: string };
  /** Opens the database serve used (chDB: only once serve has exited). */
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

function chdbTarget(): Target {
  const dataDir = tempDir('fm-serve-jobs-');
  return {
    name: 'chdb',
    env: { FLEETMETER_DATA_DIR: dataDir, CLICKHOUSE_URL: '', FLEETMETER_STORE: 'chdb' },
    open: () => openStore({ backend: 'chdb', path: dataDir, database: 'fleetmeter' }),
    cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

function serverTarget(url: string): Target {
  const database = `fm_serve_jobs_${process.pid}_${Date.now().toString(36)}`;
  const open = () => openStore({ backend: 'server', url, database, username: process.env.CLICKHOUSE_USER, password: process.env.CLICKHOUSE_PASSWORD });
  return {
    name: 'server',
    env: { CLICKHOUSE_URL: url, FLEETMETER_STORE: 'server', CLICKHOUSE_DATABASE: database },
    open,
    cleanup: async () => {
      const s = await open();
      await s.command(`DROP DATABASE IF EXISTS ${database}`);
      await s.close();
    },
  };
}

const targets: { name: string; make: () => Target }[] = [{ name: 'chDB', make: chdbTarget }, ...(serverUrl ? [{ name: 'ClickHouse server', make: () => serverTarget(serverUrl) }] : [])];

describe('fleetmeter serve --api-port off --jobs on', () => {
  for (const { name, make } of targets) {
    it(`runs the scheduler without the API (${name})`, async () => {
      const target = make();
      const args = ['serve', '--api-port', 'off', '--jobs', 'on', '--job-tick-ms', '200', '--admin-port', '0', '--host', '127.0.0.1'];
      for (const p of ['teltonika-tcp-port', 'teltonika-udp-port', 'wialon-tcp-port', 'wialon-udp-port', 'mqtt-port']) args.push(`--${p}`, 'off');
      const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...target.env, FLEETMETER_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
      const logged: { msg: string; [k: string]: unknown }[] = [];
      try {
        const ports = await servingPorts<{ admin: number; api?: number }>(child, { timeoutMs: 150_000, log: logged });
        expect(ports.api).toBeUndefined();
        const started = logged.find((l) => l.msg === 'scheduler started');
        expect(started?.jobs).toEqual(expect.arrayContaining(['period-close', 'suspension-evaluate', 'webhook-dispatch']));
        // The jobs are due at once on a fresh database: their runs show on the admin port's /metrics.
        const deadline = Date.now() + 60_000;
        let text = '';
        while (Date.now() < deadline) {
          text = await (await fetch(`http://127.0.0.1:${ports.admin}/metrics`)).text();
          if (sample(text, 'fleetmeter_job_runs_total', { job: 'suspension-evaluate' }) === 1 && sample(text, 'fleetmeter_job_runs_total', { job: 'period-close' }) === 1) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(sample(text, 'fleetmeter_job_runs_total', { job: 'period-close' })).toBe(1);
        expect(sample(text, 'fleetmeter_job_runs_total', { job: 'suspension-evaluate' })).toBe(1);
        expect(sample(text, 'fleetmeter_job_failures_total', { job: 'period-close' })).toBe(0);
        expect(sample(text, 'fleetmeter_accounts', { state: 'active' })).toBe(0);
        const code = await new Promise<number | null>((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGTERM');
        });
        expect(code).toBe(0);
        // The runs are recorded in ClickHouse, by this instance.
        const store = await target.open();
        try {
          const runs = await store.query<{ job: string; status: string; owner: string }>(`SELECT job, status, owner FROM billing_job_runs FINAL WHERE status != 'running' ORDER BY job`);
          expect(runs.map((r) => [r.job, r.status])).toEqual(expect.arrayContaining([['period-close', 'ok'], ['suspension-evaluate', 'ok'], ['device-silent', 'ok']]));
          expect(new Set(runs.map((r) => r.owner))).toEqual(new Set([started?.owner]));
        } finally {
          await store.close();
        }
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        await target.cleanup();
      }
    }, 240_000);
  }
});
