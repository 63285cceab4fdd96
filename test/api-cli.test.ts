/**
 * The API as users start it: `fleetmeter apikey create`, then `fleetmeter serve` (a real child
 * process on chDB) serving the REST API on its own port with that key; revoked keys are refused.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/temp.ts';
import { servingPorts } from './support/serve.ts';

const bin = new URL('../bin/fleetmeter.js', import.meta.url).pathname;

describe('fleetmeter apikey + serve (REST API)', () => {
  it('create a key, serve, call the API with it, revoke it', async () => {
    const dataDir = tempDir('fm-api-cli-');
    const env = { ...process.env, FLEETMETER_DATA_DIR: dataDir, CLICKHOUSE_URL: '', FLEETMETER_LOG_LEVEL: 'info' };
    const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60_000 });
    try {
      expect(cli(['apikey', 'create', '--name', 'ci']).status).toBe(1); // --scopes missing
      expect(cli(['apikey', 'create', '--name', 'ci', '--scopes', 'read,root']).stderr).toMatch(/--scopes/);
      const created = cli(['apikey', 'create', '--name', 'ci', '--scopes', 'read,write']);
      expect(created.status).toBe(0);
      const { key, keyId, scopes } = JSON.parse(created.stdout);
      expect(key).toMatch(/^fmk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      expect(scopes).toEqual(['read', 'write']);

      const child = spawn(process.execPath, [bin, 'serve', '--teltonika-tcp-port', '0', '--teltonika-udp-port', 'off', '--wialon-tcp-port', 'off', '--wialon-udp-port', 'off', '--mqtt-port', 'off', '--admin-port', 'off', '--api-port', '0', '--api-host', '127.0.0.1', '--host', '127.0.0.1'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        const ports = await servingPorts<{ api: number }>(child, { timeoutMs: 60_000 });
        const base = `http://127.0.0.1:${ports.api}`;
        expect((await fetch(`${base}/health`)).status).toBe(200);
        expect((await fetch(`${base}/v1/accounts`)).status).toBe(401);
        const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
        const post = await fetch(`${base}/v1/accounts`, { method: 'POST', headers: auth, body: JSON.stringify({ id: 'cli', name: 'CLI', timeZone: 'UTC', currency: 'EUR' }) });
        expect(post.status).toBe(201);
        const list = await (await fetch(`${base}/v1/accounts`, { headers: auth })).json();
        expect(list.items.map((a: { id: string }) => a.id)).toEqual(['cli']);
        expect((await fetch(`${base}/openapi.json`)).status).toBe(200);
        const code = await new Promise<number | null>((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGTERM');
        });
        expect(code).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }

      const listed = cli(['apikey', 'list']);
      expect(listed.stdout.trim().split('\n').map((l) => JSON.parse(l).keyId)).toEqual([keyId]);
      expect(cli(['apikey', 'revoke', keyId]).status).toBe(0);
      expect(JSON.parse(cli(['apikey', 'list']).stdout).revoked).toBe(true);
      expect(cli(['apikey', 'revoke', '0000000000000000']).status).toBe(1);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
