/**
 * Webhooks end to end: subscriptions over the API (the secret never comes back), events POSTed
 * to a real HTTP server in the test with a verified signature, a receiver that is down then up
 * gets the event exactly once with the same event id, a restarted dispatcher resumes, two
 * instances dispatching at once deliver each event once, the delivery log and manual replay.
 * Time is injected: retries come due by moving the clock, not by waiting.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBillingOps } from '../app/billing-ops.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, verifySignature } from '../billing/webhooks.ts';
import type { BillingOps, BillingOpsOptions } from '../billing/ops.ts';
import { Webhook } from '../api/schemas/webhooks.ts';
import { backends } from './support/backends.ts';
import { expectError, expectSchema, startTestApi, type TestApi } from './api-support.ts';

interface Received {
  readonly headers: { [k: string]: string | string[] | undefined };
  readonly body: string;
}

/** A webhook receiver on a fixed loopback port that can be taken down and brought back. */
class Receiver {
  readonly got: Received[] = [];
  private server: Server | null = null;
  port = 0;
  status = 200;

  async up(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = this.status;
        res.end('ok');
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
    s?.closeAllConnections();
  }

  ids(): string[] {
    return this.got.map((g) => String(g.headers[EVENT_ID_HEADER.toLowerCase()]));
  }
}

const SECRET = 'whsec_test_0123456789abcdef';

