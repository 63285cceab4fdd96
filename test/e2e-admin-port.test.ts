/**
 * The admin port as `fleetmeter serve` builds it (app/serve.ts, the REST API off), over real HTTP,
 * on each backend: `/commands` (send and journal) needs an API key with the admin scope — the same
 * keys as the REST API —, takes JSON only and refuses cross-origin requests (a browser page on
 * another origin, incl. the text/plain "simple request" trick); `/metrics`, `/health`, `/ready`
 * stay open.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, startApp } from '../app/serve.ts';
import type { StorageConfig } from '../app/storage.ts';
import { openStore } from '../store/index.ts';
import { testGatewayOptions } from './support/gateway.ts';
import { connectDevice } from './support/mqtt.ts';

const serverUrl = process.env.CLICKHOUSE_URL;

interface Target {
  readonly name: string;
  readonly storage: StorageConfig;
  cleanup(): Promise<void>;
}

function chdbTarget(): Target {
  const dataDir = mkdtempSync(join(tmpdir(), 'fm-admin-port-'));
  return {
    name: 'chDB',
    storage: { store: 'chdb', dataDir, database: 'fleetmeter', clickhouseUrl: '', clickhouseUser: 'default', clickhousePassword: '', commitTimeoutMs: 5_000 },
    cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

function serverTarget(url: string): Target {
  const database = `fm_admin_port_${process.pid}_${Date.now().toString(36)}`;
  return {
    name: 'ClickHouse server',
    storage: { store: 'server', dataDir: '', database, clickhouseUrl: url, clickhouseUser: process.env.CLICKHOUSE_USER ?? 'default', clickhousePassword: process.env.CLICKHOUSE_PASSWORD ?? '', commitTimeoutMs: 5_000 },
    cleanup: async () => {
      const s = await openStore({ backend: 'server', url, database, username: process.env.CLICKHOUSE_USER, password: process.env.CLICKHOUSE_PASSWORD });
      await s.command(`DROP DATABASE IF EXISTS ${database}`);
      await s.close();
    },
  };
}

const targets = [chdbTarget, ...(serverUrl ? [() => serverTarget(serverUrl)] : [])];

for (const make of targets) {
  const target = make();
  describe(`admin port (${target.name})`, () => {
    let app: App;
    let base: string;
    let device: MqttClient;
    const keys = { read: '', write: '', admin: '', revoked: '' };

    beforeAll(async () => {
      const off = { teltonikaTcp: null, teltonikaUdp: null, wialonTcp: null, wialonUdp: null } as const;
      app = await startApp(
        { storage: target.storage, gateway: { ...testGatewayOptions, ...off, mqttPort: 0, adminPort: 0 }, api: null, jobs: null, billingOps: {} },
        pino({ level: process.env.FLEETMETER_TEST_LOG ?? 'silent' }),
      );
      base = `http://127.0.0.1:${app.ports.admin}`;
      keys.read = (await app.services.keys.create('reader', ['read'])).key;
      keys.write = (await app.services.keys.create('writer', ['read', 'write'])).key;
      keys.admin = (await app.services.keys.create('ops', ['admin'])).key;
      const revoked = await app.services.keys.create('gone', ['admin']);
      await app.services.keys.revoke(revoked.info.keyId);
      keys.revoked = revoked.key;
      // A device that answers every command on its response topic.
      device = await connectDevice(app.ports.mqtt!, 'admin-dev-1');
      await device.subscribeAsync('fleetmeter/admin-dev-1/commands', { qos: 1 });
      device.on('message', (_topic, payload) => {
        const { id, command } = JSON.parse(payload.toString()) as { id: string; command: string };
        void device.publishAsync('fleetmeter/admin-dev-1/responses', JSON.stringify({ id, response: `done: ${command}` }), { qos: 1 });
      });
    }, 120_000);
    afterAll(async () => {
      await device?.endAsync(true);
      await app?.close();
      await target.cleanup();
    });

    const post = async (headers: Record<string, string>, body = JSON.stringify({ command: 'setdigout 1', timeoutMs: 5_000 })) => {
      const r = await fetch(`${base}/commands/admin-dev-1`, { method: 'POST', headers, body });
      return { status: r.status, body: (await r.json()) as { code?: string; message?: string; response?: string } };
    };
    const json = { 'content-type': 'application/json' };
    const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
    const journal = async (headers: Record<string, string>) => (await fetch(`${base}/commands/admin-dev-1`, { headers })).status;

    it('/metrics, /health and /ready stay open without a key', async () => {
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/fleetmeter_/);
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/ready`)).status).toBe(200);
    });

    it('sending a command: no key 401, an invalid or revoked key 401, a read or write key 403, an admin key is served', async () => {
      expect(await post(json)).toMatchObject({ status: 401, body: { code: 'FM_ERR_UNAUTHORIZED' } });
      expect(await post({ ...json, ...bearer(keys.admin.slice(0, -1) + (keys.admin.endsWith('A') ? 'B' : 'A')) })).toMatchObject({ status: 401, body: { code: 'FM_ERR_UNAUTHORIZED' } });
      expect(await post({ ...json, ...bearer(keys.revoked) })).toMatchObject({ status: 401, body: { code: 'FM_ERR_UNAUTHORIZED' } });
      expect(await post({ ...json, ...bearer(keys.read) })).toMatchObject({ status: 403, body: { code: 'FM_ERR_FORBIDDEN' } });
      expect(await post({ ...json, 'x-api-key': keys.write })).toMatchObject({ status: 403, body: { code: 'FM_ERR_FORBIDDEN' } });
      expect(await post({ ...json, ...bearer(keys.admin) })).toMatchObject({ status: 200, body: { response: 'done: setdigout 1' } });
      expect(await post({ ...json, 'x-api-key': keys.admin })).toMatchObject({ status: 200, body: { response: 'done: setdigout 1' } });
    });

    it('the command journal needs an admin key too', async () => {
      expect(await journal({})).toBe(401);
      expect(await journal(bearer(keys.read))).toBe(403);
      expect(await journal(bearer(keys.admin))).toBe(200);
    });

    it('content types other than application/json are refused with 415 (an admin key does not help)', async () => {
      const body = JSON.stringify({ command: 'setdigout 1' });
      for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        expect(await post({ ...bearer(keys.admin), 'content-type': type }, body)).toMatchObject({ status: 415, body: { code: 'FM_ERR_UNSUPPORTED_MEDIA_TYPE' } });
      }
      // No content type at all: refused too. JSON with parameters is JSON.
      const r = await fetch(`${base}/commands/admin-dev-1`, { method: 'POST', headers: bearer(keys.admin), body: new Uint8Array(Buffer.from(body)) });
      expect(r.status).toBe(415);
      expect(await post({ ...bearer(keys.admin), 'content-type': 'application/json; charset=utf-8' }, body)).toMatchObject({ status: 200 });
    });

    it('cross-origin requests are refused with 403: another Origin, Sec-Fetch-Site cross-site or same-site, the text/plain simple request', async () => {
      const sent = { n: 0 };
      const count = () => sent.n++;
      device.on('message', count);
      try {
        // What a page on another origin makes a browser send: Origin and Sec-Fetch-Site, text/plain, no key.
        const simple = { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' };
        expect(await post(simple)).toMatchObject({ status: 403, body: { code: 'FM_ERR_FORBIDDEN' } });
        // Even an admin key does not make a cross-origin request acceptable.
        expect(await post({ ...json, ...bearer(keys.admin), origin: 'http://evil.example' })).toMatchObject({ status: 403, body: { code: 'FM_ERR_FORBIDDEN' } });
        expect(await post({ ...json, ...bearer(keys.admin), origin: 'null' })).toMatchObject({ status: 403 });
        expect(await post({ ...json, ...bearer(keys.admin), 'sec-fetch-site': 'cross-site' })).toMatchObject({ status: 403 });
        expect(await post({ ...json, ...bearer(keys.admin), 'sec-fetch-site': 'same-site' })).toMatchObject({ status: 403 });
        expect(await journal({ ...bearer(keys.admin), origin: 'http://evil.example' })).toBe(403);
        expect(sent.n).toBe(0);
        // The admin port's own origin (a page it served, or a tool that sends Origin) is fine.
        expect(await post({ ...json, ...bearer(keys.admin), origin: base, 'sec-fetch-site': 'same-origin' })).toMatchObject({ status: 200 });
        expect(sent.n).toBe(1);
      } finally {
        device.off('message', count);
      }
    });
  });
}
