/**
 * The suspension policy runs right after a close (the API's and the period-close job's), a payment
 * and a reversal — not only in the hourly job — and a `write` key (what 1C holds) may run it on
 * demand. Over HTTP on each storage backend, with an injected clock (docs/billing.md).
 *
 * Accounts "api" and "job" (Europe/Moscow, RUB): credit limit 500.00, warning 0 days, terms 10
 * days, grace 5. Tariff "flat": a minimum charge of 1 000.00 RUB a month, VAT 0, from 2026-01-01 —
 * so January 2026, closed on 2026-02-01, is 1 000.00 with no device at all: beyond the limit from
 * its closing date, suspended that same day (warningDays 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { expectError, startTestApi, type TestApi } from './api-support.ts';

const MSK_NOON = (d: string) => Date.parse(`${d}T09:00:00Z`);

for (const backend of backends) {
  describe(`suspension at once after a close, a payment and a reversal on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    let clock = MSK_NOON('2026-01-20');
    const state = async (id: string) => (await t.call('GET', `/v1/accounts/${id}/suspension`, { key: t.keys.read })).json;

    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store, { now: () => clock });
      const definition = { name: 'Абонентская плата', unit: 'month', price: { model: 'per-unit', unitPrice: '0' }, minimumCharge: '1000', vatRate: '0', currency: 'RUB' };
      expect((await t.call('POST', '/v1/tariffs', { body: { id: 'flat', effectiveFrom: '2026-01-01', definition } })).status).toBe(201);
      for (const id of ['api', 'job']) {
        const acc = await t.call('POST', '/v1/accounts', { body: { id, name: id, timeZone: 'Europe/Moscow', currency: 'RUB', billing: { paymentTermDays: 10, graceDays: 5, warningDays: 0, creditLimit: '500' } } });
        expect(acc.status, acc.text).toBe(201);
        expect((await t.call('POST', `/v1/accounts/${id}/tariff-assignments`, { body: { tariffId: 'flat', effectiveFrom: '2026-01-01' } })).status).toBe(201);
      }
      clock = MSK_NOON('2026-02-01');
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('a close through the API that breaches the credit limit suspends at once', async () => {
      expect(await state('api')).toMatchObject({ state: 'active' });
      const closed = await t.call('POST', '/v1/accounts/api/statements/2026-01/close', { key: t.keys.write });
      expect(closed.status, closed.text).toBe(201);
      expect(closed.json.totals.total).toBe('1000.00');
      expect(await state('api')).toMatchObject({ state: 'suspended', since: { kind: 'suspended', on: '2026-02-01', reason: 'suspended 2026-02-01: balance 1 000.00 RUB exceeds the credit limit 500 RUB since 2026-02-01' } });
      const events = await t.api.services.events.after(null, { limit: 100, accountId: 'api' });
      expect(events.map((e) => e.type)).toEqual(['statement.closed', 'account.suspended']);
    });

    it('a close by the period-close job that breaches the credit limit suspends at once', async () => {
      expect(await state('job')).toMatchObject({ state: 'active' });
      const run = await t.api.services.ops.scheduler.trigger('period-close');
      expect(run.result).toMatchObject({ closed: ['job 2026-01-01..2026-02-01'], failed: [] });
      expect(await state('job')).toMatchObject({ state: 'suspended', since: { kind: 'suspended', on: '2026-02-01' } });
    });

    it('a payment that clears it reactivates at once; its reversal suspends again at once', async () => {
      clock = MSK_NOON('2026-02-03');
      const paid = await t.call('POST', '/v1/accounts/api/payments', { key: t.keys.write, body: { amount: '1000.00', currency: 'RUB', date: '2026-02-03', externalId: 'п/п 1' } });
      expect(paid.status, paid.text).toBe(201);
      expect(await state('api')).toMatchObject({ state: 'active', since: { kind: 'reactivated', on: '2026-02-03' } });
      clock = MSK_NOON('2026-02-04');
      const reversed = await t.call('POST', `/v1/accounts/api/payments/${paid.json.id}/reversal`, { key: t.keys.write, body: { reason: 'bank returned it' } });
      expect(reversed.status, reversed.text).toBe(201);
      expect(await state('api')).toMatchObject({ state: 'suspended', since: { kind: 'suspended', on: '2026-02-04' } });
    });

    it('a write key may run the evaluation on demand; a read key may not', async () => {
      const w = await t.call('POST', '/v1/billing/suspension/evaluate', { key: t.keys.write, body: { accountId: 'job' } });
      expect(w.status, w.text).toBe(200);
      expect(w.json).toMatchObject({ accounts: 1, decisions: [], failed: [] });
      const all = await t.call('POST', '/v1/billing/suspension/evaluate', { key: t.keys.write, body: {} });
      expect(all.status, all.text).toBe(200);
      expect(all.json).toMatchObject({ accounts: 2, failed: [] });
      expectError(await t.call('POST', '/v1/billing/suspension/evaluate', { key: t.keys.read, body: {} }), 403, 'FM_ERR_FORBIDDEN');
    });
  });
}
