/**
 * The REST API for tests: real ClickHouse (a `backends` store), the services built by app/ as
 * `fleetmeter serve` builds them, optionally a real gateway sharing store and engine, and one API key
 * per scope. `call` goes through `app.inject`; `http` through the listening socket.
 */
import pino from 'pino';
import type { Registry } from 'prom-client';
import { expect } from 'vitest';
import { Value } from 'typebox/value';
import type { TSchema } from 'typebox';
import type { ProviderRequisites } from '../api/documents/requisites.ts';
import type { Live, LiveOptions } from '../app/live.ts';
import { buildServices, type Services } from '../app/services.ts';
import { type ApiServer, startApi } from '../api/server.ts';
import type { BillingOpsOptions } from '../billing/ops.ts';
import { allMigrations } from '../cli/runtime.ts';
import { DeviceRegistry } from '../ingest/device-registry.ts';
import type { Gateway } from '../ingest/gateway.ts';
import { migrate } from '../store/migrate.ts';
import type { TelemetryRecord } from '../protocols/record.ts';
import type { Store } from '../store/types.ts';
import { startTestGateway } from './support/gateway.ts';

export interface TestApi {
  readonly api: ApiServer;
  /** The process's shared services as app/ builds them (the API got them handed in). */
  readonly services: Services;
  readonly live: Live;
  readonly gateway: Gateway | null;
  readonly keys: { readonly read: string; readonly write: string; readonly admin: string };
  /** Through `app.inject`. `key: null` sends none; default the admin key. */
  call(method: string, url: string, opts?: CallOptions): Promise<Reply>;
  /** Through the real listening socket (fetch). */
  http(method: string, url: string, opts?: CallOptions): Promise<Reply>;
  /** Set-up POST (admin key, through `inject`): fails the test unless it succeeds; the reply's JSON. */
  post(url: string, body: unknown): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): Promise<void>;
}

export interface CallOptions {
  readonly key?: string | null;
  readonly body?: unknown;
  readonly headers?: { readonly [k: string]: string };
}

export interface Reply {
  readonly status: number;
  readonly headers: { readonly [k: string]: string | string[] | number | undefined };
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

const silent = pino({ level: process.env.FLEETMETER_TEST_LOG ?? 'silent' });

/**
 * `claimSettleMs`: the claims' settle time (store/claims.ts). Default here 25 ms, not the
 * production 250 ms: a test that does not race its creates wins every claim whatever the settle
 * time, and a suite of creates would otherwise wait 250 ms each; tests that race pass 250.
 */
export async function startTestApi(
  store: Store,
  options: { gateway?: boolean; now?: () => number; presenceCache?: LiveOptions['presenceCache']; billingOps?: BillingOpsOptions; /** A registry for the billing metrics, served at the API's /metrics. */ metrics?: Registry; claimSettleMs?: number; claimStaleMs?: number; /** The provider's requisites on invoices and acts (`--provider-file`). */ provider?: ProviderRequisites | null } = {},
): Promise<TestApi> {
  await migrate(store, allMigrations);
  const services = buildServices(store, { log: silent, now: options.now, live: { fleetRefreshMs: 500, presenceCache: options.presenceCache }, snapshotPollMs: 200, billingOps: options.billingOps, metrics: options.metrics, claimSettleMs: options.claimSettleMs ?? 25, claimStaleMs: options.claimStaleMs, provider: options.provider });
  await services.start();
  const live = services.live;
  let gateway: Gateway | null = null;
  let registry: DeviceRegistry;
  if (options.gateway) {
    gateway = await startTestGateway(store, {}, live.sink, live.derive);
    registry = gateway.context.registry;
  } else {
    registry = new DeviceRegistry(store, { unknownDevicePolicy: 'accept', refreshMs: 200, discoveredWriteIntervalMs: 600_000 }, Date.now, silent);
    await registry.start();
  }
  const api = await startApi(
    { ...services, registry, logger: silent, migrations: allMigrations.map((m) => m.id), metricsRegistries: options.metrics === undefined ? [] : [options.metrics] },
    { host: '127.0.0.1', port: 0 },
  );
  const key = async (scope: 'read' | 'write' | 'admin') => (await api.services.keys.create(`test-${scope}`, [scope])).key;
  const keys = { read: await key('read'), write: await key('write'), admin: await key('admin') };
  const headersOf = (o: CallOptions) => {
    const h: { [k: string]: string } = { ...o.headers };
    const k = o.key === undefined ? keys.admin : o.key;
    if (k !== null) h.authorization = `Bearer ${k}`;
    if (o.body !== undefined) h['content-type'] = 'application/json';
    return h;
  };
  const parse = (text: string) => {
    try {
      return JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch {
      return undefined;
    }
  };
  const t: TestApi = {
    api,
    services,
    live,
    gateway,
    keys,
    async call(method, url, o = {}) {
      const r = await api.app.inject({ method: method as 'GET', url, headers: headersOf(o), payload: o.body === undefined ? undefined : JSON.stringify(o.body) });
      return { status: r.statusCode, headers: r.headers, text: r.body, json: parse(r.body) };
    },
    async post(url, body) {
      const r = await t.call('POST', url, { body });
      expect(r.status, `POST ${url}: ${r.text}`).toBeLessThan(300);
      return r.json;
    },
    async http(method, url, o = {}) {
      const r = await fetch(`http://127.0.0.1:${api.port}${url}`, { method, headers: headersOf(o), body: o.body === undefined ? undefined : JSON.stringify(o.body) });
      // Decoded keeping a byte-order mark (r.text() would strip it): CSV tests look for it.
      const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await r.arrayBuffer());
      return { status: r.status, headers: Object.fromEntries(r.headers.entries()), text, json: parse(text) };
    },
    async close() {
      await api.close();
      await gateway?.close();
      if (!options.gateway) await registry.stop();
      await services.stop();
    },
  };
  return t;
}

/** Asserts an error reply: status and stable code (never the message text). */
export function expectError(r: Reply, status: number, code: string): void {
  expect({ status: r.status, code: r.json?.code }, r.text).toEqual({ status, code });
}

/** Asserts a body conforms to a response schema (the one the OpenAPI document publishes). */
export function expectSchema(schema: TSchema, body: unknown): void {
  const errors = [...Value.Errors(schema, body)].slice(0, 5);
  expect(errors, JSON.stringify(body).slice(0, 500)).toEqual([]);
}

/** A record that only marks the device online in its minute (no position): what usage and statement tests feed the engine. */
export const presenceRecord = (deviceId: string, deviceTime: number): TelemetryRecord => ({
  protocol: 'teltonika', deviceId, deviceTime, receivedAt: deviceTime + 500, latitude: null, longitude: null, altitude: null, speed: null, course: null,
  satellites: null, hdop: null, valid: false, priority: null, eventId: null, io: [], archive: true,
});
