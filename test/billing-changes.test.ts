/**
 * The change feed over HTTP: billing events and configuration changes (audit) merged in order,
 * paged with an opaque cursor, resumable from any cursor (the same items again, none skipped),
 * filtered by type and account, young changes held back until settled. Time is injected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangePage } from '../api/schemas/webhooks.ts';
import { backends } from './support/backends.ts';
import { expectError, expectSchema, startTestApi, type TestApi } from './api-support.ts';

for (const backend of backends) {
  describe(`change feed on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    let clock = Date.UTC(2026, 4, 1, 8);
    const now = () => clock;

    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store, { now, billingOps: { settleMs: 1000 } });
      const ev = t.api.services.events;
      await t.call('POST', '/v1/accounts', { body: { id: 'acme', name: 'Acme', timeZone: 'UTC', currency: 'EUR' } }); // audit.account.create
      clock += 10;
      await ev.publish([{ type: 'payment.received', key: 'p1', accountId: 'acme', subject: 'p1', data: { amount: '10.00' } }]);
      clock += 10;
      await ev.publish([{ type: 'device.discovered', key: 'dx', accountId: '', subject: 'dx', data: {} }]);
      clock += 10;
      await t.call('POST', '/v1/accounts', { body: { id: 'beta', name: 'Beta', timeZone: 'UTC', currency: 'EUR' } });
      clock += 10;
      await ev.publish([
        { type: 'account.suspended', key: 'acme:1', accountId: 'acme', subject: 'acme', data: {} },
        { type: 'payment.received', key: 'p2', accountId: 'beta', subject: 'p2', data: { amount: '5.00' } },
      ]);
      clock += 2000;
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    const get = async (q: string) => {
      const r = await t.call('GET', `/v1/changes${q}`, { key: t.keys.read });
      expect(r.status, r.text).toBe(200);
      expectSchema(ChangePage, r.json);
      return r.json as { items: { id: string; type: string; accountId: string | null }[]; nextCursor: string; hasMore: boolean };
    };

    it('everything in order, two at a time; resuming from any cursor gives the same rest', async () => {
      const all = await get('?limit=100');
      expect(all.items.map((c) => c.type)).toEqual(['audit.account.create', 'payment.received', 'device.discovered', 'audit.account.create', expect.any(String), expect.any(String)]);
      expect(all.items.slice(4).map((c) => c.type).sort()).toEqual(['account.suspended', 'payment.received']);
      expect(all.hasMore).toBe(false);
      const pages: string[][] = [];
      const cursors: string[] = [];
      let q = '?limit=2';
      for (;;) {
        const p = await get(q);
        if (p.items.length === 0) break;
        pages.push(p.items.map((c) => c.id));
        cursors.push(p.nextCursor);
        q = `?limit=2&after=${p.nextCursor}`;
      }
      expect(pages.flat()).toEqual(all.items.map((c) => c.id));
      expect(pages).toHaveLength(3);
      // A client that crashed after page 1 resumes with the cursor it stored.
      const resumed = await get(`?limit=100&after=${cursors[0]}`);
      expect(resumed.items.map((c) => c.id)).toEqual(all.items.slice(2).map((c) => c.id));
      // At the end: no items, the same cursor to poll with.
      const end = await get(`?after=${cursors[2]}`);
      expect(end).toEqual({ items: [], nextCursor: cursors[2], hasMore: false });
    });

    it('new changes appear after the last cursor once settled', async () => {
      const end = (await get('?limit=100')).nextCursor;
      await t.api.services.events.publish([{ type: 'statement.closed', key: 'acme:x', accountId: 'acme', subject: 'acme:x', data: {} }]);
      expect((await get(`?after=${end}`)).items).toEqual([]);
      clock += 1500;
      expect((await get(`?after=${end}`)).items.map((c) => c.type)).toEqual(['statement.closed']);
    });

    it('filters: types (events and audit.*) and account', async () => {
      expect((await get('?types=payment.received')).items.map((c) => c.accountId)).toEqual(['acme', 'beta']);
      expect((await get('?types=audit.account.create')).items.map((c) => c.type)).toEqual(['audit.account.create', 'audit.account.create']);
      const acme = await get('?accountId=acme');
      expect(acme.items.map((c) => c.type)).toEqual(['audit.account.create', 'payment.received', 'account.suspended', 'statement.closed']);
      expectError(await t.call('GET', '/v1/changes?types=nope.nope'), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('GET', '/v1/changes?after=bm90LWEtY3Vyc29y'), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('GET', '/v1/changes', { key: null }), 401, 'FM_ERR_UNAUTHORIZED');
    });
  });
}