for (const backend of backends) {
  describe(`webhooks on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    let clock = Date.UTC(2026, 2, 10, 9);
    const now = () => clock;
    const opts: BillingOpsOptions = { settleMs: 1000, leaseSettleMs: 100, retry: { baseMs: 60_000, maxMs: 600_000, maxAttempts: 0 }, random: () => 0.5, webhookTimeoutMs: 2000, webhookAllowNetworks: '127.0.0.0/8' }; // the receiver is on loopback, refused by default
    const rx = new Receiver();
    let hookId: string;
    let ops: BillingOps;

    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store, { now, billingOps: { ...opts, owner: 'inst-a' } });
      ops = t.api.services.ops;
      // A port that is free, then nothing listening on it: the receiver starts down.
      await rx.up();
      await rx.down();
    });
    afterAll(async () => {
      await rx.down();
      await t?.close();
      await cleanup?.();
    });

    const dispatch = async (o: BillingOps = ops) => (await o.scheduler.trigger('webhook-dispatch')).result;
    const publish = (key: string) => t.api.services.events.publish([{ type: 'device.discovered', key, accountId: '', subject: key, data: { deviceId: key } }]);

    it('subscriptions: create, get, list, patch, without ever returning the secret; admin scope', async () => {
      const body = { url: `http://127.0.0.1:${rx.port}/hook`, secret: SECRET, types: ['device.discovered', 'statement.closed'], description: 'ERP' };
      expectError(await t.call('POST', '/v1/webhooks', { body, key: t.keys.write }), 403, 'FM_ERR_FORBIDDEN');
      expectError(await t.call('POST', '/v1/webhooks', { body: { ...body, secret: 'short' } }), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('POST', '/v1/webhooks', { body: { ...body, types: ['nope'] } }), 400, 'FM_ERR_VALIDATION');
      const r = await t.call('POST', '/v1/webhooks', { body });
      expect(r.status).toBe(201);
      expectSchema(Webhook, r.json);
      expect(r.text).not.toContain(SECRET);
      expect(r.json).toMatchObject({ url: body.url, types: body.types, active: true, description: 'ERP' });
      hookId = r.json.id;
      const list = await t.call('GET', '/v1/webhooks');
      expect(list.json.items.map((w: { id: string }) => w.id)).toEqual([hookId]);
      expect(list.text).not.toContain(SECRET);
      const patched = await t.call('PATCH', `/v1/webhooks/${hookId}`, { body: { description: 'ERP prod' } });
      expect(patched.json.description).toBe('ERP prod');
      expect((await t.call('GET', `/v1/webhooks/${hookId}`)).text).not.toContain(SECRET);
      expectError(await t.call('GET', '/v1/webhooks/wh_0000000000000000'), 404, 'FM_ERR_NOT_FOUND');
    });

    it('receiver down: nothing lost; up again: delivered once, same event id, signature verifies', async () => {
      clock += 1000;
      const [e1] = await publish('dev-1');
      // Not settled yet: the dispatcher leaves it.
      expect(await dispatch()).toBeNull();
      clock += 1500;
      expect(await dispatch()).toMatchObject({ queued: 1, attempted: 1, failed: 1 });
      const failed = await t.call('GET', `/v1/webhooks/${hookId}/deliveries`);
      expect(failed.json.items).toHaveLength(1);
      expect(failed.json.items[0]).toMatchObject({ eventId: e1.id, status: 'pending', attempts: 1, lastStatus: 0 });
      // Retry after base/2 + jitter·base/2 = 30 s + 0.5·30 s.
      expect(Date.parse(failed.json.items[0].nextAttemptAt) - clock).toBe(45_000);
      // Not due yet: no attempt.
      clock += 10_000;
      expect(await dispatch()).toBeNull();
      await rx.up();
      clock += 40_000;
      expect(await dispatch()).toMatchObject({ attempted: 1, delivered: 1 });
      expect(rx.ids()).toEqual([e1.id]);
      const g = rx.got[0];
      expect(verifySignature(SECRET, String(g.headers[SIGNATURE_HEADER.toLowerCase()]), g.body, Math.floor(clock / 1000))).toBe(true);
      expect(verifySignature('another-secret-xxxxxxxx', String(g.headers[SIGNATURE_HEADER.toLowerCase()]), g.body, Math.floor(clock / 1000))).toBe(false);
      expect(verifySignature(SECRET, String(g.headers[SIGNATURE_HEADER.toLowerCase()]), g.body.replace('dev-1', 'dev-2'), Math.floor(clock / 1000))).toBe(false);
      expect(JSON.parse(g.body)).toEqual({ id: e1.id, type: 'device.discovered', createdAt: new Date(e1.ts).toISOString(), data: { deviceId: 'dev-1' } });
      // Later passes send nothing more.
      clock += 3_600_000;
      expect(await dispatch()).toBeNull();
      expect(rx.ids()).toEqual([e1.id]);
      const detail = await t.call('GET', `/v1/webhooks/${hookId}/deliveries/${e1.id}`);
      expect(detail.json.delivery).toMatchObject({ status: 'delivered', attempts: 2, lastStatus: 200, lastError: null });
      expect(detail.json.attempts.map((a: { ok: boolean; status: number | null }) => [a.ok, a.status])).toEqual([
        [false, null],
        [true, 200],
      ]);
    });

    it('a 500 is retried; a restarted dispatcher (new process state) resumes from storage', async () => {
      rx.status = 500;
      clock += 1000;
      const [e2] = await publish('dev-2');
      clock += 2000;
      expect(await dispatch()).toMatchObject({ attempted: 1, failed: 1 });
      expect(rx.ids()).toHaveLength(2);
      // "Restart": a fresh BillingOps on the same store, nothing in memory from the first.
      const s = t.api.services;
      const restarted = createBillingOps({ store: s.store, events: s.events, rating: s.rating, snapshots: s.snapshots, fleetHealth: s.fleetHealth, log: pino({ level: 'silent' }), now }, { ...opts, owner: 'inst-b' });
      rx.status = 200;
      clock += 120_000; // past the a's lease and the retry
      expect(await dispatch(restarted)).toMatchObject({ queued: 0, attempted: 1, delivered: 1 });
      expect(rx.ids()).toEqual([rx.ids()[0], e2.id, e2.id]);
      const d = await t.call('GET', `/v1/webhooks/${hookId}/deliveries?status=delivered`);
      expect(d.json.items.map((x: { eventId: string }) => x.eventId)).toEqual([e2.id, rx.ids()[0]]);
      await restarted.stop();
    });

    it('two instances dispatching at once: each event delivered once', async () => {
      const s = t.api.services;
      const other = createBillingOps({ store: s.store, events: s.events, rating: s.rating, snapshots: s.snapshots, fleetHealth: s.fleetHealth, log: pino({ level: 'silent' }), now }, { ...opts, owner: 'inst-c' });
      clock += 120_000; // every lease so far has expired
      const before = rx.got.length;
      const published = [...(await publish('dev-3')), ...(await publish('dev-4'))];
      clock += 2000;
      const settled = await Promise.allSettled([dispatch(ops), dispatch(other)]);
      expect(settled.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
      expect(rx.got.slice(before).map((g) => String(g.headers[EVENT_ID_HEADER.toLowerCase()])).sort()).toEqual(published.map((e) => e.id).sort());
      await other.stop();
    });

    it('manual replay: one event, and from a cursor; types filter what a subscription gets', async () => {
      const first = rx.ids()[0];
      const r = await t.call('POST', `/v1/webhooks/${hookId}/deliveries/${first}/replay`);
      expect(r.status).toBe(202);
      expect(r.json).toMatchObject({ eventId: first, status: 'pending' });
      clock += 120_000;
      const before = rx.got.length;
      await dispatch();
      expect(rx.ids().slice(before)).toEqual([first]);
      // A type the subscription does not want is not sent.
      await t.api.services.events.publish([{ type: 'payment.received', key: 'p-1', accountId: 'acme', subject: 'p-1', data: {} }]);
      clock += 2000;
      await dispatch();
      expect(rx.got.length).toBe(before + 1);
      // Replay everything from the start: the 4 device events, in order.
      const all = await t.call('POST', `/v1/webhooks/${hookId}/replay`, { body: { after: null, limit: 10 } });
      expect(all.json.replayed).toBe(4);
      clock += 120_000;
      await dispatch();
      expect(rx.got.length).toBe(before + 5);
      expectError(await t.call('POST', `/v1/webhooks/${hookId}/replay`, { body: { after: 'garbage' } }), 400, 'FM_ERR_VALIDATION');
    });

    it('paused and deleted subscriptions receive nothing', async () => {
      await t.call('PATCH', `/v1/webhooks/${hookId}`, { body: { active: false } });
      const before = rx.got.length;
      const [e] = await publish('dev-5');
      clock += 120_000;
      await dispatch();
      expect(rx.got.length).toBe(before);
      // Resumed: what was published meanwhile follows.
      await t.call('PATCH', `/v1/webhooks/${hookId}`, { body: { active: true } });
      await dispatch();
      expect(rx.ids().slice(before)).toEqual([e.id]);
      expect((await t.call('DELETE', `/v1/webhooks/${hookId}`)).status).toBe(204);
      expect((await t.call('GET', '/v1/webhooks')).json.items).toEqual([]);
      await publish('dev-6');
      clock += 120_000;
      await dispatch();
      expect(rx.got.length).toBe(before + 1);
    });
  });
}
