/**
 * /v1/accounts: create (rating account + API profile), read, change, list (paging, filters,
 * sorting), validation and conflicts, Idempotency-Key on POST, and the audit trail of each write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, AccountPage } from '../api/schemas/accounts.ts';
import { backends } from './support/backends.ts';
import { expectError, expectSchema, startTestApi, type TestApi } from './api-support.ts';

for (const backend of backends) {
  describe(`/v1/accounts on ${backend.name}`, () => {
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

    it('creates an account: 201 with Location, defaults filled, visible to rating', async () => {
      const r = await t.http('POST', '/v1/accounts', { key: t.keys.write, body: { id: 'north', externalId: '00-000123', name: 'Север', timeZone: 'Asia/Vladivostok', currency: 'RUB', billing: { invoiceEmail: 'bills@north.example' } } });
      expect(r.status).toBe(201);
      expect(r.headers.location).toBe('/v1/accounts/north');
      expectSchema(Account, r.json);
      expect(r.json).toMatchObject({ id: 'north', externalId: '00-000123', name: 'Север', timeZone: 'Asia/Vladivostok', currency: 'RUB', status: 'active', devices: 0 });
      expect(r.json.billing).toEqual({ period: 'month', paymentTermDays: 14, invoiceEmail: 'bills@north.example', contractRef: null, graceDays: 10, warningDays: 3, creditLimit: null, suspensionMode: 'store' });
      const config = await t.api.services.rating.loadConfig(['north']);
      expect(config.account('north')).toEqual({ id: 'north', name: 'Север', timeZone: 'Asia/Vladivostok', currency: 'RUB' });
      const got = await t.call('GET', '/v1/accounts/north', { key: t.keys.read });
      expect(got.json).toEqual(r.json);
    });

    it('generates an id when none is given', async () => {
      const r = await t.call('POST', '/v1/accounts', { body: { name: 'No id', timeZone: 'UTC', currency: 'EUR' } });
      expect(r.status).toBe(201);
      expect(r.json.id).toMatch(/^acc_[0-9a-f]{12}$/);
    });

    it('bad input is 400 naming the field; never 500', async () => {
      const cases: [unknown, string][] = [
        [{ name: 'x', timeZone: 'Mars/Olympus', currency: 'EUR' }, 'timeZone'],
        [{ name: 'x', timeZone: 'UTC', currency: 'XXX' }, 'currency'],
        [{ name: 'x', timeZone: 'UTC', currency: 'eur' }, 'body.currency'],
        [{ name: '', timeZone: 'UTC', currency: 'EUR' }, 'body.name'],
        [{ timeZone: 'UTC', currency: 'EUR' }, 'body.name'],
        [{ name: 'x', timeZone: 'UTC', currency: 'EUR', colour: 'red' }, 'body.colour'],
        [{ id: 'bad id!', name: 'x', timeZone: 'UTC', currency: 'EUR' }, 'body.id'],
        [{ name: 'x', timeZone: 'UTC', currency: 'EUR', billing: { invoiceEmail: 'not-an-email' } }, 'body.billing.invoiceEmail'],
        [{ name: 'x', timeZone: 'UTC', currency: 'EUR', billing: { paymentTermDays: -1 } }, 'body.billing.paymentTermDays'],
        [{ name: 'x', timeZone: 'UTC', currency: 'EUR', billing: { graceDays: 1.5 } }, 'body.billing.graceDays'],
        [{ name: 'x', timeZone: 'UTC', currency: 'EUR', billing: { warningDays: 91 } }, 'body.billing.warningDays'],
        [{ name: 'x', timeZone: 'UTC', currency: 'EUR', billing: { creditLimit: '-5' } }, 'body.billing.creditLimit'],
        [{ name: 'x', timeZone: 'UTC', currency: 'EUR', billing: { creditLimit: '1e5' } }, 'body.billing.creditLimit'],
        [{ name: 'x', timeZone: 'UTC', currency: 'EUR', billing: { suspensionMode: 'drop' } }, 'body.billing.suspensionMode'],
        [{ name: 'x', timeZone: 'UTC', currency: 'EUR', status: 'gone' }, 'body.status'],
      ];
      for (const [body, field] of cases) {
        const r = await t.call('POST', '/v1/accounts', { body });
        expectError(r, 400, 'FM_ERR_VALIDATION');
        expect(r.json.details.field, JSON.stringify(body)).toBe(field);
        expect(r.json.message).toContain(field);
      }
    });

    it('conflicts are 409: an existing id, an external id already used', async () => {
      expectError(await t.call('POST', '/v1/accounts', { body: { id: 'north', name: 'again', timeZone: 'UTC', currency: 'EUR' } }), 409, 'FM_ERR_CONFLICT');
      const r = await t.call('POST', '/v1/accounts', { body: { id: 'other', externalId: '00-000123', name: 'x', timeZone: 'UTC', currency: 'EUR' } });
      expectError(r, 409, 'FM_ERR_CONFLICT');
      expect(r.json.details).toMatchObject({ field: 'externalId', accountId: 'north' });
    });

    it('unknown ids are 404', async () => {
      expectError(await t.call('GET', '/v1/accounts/nobody'), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('PATCH', '/v1/accounts/nobody', { body: { name: 'x' } }), 404, 'FM_ERR_NOT_FOUND');
    });

    it('PATCH changes the profile and rating\'s account; an empty patch is 400', async () => {
      const r = await t.http('PATCH', '/v1/accounts/north', { key: t.keys.write, body: { name: 'Север-2', status: 'suspended', billing: { paymentTermDays: 30 } } });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ name: 'Север-2', status: 'suspended', billing: { paymentTermDays: 30, invoiceEmail: 'bills@north.example' } });
      expect(Date.parse(r.json.updatedAt)).toBeGreaterThan(Date.parse(r.json.createdAt) - 1);
      expect((await t.api.services.rating.loadConfig(['north'])).account('north').name).toBe('Север-2');
      expectError(await t.call('PATCH', '/v1/accounts/north', { body: {} }), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('PATCH', '/v1/accounts/north', { body: { timeZone: 'Nowhere/City' } }), 400, 'FM_ERR_VALIDATION');
    });

    it('lists with limit/cursor paging, filters and sorting', async () => {
      for (let i = 0; i < 5; i++) await t.call('POST', '/v1/accounts', { body: { id: `p${i}`, name: `Fleet ${String.fromCharCode(101 - i)}`, timeZone: 'Europe/Berlin', currency: 'EUR', status: i % 2 ? 'closed' : 'active' } });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const r = await t.call('GET', `/v1/accounts?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { key: t.keys.read });
        expectSchema(AccountPage, r.json);
        expect(r.json.items.length).toBeLessThanOrEqual(2);
        seen.push(...r.json.items.map((a: { id: string }) => a.id));
        cursor = r.json.nextCursor;
      } while (cursor !== null);
      expect(seen).toEqual([...seen].sort());
      expect(seen).toEqual(expect.arrayContaining(['north', 'p0', 'p1', 'p2', 'p3', 'p4']));
      const closed = await t.call('GET', '/v1/accounts?status=closed');
      expect(closed.json.items.map((a: { id: string }) => a.id)).toEqual(['p1', 'p3']);
      const byName = await t.call('GET', '/v1/accounts?q=fleet&sort=-name');
      expect(byName.json.items.map((a: { name: string }) => a.name)).toEqual(['Fleet e', 'Fleet d', 'Fleet c', 'Fleet b', 'Fleet a']);
      expect((await t.call('GET', '/v1/accounts?externalId=00-000123')).json.items.map((a: { id: string }) => a.id)).toEqual(['north']);
      // A cursor belongs to its sort.
      const page = await t.call('GET', '/v1/accounts?limit=1&sort=name');
      expectError(await t.call('GET', `/v1/accounts?limit=1&sort=id&cursor=${page.json.nextCursor}`), 400, 'FM_ERR_VALIDATION');
    });

    it('Idempotency-Key: the same request replays the stored response, a different one is 422', async () => {
      const body = { id: 'idem', name: 'Idempotent', timeZone: 'UTC', currency: 'EUR' };
      const headers = { 'idempotency-key': 'create-idem-1' };
      const first = await t.http('POST', '/v1/accounts', { key: t.keys.write, body, headers });
      expect(first.status).toBe(201);
      const again = await t.http('POST', '/v1/accounts', { key: t.keys.write, body: { currency: 'EUR', timeZone: 'UTC', name: 'Idempotent', id: 'idem' }, headers });
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.text).toBe(first.text);
      expectError(await t.call('POST', '/v1/accounts', { key: t.keys.write, body: { ...body, name: 'Other' }, headers }), 422, 'FM_ERR_IDEMPOTENCY_MISMATCH');
      // Without the key the same POST is a plain conflict; the key is per API key.
      expectError(await t.call('POST', '/v1/accounts', { key: t.keys.write, body }), 409, 'FM_ERR_CONFLICT');
      expectError(await t.call('POST', '/v1/accounts', { key: t.keys.admin, body, headers }), 409, 'FM_ERR_CONFLICT');
      // Concurrent retries with one key: one write, both get the same answer.
      const b2 = { id: 'idem2', name: 'Race', timeZone: 'UTC', currency: 'EUR' };
      const [a, b] = await Promise.all([0, 1].map(() => t.call('POST', '/v1/accounts', { key: t.keys.write, body: b2, headers: { 'idempotency-key': 'race' } })));
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(a.text).toBe(b.text);
      // Stored in ClickHouse (once per key and API key), so a retry reaching another instance replays too.
      const writeKeyId = t.keys.write.split('_')[1];
      const rows = await t.api.services.store.query<{ n: string }>(`SELECT count() AS n FROM api_idempotency WHERE key_id = '${writeKeyId}' AND idempotency_key IN ('create-idem-1', 'race')`);
      expect(Number(rows[0].n)).toBe(2);
      expectError(await t.call('POST', '/v1/accounts', { key: t.keys.write, body, headers: { 'idempotency-key': 'bad key with spaces' } }), 400, 'FM_ERR_VALIDATION');
    });

    it('every write is in the audit trail: who (key id), when, before and after', async () => {
      const r = await t.call('GET', '/v1/audit?entityType=account&entityId=north');
      expect(r.status).toBe(200);
      const items = r.json.items as { action: string; keyId: string; before: { name?: string } | null; after: { name: string } }[];
      expect(items.map((i) => i.action)).toEqual(['account.update', 'account.create']);
      expect(items[0].keyId).toBe(t.keys.write.split('_')[1]);
      expect(items[0].before?.name).toBe('Север');
      expect(items[0].after.name).toBe('Север-2');
      const page1 = await t.call('GET', '/v1/audit?limit=2');
      expect(page1.json.items).toHaveLength(2);
      const page2 = await t.call('GET', `/v1/audit?limit=2&cursor=${page1.json.nextCursor}`);
      expect(page2.json.items[0].id).not.toBe(page1.json.items[1].id);
    });
  });
}
