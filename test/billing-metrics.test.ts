/**
 * Billing metrics (billing/metrics.ts) as Prometheus scrapes them — the API's /metrics, which
 * serves the process registry app/ puts them on: job runs and failures by job after runs, the
 * webhook outbox's depth and oldest pending age while an event waits (not yet queued, then
 * failing and retried) and after it is delivered, accounts by suspension state after a
 * suspension. Time is injected.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { sample } from './support/prometheus.ts';
import { startTestApi, type TestApi } from './api-support.ts';

for (const backend of backends) {
  describe(`billing metrics on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    let clock = Date.UTC(2026, 3, 14, 9);
    const now = () => clock;
    let rx: Server;
    let rxStatus = 500;
    let rxPort = 0;

    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store, {
        now,
        metrics: new Registry(),
        billingOps: { settleMs: 1000, leaseSettleMs: 50, retry: { baseMs: 60_000, maxMs: 600_000, maxAttempts: 0 }, random: () => 0.5, webhookTimeoutMs: 2000, owner: 'metrics-a', webhookAllowNetworks: '127.0.0.0/8' }, // the receiver is on loopback, refused by default
      });
      rx = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.statusCode = rxStatus;
          res.end();
        });
      });
      await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
      rxPort = (rx.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise<void>((r) => (rx ? rx.close(() => r()) : r()));
      await t?.close();
      await cleanup?.();
    });

    const scrape = async () => {
      const r = await t.call('GET', '/metrics', { key: t.keys.read });
      expect(r.status, r.text).toBe(200);
      return r.text;
    };

    it('names are Prometheus-clean: counters end in _total, the age is in seconds, types declared', async () => {
      const text = await scrape();
      expect(text).toContain('# TYPE fleetmeter_job_runs_total counter');
      expect(text).toContain('# TYPE fleetmeter_job_failures_total counter');
      expect(text).toContain('# TYPE fleetmeter_outbox_pending_events gauge');
      expect(text).toContain('# TYPE fleetmeter_outbox_oldest_pending_age_seconds gauge');
      expect(text).toContain('# TYPE fleetmeter_accounts gauge');
    });

    it('job runs and failures, by job: every known job starts at 0; a run counts; a failed run counts as a failure too', async () => {
      let text = await scrape();
      for (const job of t.services.ops.scheduler.names()) {
        expect(sample(text, 'fleetmeter_job_runs_total', { job }), job).toBe(0);
        expect(sample(text, 'fleetmeter_job_failures_total', { job }), job).toBe(0);
      }
      expect((await t.services.ops.scheduler.trigger('suspension-evaluate')).status).toBe('ok');
      t.services.ops.registerJob({ name: 'always-fails', description: 'test', intervalMs: 3_600_000, run: async () => Promise.reject(new Error('boom')) });
      expect((await t.services.ops.scheduler.trigger('always-fails')).status).toBe('error');
      expect((await t.services.ops.scheduler.trigger('always-fails')).status).toBe('error');
      text = await scrape();
      expect(sample(text, 'fleetmeter_job_runs_total', { job: 'suspension-evaluate' })).toBe(1);
      expect(sample(text, 'fleetmeter_job_failures_total', { job: 'suspension-evaluate' })).toBe(0);
      expect(sample(text, 'fleetmeter_job_runs_total', { job: 'always-fails' })).toBe(2);
      expect(sample(text, 'fleetmeter_job_failures_total', { job: 'always-fails' })).toBe(2);
      expect(sample(text, 'fleetmeter_job_runs_total', { job: 'period-close' })).toBe(0);
    });

    it('the webhook outbox: an event waiting counts (not yet queued, then failing), with its age; delivered, the outbox is empty', async () => {
      let text = await scrape();
      expect(sample(text, 'fleetmeter_outbox_pending_events', { outbox: 'webhook' })).toBe(0);
      expect(sample(text, 'fleetmeter_outbox_oldest_pending_age_seconds', { outbox: 'webhook' })).toBe(0);
      // E-mail is off here: its outbox is reported, empty.
      expect(sample(text, 'fleetmeter_outbox_pending_events', { outbox: 'email' })).toBe(0);
      expect((await t.call('POST', '/v1/webhooks', { body: { url: `http://127.0.0.1:${rxPort}/hook`, secret: 'whsec_metrics_0123456789', types: ['device.discovered'] } })).status).toBe(201);
      clock += 1000;
      await t.services.events.publish([{ type: 'device.discovered', key: 'm-dev-1', accountId: '', subject: 'm-dev-1', data: { deviceId: 'm-dev-1' } }]);
      // An event of a type the subscription does not want is not in its outbox.
      await t.services.events.publish([{ type: 'reconcile.mismatch', key: 'm-x', accountId: '', subject: 'm-x', data: {} }]);
      clock += 30_000;
      text = await scrape();
      expect(sample(text, 'fleetmeter_outbox_pending_events', { outbox: 'webhook' })).toBe(1);
      expect(sample(text, 'fleetmeter_outbox_oldest_pending_age_seconds', { outbox: 'webhook' })).toBe(30);
      // The receiver answers 500: queued, tried, pending a retry — still in the outbox, older.
      expect((await t.services.ops.scheduler.trigger('webhook-dispatch')).result).toMatchObject({ queued: 1, attempted: 1, failed: 1 });
      clock += 15_000;
      text = await scrape();
      expect(sample(text, 'fleetmeter_outbox_pending_events', { outbox: 'webhook' })).toBe(1);
      expect(sample(text, 'fleetmeter_outbox_oldest_pending_age_seconds', { outbox: 'webhook' })).toBe(45);
      rxStatus = 200;
      clock += 60_000;
      expect((await t.services.ops.scheduler.trigger('webhook-dispatch')).result).toMatchObject({ attempted: 1, delivered: 1 });
      text = await scrape();
      expect(sample(text, 'fleetmeter_outbox_pending_events', { outbox: 'webhook' })).toBe(0);
      expect(sample(text, 'fleetmeter_outbox_oldest_pending_age_seconds', { outbox: 'webhook' })).toBe(0);
    });

    it('accounts by suspension state: two active; one suspended by an override', async () => {
      for (const id of ['m-acme', 'm-north']) expect((await t.call('POST', '/v1/accounts', { body: { id, name: id, timeZone: 'UTC', currency: 'EUR' } })).status).toBe(201);
      let text = await scrape();
      expect([sample(text, 'fleetmeter_accounts', { state: 'active' }), sample(text, 'fleetmeter_accounts', { state: 'warning' }), sample(text, 'fleetmeter_accounts', { state: 'suspended' })]).toEqual([2, 0, 0]);
      const r = await t.call('POST', '/v1/accounts/m-north/suspension-override', { body: { state: 'suspended', reason: 'test', expiresAt: new Date(clock + 86_400_000).toISOString() } });
      expect(r.status, r.text).toBe(201);
      text = await scrape();
      expect([sample(text, 'fleetmeter_accounts', { state: 'active' }), sample(text, 'fleetmeter_accounts', { state: 'warning' }), sample(text, 'fleetmeter_accounts', { state: 'suspended' })]).toEqual([1, 0, 1]);
    });
  });
}
