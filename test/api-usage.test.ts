/**
 * Live usage for a device and an account: minutes, units, money so far; fresh at once after
 * ingest (the engine's memory) and after configuration changes; ranges, defaults and errors.
 * Records reach the engine through the same sink the gateway calls after each commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryRecord } from '../protocols/record.ts';
import { AccountUsage, DeviceUsage } from '../api/schemas/usage.ts';
import { backends } from './support/backends.ts';
import { expectError, expectSchema, startTestApi, type TestApi } from './api-support.ts';

const rec = (deviceId: string, deviceTime: number): TelemetryRecord => ({
  protocol: 'teltonika',
  deviceId,
  deviceTime,
  receivedAt: deviceTime + 1000,
  latitude: 52.5,
  longitude: 13.4,
  altitude: 40,
  speed: 20,
  course: 90,
  satellites: 8,
  hdop: null,
  valid: true,
  priority: 0,
  eventId: null,
  io: [],
  archive: false,
});
/** One record in each of `n` consecutive minutes from `startUtc`. */
const minutes = (deviceId: string, startUtc: number, n: number) => Array.from({ length: n }, (_, i) => rec(deviceId, startUtc + i * 60_000 + 5_000));

for (const backend of backends) {
  describe(`usage on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store);
      await t.post('/v1/accounts', { id: 'berlin', name: 'Berlin', timeZone: 'Europe/Berlin', currency: 'EUR' });
      await t.post('/v1/accounts', { id: 'tiered', name: 'Tiered', timeZone: 'UTC', currency: 'EUR' });
      await t.post('/v1/accounts', { id: 'bare', name: 'No tariff', timeZone: 'UTC', currency: 'EUR' });
      await t.post('/v1/tariffs', { id: 'minute', effectiveFrom: '2020-01-01', definition: { name: 'Per minute', unit: 'minute', price: { model: 'per-unit', unitPrice: '0.01' }, currency: 'EUR' } });
      await t.post('/v1/tariffs', { id: 'tiers', effectiveFrom: '2020-01-01', definition: { name: 'Tiers', unit: 'minute', price: { model: 'graduated', tiers: [{ upTo: '5', unitPrice: '0.10' }, { upTo: null, unitPrice: '0.01' }] }, currency: 'EUR' } });
      await t.post('/v1/accounts/berlin/tariff-assignments', { tariffId: 'minute', effectiveFrom: '2020-01-01' });
      await t.post('/v1/accounts/tiered/tariff-assignments', { tariffId: 'tiers', effectiveFrom: '2020-01-01' });
      await t.post('/v1/devices', { id: 'd1', protocol: 'teltonika', account: { accountId: 'berlin', effectiveFrom: '2020-01-01' } });
      await t.post('/v1/devices', { id: 'd2', protocol: 'teltonika', account: { accountId: 'tiered', effectiveFrom: '2020-01-01' } });
      await t.post('/v1/devices', { id: 'd3', protocol: 'teltonika', account: { accountId: 'bare', effectiveFrom: '2020-01-01' } });
      // d1: 10 minutes on June 5 2024 (12:00–12:09Z = 14:00 Berlin), 20 on June 6.
      await t.live.ingest([...minutes('d1', Date.UTC(2024, 5, 5, 12), 10), ...minutes('d1', Date.UTC(2024, 5, 6, 8), 20)]);
      // d2: 12 minutes on June 5; d3: 7 minutes, no tariff.
      await t.live.ingest([...minutes('d2', Date.UTC(2024, 5, 5, 12), 12), ...minutes('d3', Date.UTC(2024, 5, 5, 12), 7)]);
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('device usage over a range: minutes, units, a per-unit estimate with VAT', async () => {
      const r = await t.http('GET', '/v1/devices/d1/usage?from=2024-06-01&to=2024-07-01', { key: t.keys.read });
      expect(r.status).toBe(200);
      expectSchema(DeviceUsage, r.json);
      expect(r.json).toMatchObject({ deviceId: 'd1', granularity: 'total', onlineMinutes: 30 });
      // 30 minutes × 0.01 = 0.30; VAT 22 % = 0.066 → 0.07; total 0.37.
      expect(r.json.accounts[0].units).toEqual([
        { ref: 'minute@1/2024-06-01..2024-07-01', tariffId: 'minute', tariffVersion: 1, unit: 'minute', segment: { from: '2024-06-01', to: '2024-07-01' }, quantity: '30', pricing: 'per-unit', estimate: { amount: '0.30', vat: '0.07', total: '0.37' } },
      ]);
    });

    it('fresh at once: a newly committed record changes the next answer', async () => {
      const before = (await t.call('GET', '/v1/devices/d1/usage?from=2024-06-01&to=2024-07-01')).json.onlineMinutes;
      await t.live.ingest(minutes('d1', Date.UTC(2024, 5, 7, 9), 3));
      const after = (await t.call('GET', '/v1/devices/d1/usage?from=2024-06-01&to=2024-07-01')).json.onlineMinutes;
      expect([before, after]).toEqual([30, 33]);
      // Flushed to storage and read back through the cache: the same figure.
      expect((await t.call('GET', '/v1/devices/d1/usage?from=2024-06-01&to=2024-07-01')).json.onlineMinutes).toBe(33);
    });

    it('by day: local days of the account', async () => {
      const r = await t.call('GET', '/v1/devices/d1/usage?from=2024-06-05&to=2024-06-08&granularity=day');
      expect(r.json.accounts[0].days).toEqual([
        { date: '2024-06-05', onlineMinutes: 10, implausibleMinutes: 0, units: [{ tariffId: 'minute', tariffVersion: 1, unit: 'minute', quantity: '10' }] },
        { date: '2024-06-06', onlineMinutes: 20, implausibleMinutes: 0, units: [{ tariffId: 'minute', tariffVersion: 1, unit: 'minute', quantity: '20' }] },
        { date: '2024-06-07', onlineMinutes: 3, implausibleMinutes: 0, units: [{ tariffId: 'minute', tariffVersion: 1, unit: 'minute', quantity: '3' }] },
      ]);
    });

    it('tiered pricing has no per-device estimate; the account usage prices it', async () => {
      const d = await t.call('GET', '/v1/devices/d2/usage?from=2024-06-01&to=2024-07-01');
      expect(d.json.accounts[0].units[0]).toMatchObject({ quantity: '12', pricing: 'graduated', estimate: null });
      expect(d.json.accounts[0].estimate).toBeNull();
      const a = await t.http('GET', '/v1/accounts/tiered/usage?from=2024-06-01&to=2024-07-01', { key: t.keys.read });
      expectSchema(AccountUsage, a.json);
      // 5 × 0.10 + 7 × 0.01 = 0.57; VAT 0.1254 → 0.13; total 0.70.
      expect(a.json.lines).toEqual([expect.objectContaining({ kind: 'usage', quantity: '12', amount: '0.57', vat: '0.13', total: '0.70' })]);
      expect(a.json.totals).toEqual({ amount: '0.57', vat: '0.13', total: '0.70' });
      expect(a.json.devices).toEqual([{ deviceId: 'd2', onlineMinutes: 12, implausibleMinutes: 0, units: [{ ref: 'tiers@1/2024-06-01..2024-07-01', quantity: '12' }] }]);
    });

    it('usage without a tariff is reported as unrated, never billed', async () => {
      const a = await t.call('GET', '/v1/accounts/bare/usage?from=2024-06-01&to=2024-07-01');
      expect(a.json).toMatchObject({ onlineMinutes: 7, unratedMinutes: 7, lines: [], totals: { amount: '0.00', vat: '0.00', total: '0.00' } });
    });

    it('a device moved mid-month is reported per account, and a tariff change shows at once', async () => {
      expect((await t.call('POST', '/v1/devices/d1/assignments', { body: { accountId: 'tiered', effectiveFrom: '2024-06-06', correction: true } })).status).toBe(201);
      const r = await t.call('GET', '/v1/devices/d1/usage?from=2024-06-01&to=2024-07-01');
      // June 6 starts at 00:00 UTC for "tiered" (UTC): June 5 stays on berlin, June 6–7 go to tiered.
      expect(r.json.accounts.map((a: { accountId: string; onlineMinutes: number }) => [a.accountId, a.onlineMinutes])).toEqual([
        ['berlin', 10],
        ['tiered', 23],
      ]);
      expect((await t.call('POST', '/v1/accounts/tiered/tariff-assignments', { body: { tariffId: 'minute', effectiveFrom: '2024-06-01', correction: true } })).status).toBe(201);
      const again = await t.call('GET', '/v1/devices/d1/usage?from=2024-06-01&to=2024-07-01');
      expect(again.json.accounts[1].units[0]).toMatchObject({ tariffId: 'minute', quantity: '23', estimate: { amount: '0.23' } });
    });

    it('default range: the current month in the account\'s zone; from alone runs to the end of its month', async () => {
      const now = new Date();
      const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
      const r = await t.call('GET', '/v1/accounts/bare/usage');
      expect(r.json.period.from).toBe(`${month}-01`);
      const from = await t.call('GET', '/v1/devices/d3/usage?from=2024-02-10');
      expect(from.json.period).toEqual({ from: '2024-02-10', to: '2024-03-01' });
      const to = await t.call('GET', '/v1/devices/d3/usage?to=2024-03-01');
      expect(to.json.period).toEqual({ from: '2024-02-01', to: '2024-03-01' });
    });

    it('errors: unknown ids 404, bad ranges 400 naming the field', async () => {
      expectError(await t.call('GET', '/v1/devices/nobody/usage'), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('GET', '/v1/accounts/nobody/usage'), 404, 'FM_ERR_NOT_FOUND');
      const back = await t.call('GET', '/v1/devices/d1/usage?from=2024-06-10&to=2024-06-01');
      expectError(back, 400, 'FM_ERR_VALIDATION');
      expect(back.json.details.field).toBe('to');
      expectError(await t.call('GET', '/v1/devices/d1/usage?from=2022-01-01&to=2024-01-01'), 400, 'FM_ERR_VALIDATION');
      const fmt = await t.call('GET', '/v1/devices/d1/usage?from=June');
      expect(fmt.json.details.field).toBe('querystring.from');
      expectError(await t.call('GET', '/v1/devices/d1/usage?granularity=hour'), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('GET', '/v1/devices/d1/usage', { key: null }), 401, 'FM_ERR_UNAUTHORIZED');
    });
  });
}
