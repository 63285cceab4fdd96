/**
 * Money reads presence exactly; live usage may lag. Two gateway instances share one ClickHouse:
 * this process serves the API (its engine on the live read cache, `CachedPresenceStorage`), the
 * "other instance" is a second engine writing presence (and records) into the same tables behind
 * this process's cache. Closing a period, the adjustments of a later close, a billing run and
 * reconcile must all see the other instance's minutes at once; live usage catches up within its
 * documented freshness (the cache's refresh age, 60 s; the cache's clock is driven by the test).
 *
 * Tariff: 0.10 EUR per online minute, VAT 22 % on top, account in UTC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryRecord } from '../protocols/record.ts';
import { PresenceEngine } from '../rating/engine.ts';
import { ClickHousePresenceStorage } from '../rating/presence-store.ts';
import { RECORD_COLUMNS, recordRows } from '../store/records.ts';
import type { Store } from '../store/types.ts';
import { backends } from './support/backends.ts';
import { startTestApi, type TestApi } from './api-support.ts';

const IMEI = '352093086400777';

/** One record per minute, `minutes` minutes from `startUtc`, received 2 s after its device time. */
function minutes(startUtc: number, count: number): TelemetryRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    protocol: 'teltonika', deviceId: IMEI, deviceTime: startUtc + i * 60_000 + 10_000, receivedAt: startUtc + i * 60_000 + 12_000, latitude: 54.68, longitude: 25.25,
    altitude: 110, speed: 40, course: 90, satellites: 9, hdop: 1, valid: true, priority: 0, eventId: 0, io: [], archive: false,
  }));
}

let frame = 1000;
/** Committed records, as the pipeline writes them (RowBinary rows). */
async function storeRecords(store: Store, records: readonly TelemetryRecord[]): Promise<void> {
  await store.insertRowBinary('records', RECORD_COLUMNS, recordRows(records, 'tcp', () => frame++));
}

/** Another gateway instance: records committed, presence committed under its own writer ids. */
async function otherInstanceIngests(store: Store, records: readonly TelemetryRecord[]): Promise<void> {
  await storeRecords(store, records);
  const other = new PresenceEngine({ storage: new ClickHousePresenceStorage(store) });
  await other.ingest(records);
}

const usageLine = (doc: { lines: { kind: string; quantity: string }[] }) => doc.lines.filter((l) => l.kind === 'usage').map((l) => l.quantity);
const adjustmentsOf = (doc: { adjustments: { originalPeriod: { from: string }; quantity: string; total: string }[] }) =>
  doc.adjustments.map((a) => `${a.originalPeriod.from} ${a.quantity} ${a.total}`);

for (const backend of backends) {
  describe(`exact presence for money, live usage within its freshness, on ${backend.name}`, () => {
    let t: TestApi;
    let store: Store;
    let cleanup: () => Promise<void>;
    /** The live cache's clock: real time plus what the test has advanced it by. */
    let skew = 0;
    const deviceUsage = async () => (await t.call('GET', `/v1/devices/${IMEI}/usage?from=2024-03-01&to=2024-04-01`)).json.onlineMinutes as number;

    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      store = opened.store;
      t = await startTestApi(store, { presenceCache: { now: () => Date.now() + skew } });
      await t.post('/v1/accounts', { id: 'acme', name: 'Acme', timeZone: 'UTC', currency: 'EUR' });
      await t.post('/v1/tariffs', { id: 'minute', effectiveFrom: '2020-01-01', definition: { name: 'Minute', unit: 'minute', price: { model: 'per-unit', unitPrice: '0.10' }, currency: 'EUR' } });
      // From March 2024: March is the first period to close (periods close in order from the first assignment).
      await t.post('/v1/accounts/acme/tariff-assignments', { tariffId: 'minute', effectiveFrom: '2024-03-01' });
      await t.post('/v1/devices', { id: IMEI, protocol: 'teltonika', account: { accountId: 'acme', effectiveFrom: '2024-03-01' } });
      // This instance ingests 10 minutes on March 10 (committed records, then the engine).
      const own = minutes(Date.UTC(2024, 2, 10, 9, 0), 10);
      await storeRecords(store, own);
      await t.live.engine.ingest(own);
    }, 60_000);
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('closing a period counts the other instance\'s minutes at once; reconcile agrees; live usage catches up within its freshness', async () => {
      // Live reads warm the cache: the draft and the device's usage see this instance's 10 minutes.
      expect(usageLine((await t.call('GET', '/v1/accounts/acme/statements/2024-03')).json)).toEqual(['10']);
      expect(await deviceUsage()).toBe(10);

      // The other instance stores 5 minutes of March 12 behind this process's cache.
      await otherInstanceIngests(store, minutes(Date.UTC(2024, 2, 12, 15, 0), 5));
      // Precondition (else this test proves nothing): live usage is served from the warm cache and
      // still lags, as it may for up to the cache's refresh age.
      expect(await deviceUsage()).toBe(10);

      const closed = await t.call('POST', '/v1/accounts/acme/statements/2024-03/close');
      expect(closed.status, closed.text).toBe(201);
      expect(usageLine(closed.json)).toEqual(['15']);
      expect(closed.json.totals).toEqual({ amount: '1.50', vat: '0.33', total: '1.83' });

      const rec = await t.call('POST', '/v1/accounts/acme/reconcile', { body: { period: '2024-03' } });
      expect(rec.json, rec.text).toMatchObject({ status: 'closed', records: 15, ok: true, presence: [], statement: [] });

      // Live usage: once an entry is older than the refresh age (60 s), the next read refreshes it.
      skew += 61_000;
      const deadline = Date.now() + 15_000;
      let seen = await deviceUsage();
      while (seen !== 15 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        seen = await deviceUsage();
      }
      expect(seen).toBe(15);
    }, 60_000);

    it('a later close carries adjustments for late data the other instance stored for the closed period', async () => {
      // The cache holds March (just refreshed). Black-box data for March 20 arrives at the other instance.
      await otherInstanceIngests(store, minutes(Date.UTC(2024, 2, 20, 6, 0), 3));
      expect(await deviceUsage()).toBe(15); // precondition: live still lags

      const april = await t.call('POST', '/v1/accounts/acme/statements/2024-04/close');
      expect(april.status, april.text).toBe(201);
      expect(adjustmentsOf(april.json)).toEqual(['2024-03-01 3 0.37']);
      const rec = await t.call('POST', '/v1/accounts/acme/reconcile', { body: { period: '2024-03' } });
      expect(rec.json, rec.text).toMatchObject({ status: 'closed', records: 18, ok: true });
    }, 60_000);

    it('a billing run prices late data of a closed period from exact presence', async () => {
      // Live usage over March–May caches every day the May draft and its re-rating of March read.
      const wide = async () => (await t.call('GET', `/v1/devices/${IMEI}/usage?from=2024-03-01&to=2024-06-01`)).json.onlineMinutes as number;
      expect(await wide()).toBe(18);
      await otherInstanceIngests(store, minutes(Date.UTC(2024, 2, 21, 6, 0), 2));
      expect(await wide()).toBe(18); // precondition: live still lags

      const run = await t.call('GET', '/v1/statements?period=2024-05');
      expect(run.status, run.text).toBe(200);
      const acme = run.json.items.find((s: { accountId: string }) => s.accountId === 'acme');
      expect(acme).toMatchObject({ status: 'draft', adjustments: 1, totals: { amount: '0.20', vat: '0.04', total: '0.24' } });
    }, 60_000);
  });
}
