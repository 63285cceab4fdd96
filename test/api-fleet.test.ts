/**
 * Fleet health: who is online now, last seen and last position; billed devices that went silent;
 * devices sending data nobody bills (registered without account or tariff, or not registered at
 * all); counts at a glance. Sightings come from this process's committed records at once and from
 * ClickHouse's device_last_seen view (any instance) on refresh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryRecord } from '../protocols/record.ts';
import { Pipeline } from '../ingest/pipeline.ts';
import { FleetDevicePage, FleetSummary } from '../api/schemas/fleet.ts';
import { backends } from './support/backends.ts';
import { eventually } from './support/device.ts';
import { expectError, expectSchema, startTestApi, type TestApi } from './api-support.ts';

const rec = (deviceId: string, at: number, lat = 59.93, lon = 30.31): TelemetryRecord => ({
  protocol: 'wialon-ips', deviceId, deviceTime: at - 2000, receivedAt: at, latitude: lat, longitude: lon, altitude: 10, speed: 42, course: 270,
  satellites: 11, hdop: 0.9, valid: true, priority: null, eventId: null, io: [], archive: false,
});

for (const backend of backends) {
  describe(`fleet health on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    const now = Date.now();
    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store);
      await t.post('/v1/accounts', { id: 'acme', name: 'Acme', timeZone: 'Europe/Moscow', currency: 'RUB' });
      await t.post('/v1/accounts', { id: 'free', name: 'No tariff yet', timeZone: 'UTC', currency: 'RUB' });
      await t.post('/v1/tariffs', { id: 'daily', effectiveFrom: '2020-01-01', definition: { name: 'Daily', unit: 'day', price: { model: 'per-unit', unitPrice: '30' }, currency: 'RUB' } });
      await t.post('/v1/accounts/acme/tariff-assignments', { tariffId: 'daily', effectiveFrom: '2020-01-01' });
      const dev = (id: string, account?: string, status?: string) => t.post('/v1/devices', { id, protocol: 'wialon-ips', ...(status ? { status } : {}), ...(account ? { account: { accountId: account, effectiveFrom: '2020-01-01' } } : {}) });
      await dev('online', 'acme'); // billed, reporting now
      await dev('quiet', 'acme'); // billed, last heard 30 hours ago: silent
      await dev('never', 'acme'); // billed, never heard from: silent and never seen
      await dev('loose'); // registered, no account, reporting: unbilled
      await dev('notariff', 'free'); // on an account without a tariff, reporting: unbilled
      await dev('blocked', 'acme', 'blocked'); // blocked: neither billed nor a leak
      await t.live.ingest([rec('online', now - 60_000, 59.9, 30.3), rec('online', now - 30_000, 59.95, 30.35), rec('quiet', now - 30 * 3_600_000), rec('loose', now - 120_000), rec('notariff', now - 120_000), rec('stranger', now - 10_000), rec('blocked', now - 10_000)]);
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('counts at a glance', async () => {
      const r = await t.http('GET', '/v1/fleet/summary', { key: t.keys.read });
      expect(r.status).toBe(200);
      expectSchema(FleetSummary, r.json);
      expect(r.json.thresholds).toEqual({ onlineMinutes: 10, silentHours: 24 });
      expect(r.json.counts).toEqual({ registered: 6, blocked: 1, billed: 3, onlineNow: 5, silent: 2, unbilled: 3, unregistered: 1, neverSeen: 1 });
    });

    it('thresholds are parameters: with silentHours=48 "quiet" is not silent, and unbilled looks back 48 h', async () => {
      const r = await t.call('GET', '/v1/fleet/summary?silentHours=48&onlineMinutes=1');
      expect(r.json.counts).toMatchObject({ silent: 1, onlineNow: 3, unbilled: 3 });
      expectError(await t.call('GET', '/v1/fleet/summary?silentHours=0'), 400, 'FM_ERR_VALIDATION');
    });

    it('the devices behind each count, with last seen and last position', async () => {
      const all = await t.call('GET', '/v1/fleet/devices', { key: t.keys.read });
      expectSchema(FleetDevicePage, all.json);
      const online = all.json.items.find((d: { deviceId: string }) => d.deviceId === 'online');
      expect(online).toMatchObject({ registered: true, status: 'active', accountId: 'acme', tariffId: 'daily', billed: true, online: true, silent: false, unbilled: false });
      expect(online.lastSeen).toBe(new Date(now - 30_000).toISOString());
      expect(online.lastPosition).toEqual({ at: new Date(now - 32_000).toISOString(), latitude: 59.95, longitude: 30.35, speed: 42, course: 270 });
      const ids = async (q: string) => (await t.call('GET', `/v1/fleet/devices?${q}`)).json.items.map((d: { deviceId: string }) => d.deviceId);
      expect(await ids('state=silent')).toEqual(['never', 'quiet']);
      expect(await ids('state=unbilled')).toEqual(['loose', 'notariff', 'stranger']);
      expect(await ids('state=never-seen')).toEqual(['never']);
      expect(await ids('state=online&accountId=acme')).toEqual(['blocked', 'online']);
      expect(await ids('sort=-lastSeen&limit=3')).toEqual(['stranger', 'blocked', 'online']); // a tie on lastSeen: id breaks it
      expect((await t.call('GET', '/v1/fleet/devices?state=unbilled')).json.items.find((d: { deviceId: string }) => d.deviceId === 'stranger')).toMatchObject({ registered: false, status: null, protocol: 'wialon-ips', accountId: null });
      expectError(await t.call('GET', '/v1/fleet/devices?state=lost'), 400, 'FM_ERR_VALIDATION');
    });

    it('another instance\'s records reach fleet health through device_last_seen', async () => {
      // Another gateway instance (its own pipeline, same ClickHouse) commits a record from "quiet" a minute ago.
      const other = new Pipeline(t.api.services.store, null, null, null, { batchDelayMs: 5 }, { warn() {}, error() {} });
      await other.submit({ deviceId: 'quiet', protocol: 'wialon-ips', transport: 'tcp', receivedAt: now - 60_000, frame: Buffer.from('#D#…\r\n'), records: [rec('quiet', now - 60_000, 60.1, 30.1)] });
      await other.close();
      await t.live.fleet.refresh();
      const r = await eventually(
        () => t.call('GET', '/v1/fleet/summary'),
        (x) => x.json.counts.silent === 1,
      );
      expect(r.json.counts.onlineNow).toBe(6);
      const quiet = (await t.call('GET', '/v1/fleet/devices?state=online')).json.items.find((d: { deviceId: string }) => d.deviceId === 'quiet');
      expect(quiet.lastPosition).toMatchObject({ latitude: 60.1, longitude: 30.1 });
    });
  });
}
