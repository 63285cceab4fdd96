/**
 * The API's edges: public health/readiness/OpenAPI, keys and scopes (401/403), the scope check at
 * route registration, the error shape (validation 400 naming the field, 404, 5xx with an error id
 * and no internals), /metrics, admin routes (keys, audit). Through inject and a real socket.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPlugin } from '../api/plugins/auth.ts';
import { errorsPlugin } from '../api/plugins/errors.ts';
import { servicesPlugin } from '../api/plugins/services.ts';
import type { ApiServices } from '../api/services/index.ts';
import { backends } from './support/backends.ts';
import { expectError, startTestApi, type TestApi } from './api-support.ts';

describe('scopes are enforced at registration', () => {
  const build = async (register: (app: ReturnType<typeof Fastify>) => void) => {
    const app = Fastify();
    await app.register(errorsPlugin);
    await app.register(servicesPlugin, { services: {} as ApiServices });
    await app.register(authPlugin);
    register(app);
    return app.ready();
  };

  it('a route without a scope fails start-up', async () => {
    await expect(build((app) => app.get('/v1/oops', async () => 'open'))).rejects.toThrow(/declares no scope/);
  });

  it('only health, readiness and the OpenAPI document may be public', async () => {
    await expect(build((app) => app.get('/v1/leak', { config: { scope: 'public' } }, async () => 'open'))).rejects.toThrow(/declared public/);
    await expect(build((app) => app.get('/health', { config: { scope: 'public' } }, async () => 'ok'))).resolves.toBeDefined();
  });
});

for (const backend of backends) {
  describe(`API auth and errors on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store);
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('health and readiness are public, over the socket too', async () => {
      for (const call of [t.call, t.http]) {
        expect((await call('GET', '/health', { key: null })).json).toEqual({ status: 'ok' });
        const ready = await call('GET', '/ready', { key: null });
        expect(ready.status).toBe(200);
        expect(ready.json.status).toBe('ready');
        expect(ready.json.checks.migrations).toMatch(/applied/);
      }
    });

    it('/openapi.json is an OpenAPI 3 document of every route, with scopes; /docs serves the browsable page', async () => {
      const r = await t.http('GET', '/openapi.json', { key: null });
      expect(r.status).toBe(200);
      expect(r.json.openapi).toMatch(/^3\./);
      const paths = r.json.paths as { [p: string]: { [m: string]: { security?: unknown; 'x-scope'?: string; responses: { [s: string]: unknown } } } };
      expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/v1/accounts', '/v1/devices/{deviceId}/usage', '/v1/accounts/{accountId}/statements/{period}', '/v1/fleet/summary', '/v1/devices/{deviceId}/records']));
      expect(paths['/v1/accounts'].post['x-scope']).toBe('write');
      expect(paths['/v1/accounts'].post.security).toEqual([{ apiKey: [] }]);
      expect(Object.keys(paths['/v1/accounts'].post.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '422', '500']));
      expect(paths['/health'].get.security).toEqual([]); // public: no key
      const docs = await t.http('GET', '/docs/', { key: null });
      expect(docs.status).toBe(200);
      expect(docs.text).toMatch(/swagger/i);
    });

    it('no key or an invalid key: 401; a key without the scope: 403', async () => {
      for (const call of [t.call, t.http]) {
        expectError(await call('GET', '/v1/accounts', { key: null }), 401, 'FM_ERR_UNAUTHORIZED');
        expectError(await call('GET', '/v1/accounts', { key: 'fmk_0000000000000000_' + 'A'.repeat(43) }), 401, 'FM_ERR_UNAUTHORIZED');
        expectError(await call('GET', '/v1/accounts', { key: t.keys.read.slice(0, -1) + (t.keys.read.endsWith('A') ? 'B' : 'A') }), 401, 'FM_ERR_UNAUTHORIZED');
        expectError(await call('GET', '/v1/accounts', { key: 'not-a-key' }), 401, 'FM_ERR_UNAUTHORIZED');
        expectError(await call('POST', '/v1/accounts', { key: t.keys.read, body: { name: 'x', timeZone: 'UTC', currency: 'EUR' } }), 403, 'FM_ERR_FORBIDDEN');
        expectError(await call('GET', '/v1/audit', { key: t.keys.write }), 403, 'FM_ERR_FORBIDDEN');
        expect((await call('GET', '/v1/accounts', { key: t.keys.read })).status).toBe(200);
      }
      // X-Api-Key works as well as Authorization: Bearer.
      expect((await t.call('GET', '/v1/accounts', { key: null, headers: { 'x-api-key': t.keys.read } })).status).toBe(200);
    });

    it('a revoked key is refused (DELETE /v1/api-keys/:id, admin), and the keys list never shows secrets', async () => {
      const { key, info } = await t.api.services.keys.create('temp', ['read']);
      expect((await t.call('GET', '/v1/accounts', { key })).status).toBe(200);
      expectError(await t.call('DELETE', `/v1/api-keys/${info.keyId}`, { key: t.keys.write }), 403, 'FM_ERR_FORBIDDEN');
      const r = await t.call('DELETE', `/v1/api-keys/${info.keyId}`);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ keyId: info.keyId, revoked: true });
      expectError(await t.call('GET', '/v1/accounts', { key }), 401, 'FM_ERR_UNAUTHORIZED');
      expectError(await t.call('DELETE', '/v1/api-keys/0123456789abcdef'), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('DELETE', '/v1/api-keys/nothex'), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('GET', '/v1/api-keys', { key: t.keys.write }), 403, 'FM_ERR_FORBIDDEN');
      const list = await t.call('GET', '/v1/api-keys');
      expect(list.json.items.map((k: { name: string }) => k.name)).toEqual(expect.arrayContaining(['test-read', 'test-write', 'test-admin', 'temp']));
      expect(list.text).not.toMatch(/fmk_/);
      const audit = await t.call('GET', `/v1/audit?entityType=api-key&entityId=${info.keyId}`);
      expect(audit.json.items).toHaveLength(1);
      expect(audit.json.items[0]).toMatchObject({ action: 'apikey.revoke', keyId: t.keys.admin.split('_')[1] });
    });

    it('errors: unknown route 404, malformed JSON 400, wrong content type 415, bad query 400 naming the field', async () => {
      expectError(await t.call('GET', '/v1/nothing'), 404, 'FM_ERR_NOT_FOUND');
      const bad = await t.http('POST', '/v1/accounts', { headers: { 'content-type': 'application/json' }, key: t.keys.write });
      expect(bad.status).toBe(400);
      const malformed = await fetch(`http://127.0.0.1:${t.api.port}/v1/accounts`, { method: 'POST', headers: { authorization: `Bearer ${t.keys.write}`, 'content-type': 'application/json' }, body: '{"name": ' });
      expect(malformed.status).toBe(400);
      expect((await malformed.json()).code).toBe('FM_ERR_BAD_BODY');
      const xml = await fetch(`http://127.0.0.1:${t.api.port}/v1/accounts`, { method: 'POST', headers: { authorization: `Bearer ${t.keys.write}`, 'content-type': 'application/xml' }, body: '<a/>' });
      expect(xml.status).toBe(415);
      expect((await xml.json()).code).toBe('FM_ERR_UNSUPPORTED_MEDIA_TYPE');
      const q = await t.call('GET', '/v1/accounts?limit=5000');
      expectError(q, 400, 'FM_ERR_VALIDATION');
      expect(q.json.details.field).toBe('querystring.limit');
      expectError(await t.call('GET', '/v1/accounts?sort=size'), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('GET', '/v1/accounts?cursor=garbage'), 400, 'FM_ERR_VALIDATION');
    });

    it('a 500 hides internals and returns an error id that is logged', async () => {
      const accounts = t.api.services.accounts;
      const original = accounts.get.bind(accounts);
      accounts.get = async () => {
        throw new Error('secret internals: /var/lib/db password=hunter2');
      };
      try {
        const r = await t.http('GET', '/v1/accounts/x', { key: t.keys.read });
        expectError(r, 500, 'FM_ERR_INTERNAL');
        expect(r.json.errorId).toMatch(/^[0-9a-f-]{36}$/);
        expect(r.text).not.toMatch(/hunter2|internals/);
      } finally {
        accounts.get = original;
      }
    });

    it('storage down is 503 FM_ERR_UNAVAILABLE with an error id, not a 500', async () => {
      const store = t.api.services.store;
      const ping = store.ping.bind(store);
      const accounts = t.api.services.accounts;
      const get = accounts.get.bind(accounts);
      (store as { ping: typeof store.ping }).ping = async () => ({ ok: false, error: 'connection refused' });
      accounts.get = async () => {
        throw new Error('ClickHouse server error: connect ECONNREFUSED');
      };
      try {
        const r = await t.call('GET', '/v1/accounts/x', { key: t.keys.read });
        expectError(r, 503, 'FM_ERR_UNAVAILABLE');
        expect(r.json.errorId).toMatch(/^[0-9a-f-]{36}$/);
        expect(r.text).not.toMatch(/ECONNREFUSED/);
      } finally {
        (store as { ping: typeof store.ping }).ping = ping;
        accounts.get = get;
      }
    });

    it('HEAD is guarded like GET', async () => {
      expect((await t.call('HEAD', '/v1/accounts', { key: null })).status).toBe(401);
      expect((await t.call('HEAD', '/v1/accounts', { key: t.keys.read })).status).toBe(200);
    });

    it('docs/api.md lists exactly the routes the OpenAPI document has, with their scopes', async () => {
      const doc = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');
      const documented = new Set([...doc.matchAll(/^\| (GET|POST|PATCH|DELETE) \| `([^`]+)` \| (public|read|write|admin) \|/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`));
      const spec = (await t.call('GET', '/openapi.json', { key: null })).json as { paths: { [p: string]: { [m: string]: { 'x-scope'?: string } } } };
      const served = new Set<string>(['GET /openapi.json public', 'GET /docs public']);
      for (const [path, ops] of Object.entries(spec.paths)) {
        if (path.startsWith('/docs')) continue;
        for (const [method, op] of Object.entries(ops)) served.add(`${method.toUpperCase()} ${path} ${op['x-scope'] ?? 'public'}`);
      }
      expect([...documented].sort()).toEqual([...served].sort());
    });

    it('/metrics needs read and serves Prometheus text with request counters', async () => {
      expectError(await t.call('GET', '/metrics', { key: null }), 401, 'FM_ERR_UNAUTHORIZED');
      const r = await t.http('GET', '/metrics', { key: t.keys.read });
      expect(r.status).toBe(200);
      expect(String(r.headers['content-type'])).toMatch(/text\/plain/);
      expect(r.text).toMatch(/fleetmeter_api_requests_total\{method="GET",route="\/v1\/accounts",status="200"\} \d+/);
    });
  });
}
