/**
 * Payments, balance, suspension decisions and overrides over HTTP, on each storage backend, with an
 * injected clock; every new route's 400/404/409 answers.
 *
 * Account "acme" (Europe/Moscow, RUB), terms 10 days, grace 5, warning 2. Tariff "flat": a minimum
 * charge of 1 000.00 RUB a month, VAT 0 — so January 2026, closed on 2026-02-01, is 1 000.00
 * with no device at all. Due 2026-02-11; suspension on 02-17 (more than 5 days past due); warning
 * on 02-15.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Balance, DecisionPage, Payment, PaymentPage, SuspensionStatus } from '../api/schemas/billing.ts';
import { backends } from './support/backends.ts';
import { expectError, expectSchema, startTestApi, type TestApi } from './api-support.ts';

const MSK_NOON = (d: string) => Date.parse(`${d}T09:00:00Z`);

for (const backend of backends) {
  describe(`payments, balance and suspension over HTTP on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    let clock = MSK_NOON('2026-02-01');
    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      // The production settle time: a race test with less can see two winners on a loaded machine.
      t = await startTestApi(opened.store, { now: () => clock, claimSettleMs: 250 });
      const acc = await t.call('POST', '/v1/accounts', { body: { id: 'acme', name: 'ООО «Ромашка»', timeZone: 'Europe/Moscow', currency: 'RUB', billing: { paymentTermDays: 10, graceDays: 5, warningDays: 2 } } });
      expect(acc.status, acc.text).toBe(201);
      const definition = { name: 'Абонентская плата', unit: 'month', price: { model: 'per-unit', unitPrice: '0' }, minimumCharge: '1000', vatRate: '0', currency: 'RUB' };
      expect((await t.call('POST', '/v1/tariffs', { body: { id: 'flat', effectiveFrom: '2025-01-01', definition } })).status).toBe(201);
      // From January 2026: it is the first period to close (periods close in order from the first assignment).
      expect((await t.call('POST', '/v1/accounts/acme/tariff-assignments', { body: { tariffId: 'flat', effectiveFrom: '2026-01-01' } })).status).toBe(201);
      const closed = await t.call('POST', '/v1/accounts/acme/statements/2026-01/close');
      expect(closed.status, closed.text).toBe(201);
      expect(closed.json.totals.total).toBe('1000.00');
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('billing settings are validated and PATCHable', async () => {
      const r = await t.call('PATCH', '/v1/accounts/acme', { key: t.keys.write, body: { billing: { creditLimit: '5000.50', suspensionMode: 'reject' } } });
      expect(r.status, r.text).toBe(200);
      expect(r.json.billing).toMatchObject({ paymentTermDays: 10, graceDays: 5, warningDays: 2, creditLimit: '5000.50', suspensionMode: 'reject' });
      expectError(await t.call('PATCH', '/v1/accounts/acme', { body: { billing: { graceDays: -1 } } }), 400, 'FM_ERR_VALIDATION');
      const back = await t.call('PATCH', '/v1/accounts/acme', { body: { billing: { creditLimit: null, suspensionMode: 'store' } } });
      expect(back.json.billing).toMatchObject({ creditLimit: null, suspensionMode: 'store' });
    });

    it('the closed statement is unpaid until its due date', async () => {
      const r = await t.call('GET', '/v1/accounts/acme/balance', { key: t.keys.read });
      expect(r.status, r.text).toBe(200);
      expectSchema(Balance, r.json);
      expect(r.json).toMatchObject({ accountId: 'acme', currency: 'RUB', asOf: '2026-02-01', billed: '1000.00', paid: '0.00', balance: '1000.00', overdue: '0.00', credit: '0.00', suspension: { state: 'active', mode: 'store' } });
      expect(r.json.statements).toEqual([
        { period: '2026-01', range: { from: '2026-01-01', to: '2026-02-01' }, closedOn: '2026-02-01', dueDate: '2026-02-11', total: '1000.00', paid: '0.00', remaining: '1000.00', state: 'unpaid', daysPastDue: 0, allocations: [] },
      ]);
      expectError(await t.call('GET', '/v1/accounts/nobody/balance'), 404, 'FM_ERR_NOT_FOUND');
    });

    let paymentId = '';
    it('a payment: 201, replay 200 with the same payment, another body under its external id 409', async () => {
      clock = MSK_NOON('2026-02-05');
      const body = { amount: '400', currency: 'RUB', date: '2026-02-04', externalId: 'п/п 117 от 04.02.2026' };
      const r = await t.http('POST', '/v1/accounts/acme/payments', { key: t.keys.write, body });
      expect(r.status, r.text).toBe(201);
      expectSchema(Payment, r.json);
      expect(r.json).toMatchObject({ accountId: 'acme', externalId: body.externalId, amount: '400.00', currency: 'RUB', date: '2026-02-04', status: 'received', reversal: null, postedAt: '2026-02-05T09:00:00.000Z' });
      paymentId = r.json.id;
      expect(r.headers.location).toBe(`/v1/accounts/acme/payments/${paymentId}`);
      clock += 60_000;
      // The same body (400 and 400.00 are the same money): the payment recorded, 200.
      const again = await t.http('POST', '/v1/accounts/acme/payments', { key: t.keys.write, body: { ...body, amount: '400.00' } });
      expect(again.status, again.text).toBe(200);
      expect(again.json).toEqual(r.json);
      const other = await t.http('POST', '/v1/accounts/acme/payments', { key: t.keys.write, body: { ...body, amount: '401' } });
      expectError(other, 409, 'FM_ERR_CONFLICT');
      expect(other.json.details).toMatchObject({ reason: 'FM_BILLING_EXTERNAL_ID_REUSED', paymentId });
      const list = await t.call('GET', '/v1/accounts/acme/payments', { key: t.keys.read });
      expectSchema(PaymentPage, list.json);
      expect(list.json.items.map((p: { id: string }) => p.id)).toEqual([paymentId]);
      expect((await t.call('GET', `/v1/accounts/acme/payments/${paymentId}`)).json).toEqual(r.json);
    });

    it('two postings of one external id racing with different bodies: one payment, the other 409', async () => {
      const body = { amount: '10.00', currency: 'RUB', date: '2026-02-05', externalId: 'race-1' };
      const other = { ...body, amount: '11.00' };
      const rs = await Promise.all([t.call('POST', '/v1/accounts/acme/payments', { body }), t.call('POST', '/v1/accounts/acme/payments', { body: other })]);
      // The claim on the external id decides: exactly one winner (test/api-claims.test.ts races every create).
      expect(rs.map((r) => r.status).sort(), JSON.stringify(rs.map((r) => r.text))).toEqual([201, 409]);
      const won = rs.find((r) => r.status === 201)!.json;
      // Retrying either body now: the winner's is a replay, the other's a conflict.
      const winnerBody = won.amount === '10.00' ? body : other;
      const loserBody = won.amount === '10.00' ? other : body;
      expect((await t.call('POST', '/v1/accounts/acme/payments', { body: winnerBody })).status).toBe(200);
      expectError(await t.call('POST', '/v1/accounts/acme/payments', { body: loserBody }), 409, 'FM_ERR_CONFLICT');
      const list = (await t.call('GET', '/v1/accounts/acme/payments')).json.items.filter((p: { externalId: string }) => p.externalId === 'race-1');
      expect(list).toEqual([won]);
      // Reversed so the figures below stay those of the one payment above.
      expect((await t.call('POST', `/v1/accounts/acme/payments/${won.id}/reversal`, { body: { reason: 'test race' } })).status).toBe(201);
    });

    it('payments: 400 for bad amounts and dates, 409 for another currency, 404 for an unknown account or payment, 403 for a read key', async () => {
      const ok = { amount: '1.00', currency: 'RUB', date: '2026-02-04', externalId: 'x-1' };
      for (const [patch, field] of [
        [{ amount: '0' }, 'amount'],
        [{ amount: '0.00' }, 'amount'],
        [{ amount: '1.234' }, 'amount'],
        [{ amount: '-1' }, 'body.amount'],
        [{ amount: 12 }, 'body.amount'],
        [{ date: '2026-02-30' }, 'body.date'],
        [{ date: '1999-12-31' }, 'date'],
        [{ date: '04.02.2026' }, 'body.date'],
        [{ externalId: '' }, 'body.externalId'],
        [{ currency: 'rub' }, 'body.currency'],
        [{ extra: 1 }, 'body.extra'],
      ] as const) {
        const r = await t.call('POST', '/v1/accounts/acme/payments', { body: { ...ok, ...patch } });
        expectError(r, 400, 'FM_ERR_VALIDATION');
        expect(r.json.details.field, JSON.stringify(patch)).toBe(field);
      }
      const eur = await t.call('POST', '/v1/accounts/acme/payments', { body: { ...ok, currency: 'EUR' } });
      expectError(eur, 409, 'FM_ERR_CONFLICT');
      expect(eur.json.details).toMatchObject({ reason: 'FM_BILLING_CURRENCY_MISMATCH', expected: 'RUB' });
      expectError(await t.call('POST', '/v1/accounts/nobody/payments', { body: ok }), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('GET', '/v1/accounts/nobody/payments'), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('GET', '/v1/accounts/acme/payments/pay_nope'), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('POST', '/v1/accounts/acme/payments', { key: t.keys.read, body: ok }), 403, 'FM_ERR_FORBIDDEN');
      // Nothing of the refused requests was recorded.
      expect((await t.call('GET', '/v1/accounts/acme/payments')).json.items).toHaveLength(2);
    });

    it('a partial payment leaves the statement partially paid', async () => {
      const r = await t.call('GET', '/v1/accounts/acme/balance');
      expect(r.json).toMatchObject({ paid: '400.00', balance: '600.00', overdue: '0.00' });
      expect(r.json.statements[0]).toMatchObject({ state: 'partially_paid', paid: '400.00', remaining: '600.00', allocations: [{ source: paymentId, amount: '400.00' }] });
    });

    it('reversal: 201, same reason 200, another reason 409, 404 for unknown ids, 400 without a reason', async () => {
      expectError(await t.call('POST', '/v1/accounts/acme/payments/pay_nope/reversal', { body: { reason: 'x' } }), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('POST', `/v1/accounts/nobody/payments/${paymentId}/reversal`, { body: { reason: 'x' } }), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('POST', `/v1/accounts/acme/payments/${paymentId}/reversal`, { body: {} }), 400, 'FM_ERR_VALIDATION');
      clock = MSK_NOON('2026-02-06');
      const r = await t.call('POST', `/v1/accounts/acme/payments/${paymentId}/reversal`, { key: t.keys.write, body: { reason: 'bank returned the money' } });
      expect(r.status, r.text).toBe(201);
      expect(r.json).toMatchObject({ id: paymentId, status: 'reversed', reversal: { at: '2026-02-06T09:00:00.000Z', reason: 'bank returned the money' } });
      const again = await t.call('POST', `/v1/accounts/acme/payments/${paymentId}/reversal`, { body: { reason: 'bank returned the money' } });
      expect(again.status).toBe(200);
      expect(again.json).toEqual(r.json);
      const other = await t.call('POST', `/v1/accounts/acme/payments/${paymentId}/reversal`, { body: { reason: 'typo' } });
      expectError(other, 409, 'FM_ERR_CONFLICT');
      expect(other.json.details.reason).toBe('FM_BILLING_ALREADY_REVERSED');
      const b = await t.call('GET', '/v1/accounts/acme/balance');
      expect(b.json).toMatchObject({ paid: '0.00', balance: '1000.00' });
      expect(b.json.statements[0].state).toBe('unpaid');
      expect((await t.call('GET', '/v1/accounts/acme/payments?status=reversed')).json.items).toHaveLength(2);
      expect((await t.call('GET', '/v1/accounts/acme/payments?status=received')).json.items).toHaveLength(0);
      // A reversed payment's external id still names that payment: posting it again is a replay.
      const replay = await t.call('POST', '/v1/accounts/acme/payments', { body: { amount: '400', currency: 'RUB', date: '2026-02-04', externalId: 'п/п 117 от 04.02.2026' } });
      expect(replay.status).toBe(200);
      expect(replay.json.status).toBe('reversed');
    });

    it('overdue, then a warning on 02-15; evaluating again records nothing', async () => {
      clock = MSK_NOON('2026-02-12');
      const b = await t.call('GET', '/v1/accounts/acme/balance');
      expect(b.json).toMatchObject({ overdue: '1000.00' });
      expect(b.json.statements[0]).toMatchObject({ state: 'overdue', daysPastDue: 1 });
      const none = await t.call('POST', '/v1/billing/suspension/evaluate', { body: {} });
      expect(none.status, none.text).toBe(200);
      expect(none.json).toMatchObject({ accounts: 1, decisions: [], failed: [] });
      clock = MSK_NOON('2026-02-15');
      // Two evaluations at once (two instances, or the schedule racing a request): one decision.
      // Which call records it depends on how they interleave: a call that reads the log before
      // the other's row is there records the same decision (same id) and answers it; one that
      // reads after finds nothing left to decide and answers []. (Asserting that both answer it
      // assumed the first interleaving: red now and then on a busy machine.) Either way there is
      // exactly one decision, and at least one call answers it.
      const both = await Promise.all([0, 1].map(() => t.call('POST', '/v1/billing/suspension/evaluate', { body: { accountId: 'acme' } })));
      const answered = both.map((r) => r.json.decisions as { id: string; kind: string; reason: string }[]);
      const ids = new Set(answered.flat().map((d) => d.id));
      expect(ids.size, JSON.stringify(answered)).toBe(1);
      for (const a of answered) expect(a.length === 0 || (a.length === 1 && ids.has(a[0].id)), JSON.stringify(answered)).toBe(true);
      const w = { json: { decisions: answered.find((a) => a.length === 1)! } };
      expect(w.json.decisions.map((d) => d.kind)).toEqual(['warning']);
      expect(w.json.decisions[0].reason).toBe('warning 2026-02-15: suspension on 2026-02-17 unless paid: statement 2026-01, 1 000.00 RUB, 4 days past due, grace 5 days');
      expect((await t.call('POST', '/v1/billing/suspension/evaluate', { body: {} })).json.decisions).toEqual([]);
      const list = await t.call('GET', '/v1/accounts/acme/suspension-decisions', { key: t.keys.read });
      expectSchema(DecisionPage, list.json);
      expect(list.json.items.map((d: { seq: number; kind: string; source: string; on: string }) => [d.seq, d.kind, d.source, d.on])).toEqual([[1, 'warning', 'policy', '2026-02-15']]);
      const events = await t.api.services.events.after(null, { limit: 100, accountId: 'acme' });
      expect(events.filter((e) => e.type === 'account.suspension_warning').map((e) => e.subject)).toEqual(['acme']);
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['payment.received', 'payment.reversed']));
      expectError(await t.call('GET', '/v1/accounts/nobody/suspension-decisions'), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('POST', '/v1/billing/suspension/evaluate', { body: { accountId: 'nobody' } }), 404, 'FM_ERR_NOT_FOUND');
      // A write key (the billing system's) may run it; a read key may not.
      expect((await t.call('POST', '/v1/billing/suspension/evaluate', { key: t.keys.write, body: {} })).json.decisions).toEqual([]);
      expectError(await t.call('POST', '/v1/billing/suspension/evaluate', { key: t.keys.read, body: {} }), 403, 'FM_ERR_FORBIDDEN');
    });

    it('a manual override beats the policy; clearing it lets the policy decide again at once', async () => {
      expectError(await t.call('POST', '/v1/accounts/acme/suspension-override', { body: { state: 'suspended', reason: 'x', expiresAt: '2026-02-14T00:00:00Z' } }), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('POST', '/v1/accounts/acme/suspension-override', { body: { state: 'frozen', reason: 'x', expiresAt: '2026-03-01T00:00:00Z' } }), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('POST', '/v1/accounts/nobody/suspension-override', { body: { state: 'suspended', reason: 'x', expiresAt: '2026-03-01T00:00:00Z' } }), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('DELETE', '/v1/accounts/acme/suspension-override'), 404, 'FM_ERR_NOT_FOUND');
      const o = await t.call('POST', '/v1/accounts/acme/suspension-override', { key: t.keys.write, body: { state: 'active', reason: 'director promised payment by 02-20', expiresAt: '2026-02-20T00:00:00Z' } });
      expect(o.status, o.text).toBe(201);
      expect(o.json.decisions.map((d: { kind: string; source: string }) => [d.kind, d.source])).toEqual([['cleared', 'override']]);
      // 02-18: past the suspension date, but the override holds.
      clock = MSK_NOON('2026-02-18');
      expect((await t.call('POST', '/v1/billing/suspension/evaluate', { body: {} })).json.decisions).toEqual([]);
      const st = await t.call('GET', '/v1/accounts/acme/suspension', { key: t.keys.read });
      expectSchema(SuspensionStatus, st.json);
      expect(st.json).toMatchObject({ state: 'active', override: { state: 'active', reason: 'director promised payment by 02-20', expiresAt: '2026-02-20T00:00:00.000Z' } });
      // Cleared: the policy warns now (the full notice), suspension two days later.
      const c = await t.call('DELETE', '/v1/accounts/acme/suspension-override', { key: t.keys.write });
      expect(c.status, c.text).toBe(200);
      expect(c.json.decisions.map((d: { kind: string; reason: string }) => d.reason)).toEqual(['warning 2026-02-18: suspension on 2026-02-20 unless paid: statement 2026-01, 1 000.00 RUB, 7 days past due, grace 5 days']);
      expectError(await t.call('DELETE', '/v1/accounts/acme/suspension-override'), 404, 'FM_ERR_NOT_FOUND');
      clock = MSK_NOON('2026-02-20');
      const s = await t.call('POST', '/v1/billing/suspension/evaluate', { body: {} });
      expect(s.json.decisions.map((d: { reason: string }) => d.reason)).toEqual(['suspended 2026-02-20: statement 2026-01, 1 000.00 RUB, 9 days past due, grace 5 days']);
      const suspended = await t.call('GET', '/v1/accounts/acme/suspension');
      expect(suspended.json).toMatchObject({ state: 'suspended', mode: 'store', override: null, suspendedAt: '2026-02-20T09:00:00.000Z' });
      // Rating: the account is suspended from 02-20, open-ended.
      const config = await t.api.services.rating.loadConfig(['acme']);
      expect([config.suspended('acme', null, '2026-02-19'), config.suspended('acme', null, '2026-02-20'), config.suspended('acme', null, '2026-03-31')]).toEqual([false, true, true]);
    });

    it('a payment that clears the overdue amount reactivates at once; rating bills again from that day', async () => {
      clock = MSK_NOON('2026-02-23');
      const r = await t.call('POST', '/v1/accounts/acme/payments', { body: { amount: '1000.00', currency: 'RUB', date: '2026-02-23', externalId: 'п/п 140' } });
      expect(r.status, r.text).toBe(201);
      const st = await t.call('GET', '/v1/accounts/acme/suspension');
      expect(st.json).toMatchObject({ state: 'active', since: { kind: 'reactivated', source: 'policy', on: '2026-02-23', reason: 'reactivated 2026-02-23: nothing overdue beyond grace; balance 0.00 RUB, overdue 0.00 RUB' } });
      const b = await t.call('GET', '/v1/accounts/acme/balance');
      expect(b.json).toMatchObject({ paid: '1000.00', balance: '0.00', suspension: { state: 'active' } });
      expect(b.json.statements[0]).toMatchObject({ state: 'paid', remaining: '0.00' });
      const config = await t.api.services.rating.loadConfig(['acme']);
      expect([config.suspended('acme', null, '2026-02-20'), config.suspended('acme', null, '2026-02-22'), config.suspended('acme', null, '2026-02-23')]).toEqual([true, true, false]);
      const kinds = (await t.call('GET', '/v1/accounts/acme/suspension-decisions?sort=seq')).json.items.map((d: { kind: string }) => d.kind);
      expect(kinds).toEqual(['warning', 'cleared', 'warning', 'suspended', 'reactivated']);
      const types = (await t.api.services.events.after(null, { limit: 100, accountId: 'acme' })).map((e) => e.type);
      expect(types.filter((x) => x.startsWith('account.'))).toEqual(['account.suspension_warning', 'account.suspension_warning', 'account.suspended', 'account.reactivated']);
    });
  });
}
