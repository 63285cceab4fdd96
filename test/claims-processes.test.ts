/**
 * One winner per create across two real `fleetmeter serve` processes on one ClickHouse server
 * database (the server backend only: chDB is one embedded engine per process). The same creates
 * fired at both at once: exactly one 201; the rest 409, or 200 with the recorded payment for the
 * same payment body (docs/api.md "How uniqueness is decided").
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../store/index.ts';
import { servingPorts } from './support/serve.ts';

const bin = new URL('../bin/fleetmeter.js', import.meta.url).pathname;
const url = process.env.CLICKHOUSE_URL;

describe.skipIf(!url)('claims across two serve processes (server backend)', () => {
  const database = `fm_test_claims_${process.pid}_${Date.now().toString(36)}`;
  const env = { ...process.env, CLICKHOUSE_URL: url, CLICKHOUSE_DATABASE: database, FLEETMETER_LOG_LEVEL: 'info' };
  const children: ChildProcess[] = [];
  const bases: string[] = [];
  let auth: { [k: string]: string } = {};

  const serve = async () => {
    const child = spawn(
      process.execPath,
      [bin, 'serve', '--jobs', 'off', '--teltonika-tcp-port', '0', '--teltonika-udp-port', 'off', '--wialon-tcp-port', 'off', '--wialon-udp-port', 'off', '--mqtt-port', 'off', '--admin-port', 'off', '--api-port', '0', '--api-host', '127.0.0.1', '--host', '127.0.0.1'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    const ports = await servingPorts<{ api: number }>(child, { timeoutMs: 90_000 });
    return `http://127.0.0.1:${ports.api}`;
  };

  beforeAll(async () => {
    const created = spawnSync(process.execPath, [bin, 'apikey', 'create', '--name', 'claims', '--scopes', 'read,write,admin'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(created.status, created.stderr).toBe(0);
    auth = { authorization: `Bearer ${JSON.parse(created.stdout).key}`, 'content-type': 'application/json' };
    bases.push(...(await Promise.all([serve(), serve()])));
    const post = await fetch(`${bases[0]}/v1/accounts`, { method: 'POST', headers: auth, body: JSON.stringify({ id: 'eu', name: 'EU', timeZone: 'Europe/Berlin', currency: 'EUR' }) });
    expect(post.status).toBe(201);
    for (let i = 0; i < 100 && (await fetch(`${bases[1]}/v1/accounts/eu`, { headers: auth })).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
  }, 180_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    const store = await openStore({ backend: 'server', url: url!, database, username: process.env.CLICKHOUSE_USER, password: process.env.CLICKHOUSE_PASSWORD });
    await store.command(`DROP DATABASE IF EXISTS ${database}`);
    await store.close();
  }, 60_000);

  /** `bodies[i]` POSTed at once, alternately to process A and B. */
  const fire = async (path: string, bodies: readonly unknown[]) => {
    const rs = await Promise.all(bodies.map((body, i) => fetch(`${bases[i % 2]}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) })));
    return Promise.all(rs.map(async (r) => ({ status: r.status, json: await r.json() })));
  };
  const four = <T>(f: (i: number) => T) => [0, 1, 2, 3].map(f);

  it('accounts, devices and payments: one 201 each', async () => {
    const accounts = await fire('/v1/accounts', four((i) => ({ id: 'same', name: `N${i}`, timeZone: 'UTC', currency: 'EUR' })));
    expect(accounts.map((r) => r.status).sort(), JSON.stringify(accounts)).toEqual([201, 409, 409, 409]);
    const devices = await fire('/v1/devices', four(() => ({ id: 'dev-1', protocol: 'teltonika' })));
    expect(devices.map((r) => r.status).sort(), JSON.stringify(devices)).toEqual([201, 409, 409, 409]);
    const body = { amount: '5.00', currency: 'EUR', date: '2026-02-05', externalId: 'p-1' };
    const same = await fire('/v1/accounts/eu/payments', four(() => body));
    expect(same.map((r) => r.status).sort(), JSON.stringify(same)).toEqual([200, 200, 200, 201]);
    expect(new Set(same.map((r) => r.json.id)).size).toBe(1);
    const other = await fire('/v1/accounts/eu/payments', four((i) => ({ ...body, externalId: 'p-2', amount: `${i + 1}.00` })));
    expect(other.map((r) => r.status).sort(), JSON.stringify(other)).toEqual([201, 409, 409, 409]);
  }, 60_000);
});
