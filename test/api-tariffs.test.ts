/**
 * /v1/tariffs (immutable versions) and /v1/accounts/:id/tariff-assignments (effective-dated,
 * account level and device overrides): creation, validation of definitions, version numbering and
 * immutability, date conflicts (409 with what conflicts), corrections, currency checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tariff, TariffAssignmentPage, TariffPage } from '../api/schemas/tariffs.ts';
import { backends } from './support/backends.ts';
import { expectError, expectSchema, startTestApi, type TestApi } from './api-support.ts';

const daily = { name: 'Daily', unit: 'day', price: { model: 'per-unit', unitPrice: '1.50' }, currency: 'EUR' };
const graduated = { name: 'Hourly tiers', unit: 'hour', minActiveMinutes: 5, price: { model: 'graduated', tiers: [{ upTo: '100', unitPrice: '0.05' }, { upTo: null, unitPrice: '0.03', flatFee: '1.00' }] }, includedUnits: '10', currency: 'EUR' };

for (const backend of backends) {
  describe(`/v1/tariffs on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store);
      await t.call('POST', '/v1/accounts', { body: { id: 'eu', name: 'EU fleet', timeZone: 'Europe/Berlin', currency: 'EUR' } });
      await t.call('POST', '/v1/accounts', { body: { id: 'ru', name: 'RU fleet', timeZone: 'Europe/Moscow', currency: 'RUB' } });
      await t.call('POST', '/v1/devices', { body: { id: 'd1', protocol: 'teltonika', account: { accountId: 'eu', effectiveFrom: '2024-01-01' } } });
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('creates a tariff with version 1; defaults are filled in', async () => {
      const r = await t.http('POST', '/v1/tariffs', { key: t.keys.write, body: { id: 'daily', effectiveFrom: '2024-01-01', definition: daily } });
      expect(r.status).toBe(201);
      expectSchema(Tariff, r.json);
      expect(r.json).toMatchObject({ id: 'daily', name: 'Daily', unit: 'day', currency: 'EUR', latestVersion: 1 });
      expect(r.json.versions[0].definition).toEqual({ ...daily, minActiveMinutes: 1, includedUnits: '0', minimumCharge: '0', proration: false, vatRate: '22', pricesIncludeVat: false });
      expect((await t.call('POST', '/v1/tariffs', { body: { id: 'tiers', effectiveFrom: '2024-01-01', definition: graduated } })).status).toBe(201);
      expectError(await t.call('POST', '/v1/tariffs', { body: { id: 'daily', effectiveFrom: '2024-01-01', definition: daily } }), 409, 'FM_ERR_CONFLICT');
    });

    it('bad definitions are 400 naming the field', async () => {
      const cases: [unknown, string][] = [
        [{ ...daily, unit: 'week' }, 'body.definition.unit'],
        [{ ...daily, price: { model: 'per-unit', unitPrice: 1.5 } }, 'body.definition.price.unitPrice'],
        [{ ...daily, price: { model: 'per-unit', unitPrice: '-1' } }, 'body.definition.price.unitPrice'],
        [{ ...daily, price: { model: 'flat', unitPrice: '1' } }, 'body.definition.price.model'],
        [{ ...graduated, price: { model: 'graduated', tiers: [{ upTo: 'lots', unitPrice: '1' }] } }, 'body.definition.price.tiers.0.upTo'],
        [{ ...daily, vatRate: '22%' }, 'body.definition.vatRate'],
        [{ ...daily, currency: 'XYZ' }, 'definition'],
        [{ ...daily, vatRate: '120' }, 'definition'],
        [{ ...graduated, price: { model: 'graduated', tiers: [{ upTo: '100', unitPrice: '1' }, { upTo: '50', unitPrice: '1' }] } }, 'definition'],
        [{ ...daily, name: undefined }, 'body.definition.name'],
        [{ ...daily, price: { model: 'per-unit' } }, 'body.definition.price.unitPrice'],
        [{ ...graduated, price: { model: 'volume', unitPrice: '1' } }, 'body.definition.price.tiers'],
      ];
      for (const [definition, field] of cases) {
        const r = await t.call('POST', '/v1/tariffs', { body: { id: 'bad', effectiveFrom: '2024-01-01', definition } });
        expectError(r, 400, 'FM_ERR_VALIDATION');
        expect(r.json.details.field, JSON.stringify(definition)).toBe(field);
      }
      expectError(await t.call('GET', '/v1/tariffs/bad'), 404, 'FM_ERR_NOT_FOUND');
    });

    it('versions: next number by default, the same content again is a no-op, other content under an existing number is 409', async () => {
      const v2 = await t.http('POST', '/v1/tariffs/daily/versions', { key: t.keys.write, body: { effectiveFrom: '2024-06-16', definition: { ...daily, price: { model: 'per-unit', unitPrice: '1.80' } } } });
      expect(v2.status).toBe(201);
      expect(v2.json).toMatchObject({ result: 'created', version: { tariffId: 'daily', version: 2, effectiveFrom: '2024-06-16' } });
      const again = await t.call('POST', '/v1/tariffs/daily/versions', { body: { version: 2, effectiveFrom: '2024-06-16', definition: { ...daily, price: { model: 'per-unit', unitPrice: '1.80' } } } });
      expect(again.status).toBe(200);
      expect(again.json.result).toBe('unchanged');
      const edit = await t.call('POST', '/v1/tariffs/daily/versions', { body: { version: 2, effectiveFrom: '2024-06-16', definition: { ...daily, price: { model: 'per-unit', unitPrice: '9.99' } } } });
      expectError(edit, 409, 'FM_ERR_CONFLICT');
      expect(edit.json.details).toMatchObject({ version: 2, nextVersion: 3 });
      expectError(await t.call('POST', '/v1/tariffs/daily/versions', { body: { version: 7, effectiveFrom: '2024-08-01', definition: daily } }), 409, 'FM_ERR_CONFLICT');
      expectError(await t.call('POST', '/v1/tariffs/nope/versions', { body: { effectiveFrom: '2024-08-01', definition: daily } }), 404, 'FM_ERR_NOT_FOUND');
    });

    it('a version dated on or before the latest is 409 listing the versions it conflicts with; correction accepts it', async () => {
      const r = await t.call('POST', '/v1/tariffs/daily/versions', { body: { effectiveFrom: '2024-05-01', definition: daily } });
      expectError(r, 409, 'FM_ERR_EFFECTIVE_DATE_CONFLICT');
      expect(r.json.details.conflicts).toEqual([{ version: 2, effectiveFrom: '2024-06-16' }]);
      const c = await t.call('POST', '/v1/tariffs/daily/versions', { body: { effectiveFrom: '2024-06-16', definition: { ...daily, price: { model: 'per-unit', unitPrice: '1.75' } }, correction: true } });
      expect(c.status).toBe(201);
      expect(c.json.version.version).toBe(3);
      const got = await t.call('GET', '/v1/tariffs/daily/versions/3', { key: t.keys.read });
      expect(got.json.definition.price).toEqual({ model: 'per-unit', unitPrice: '1.75' });
      expectError(await t.call('GET', '/v1/tariffs/daily/versions/9'), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('GET', '/v1/tariffs/daily/versions/zero'), 400, 'FM_ERR_VALIDATION');
    });

    it('lists tariffs, filtered and sorted', async () => {
      const r = await t.call('GET', '/v1/tariffs?sort=-id', { key: t.keys.read });
      expectSchema(TariffPage, r.json);
      expect(r.json.items.map((x: { id: string; latestVersion: number }) => [x.id, x.latestVersion])).toEqual([
        ['tiers', 1],
        ['daily', 3],
      ]);
      expect((await t.call('GET', '/v1/tariffs?unit=hour')).json.items.map((x: { id: string }) => x.id)).toEqual(['tiers']);
      expect((await t.call('GET', '/v1/tariffs?currency=RUB')).json.items).toEqual([]);
      expectError(await t.call('GET', '/v1/tariffs?unit=week'), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('GET', '/v1/tariffs', { key: null }), 401, 'FM_ERR_UNAUTHORIZED');
    });

    it('tariff assignments: account level, device override, no-op, 409 on dates, currency and unknown ids', async () => {
      const a = await t.http('POST', '/v1/accounts/eu/tariff-assignments', { key: t.keys.write, body: { tariffId: 'daily', effectiveFrom: '2024-01-01' } });
      expect(a.status).toBe(201);
      expect(a.json).toMatchObject({ result: 'created', assignment: { accountId: 'eu', deviceId: null, tariffId: 'daily', effectiveFrom: '2024-01-01' } });
      expect((await t.call('POST', '/v1/accounts/eu/tariff-assignments', { body: { tariffId: 'daily', effectiveFrom: '2024-01-01' } })).json.result).toBe('unchanged');
      expect((await t.call('POST', '/v1/accounts/eu/tariff-assignments', { body: { tariffId: 'daily', effectiveFrom: '2024-02-01' } })).json.result).toBe('unchanged');
      const dev = await t.call('POST', '/v1/accounts/eu/tariff-assignments', { body: { tariffId: 'tiers', deviceId: 'd1', effectiveFrom: '2024-03-01' } });
      expect(dev.status).toBe(201);
      const late = await t.call('POST', '/v1/accounts/eu/tariff-assignments', { body: { tariffId: 'tiers', effectiveFrom: '2023-12-01' } });
      expectError(late, 409, 'FM_ERR_EFFECTIVE_DATE_CONFLICT');
      expect(late.json.details.conflicts).toEqual([{ effectiveFrom: '2024-01-01', value: 'daily', recordedAt: expect.any(String) }]);
      expect((await t.call('POST', '/v1/accounts/eu/tariff-assignments', { body: { tariffId: 'tiers', effectiveFrom: '2023-12-01', correction: true } })).status).toBe(201);
      const rub = await t.call('POST', '/v1/accounts/ru/tariff-assignments', { body: { tariffId: 'daily', effectiveFrom: '2024-01-01' } });
      expectError(rub, 409, 'FM_ERR_CONFLICT');
      expect(rub.json.details.field).toBe('tariffId');
      expectError(await t.call('POST', '/v1/accounts/eu/tariff-assignments', { body: { tariffId: 'nope', effectiveFrom: '2024-07-01' } }), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('POST', '/v1/accounts/nope/tariff-assignments', { body: { tariffId: 'daily', effectiveFrom: '2024-07-01' } }), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('POST', '/v1/accounts/eu/tariff-assignments', { body: { tariffId: 'daily', deviceId: 'stranger', effectiveFrom: '2024-07-01' } }), 404, 'FM_ERR_NOT_FOUND');
      const list = await t.call('GET', '/v1/accounts/eu/tariff-assignments', { key: t.keys.read });
      expectSchema(TariffAssignmentPage, list.json);
      expect(list.json.items.map((x: { deviceId: string | null; tariffId: string; effectiveFrom: string }) => [x.deviceId, x.tariffId, x.effectiveFrom])).toEqual([
        [null, 'tiers', '2023-12-01'],
        [null, 'daily', '2024-01-01'],
        ['d1', 'tiers', '2024-03-01'],
      ]);
      expect((await t.call('GET', '/v1/accounts/eu/tariff-assignments?level=device')).json.items).toHaveLength(1);
      expectError(await t.call('GET', '/v1/accounts/nope/tariff-assignments'), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('GET', '/v1/accounts/eu/tariff-assignments?level=fleet'), 400, 'FM_ERR_VALIDATION');
      // The rating configuration is what the API wrote: d1 rates under "tiers" from March.
      const config = await t.api.services.rating.loadConfig(['eu']);
      expect(config.versionFor('eu', 'd1', '2024-03-05')?.tariffId).toBe('tiers');
      expect(config.versionFor('eu', 'other', '2024-03-05')?.tariffId).toBe('daily');
    });

    it('a new version in another currency than its accounts is 409', async () => {
      const r = await t.call('POST', '/v1/tariffs/daily/versions', { body: { effectiveFrom: '2025-01-01', definition: { ...daily, currency: 'USD' } } });
      expectError(r, 409, 'FM_ERR_CONFLICT');
      expect(r.json.details.accounts).toEqual(['eu']);
    });
  });
}
