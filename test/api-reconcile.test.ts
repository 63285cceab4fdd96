/**
 * Reconcile through the API: records that came in over TCP agree with stored presence and the
 * statement (ok); a record stored behind the engine's back (as if its presence write were lost)
 * is reported, minute by minute, and as the statement line it would change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAvlPacket, encodeImei } from '../protocols/teltonika/index.ts';
import type { TelemetryRecord } from '../protocols/record.ts';
import { RECORD_COLUMNS, recordRows } from '../store/records.ts';
import { ReconcileReport } from '../api/schemas/reconcile.ts';
import { backends } from './support/backends.ts';
import { TcpDevice } from './support/device.ts';
import { expectError, expectSchema, startTestApi, type TestApi } from './api-support.ts';

const IMEI = '352093086400555';

for (const backend of backends) {
  describe(`reconcile on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store, { gateway: true });
      await t.post('/v1/accounts', { id: 'acme', name: 'Acme', timeZone: 'UTC', currency: 'EUR' });
      await t.post('/v1/tariffs', { id: 'minute', effectiveFrom: '2024-03-01', definition: { name: 'Minute', unit: 'minute', price: { model: 'per-unit', unitPrice: '0.10' }, currency: 'EUR' } });
      await t.post('/v1/accounts/acme/tariff-assignments', { tariffId: 'minute', effectiveFrom: '2024-03-01' });
      await t.post('/v1/devices', { id: IMEI, protocol: 'teltonika', account: { accountId: 'acme', effectiveFrom: '2024-03-01' } });
      const d = await TcpDevice.connect(t.gateway!.ports.teltonikaTcp!);
      d.write(encodeImei(IMEI));
      await d.read(1);
      d.write(encodeAvlPacket(0x8e, Array.from({ length: 20 }, (_, i) => ({ deviceTime: Date.UTC(2024, 2, 10, 9, i, 30), satellites: 5 }))));
      await d.read(4);
      d.close();
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('records, stored presence and the statement agree: ok', async () => {
      const r = await t.http('POST', '/v1/accounts/acme/reconcile', { key: t.keys.write, body: { period: '2024-03' } });
      expect(r.status).toBe(200);
      expectSchema(ReconcileReport, r.json);
      expect(r.json).toMatchObject({ accountId: 'acme', period: { from: '2024-03-01', to: '2024-04-01' }, status: 'draft', devices: 1, records: 20, ok: true, presence: [], statement: [] });
    });

    it('a record whose presence never reached storage is reported with its minute and the line it changes', async () => {
      const lost: TelemetryRecord = {
        protocol: 'teltonika', deviceId: IMEI, deviceTime: Date.UTC(2024, 2, 11, 7, 5, 0), receivedAt: Date.UTC(2024, 2, 11, 7, 5, 3), latitude: null, longitude: null,
        altitude: null, speed: null, course: null, satellites: null, hdop: null, valid: false, priority: null, eventId: null, io: [], archive: false,
      };
      await t.api.services.store.insertRowBinary('records', RECORD_COLUMNS, recordRows([lost], 'tcp', 42));
      const r = await t.call('POST', '/v1/accounts/acme/reconcile', { body: { period: '2024-03' } });
      expect(r.json.ok).toBe(false);
      expect(r.json.records).toBe(21);
      expect(r.json.presence).toEqual([{ deviceId: IMEI, day: '2024-03-11', kind: 'device-time', missingInPersisted: [7 * 60 + 5], extraInPersisted: [] }]);
      expect(r.json.statement).toEqual([expect.objectContaining({ ref: 'minute@1/2024-03-01..2024-04-01', quantity: '1', amount: '0.10', vat: '0.02', total: '0.12' })]);
      // The mismatch is a billing event (webhooks, change feed), once, naming the device.
      await t.call('POST', '/v1/accounts/acme/reconcile', { body: { period: '2024-03' } });
      const events = (await t.api.services.events.after(null, { limit: 100, types: ['reconcile.mismatch'] })).filter((e) => e.accountId === 'acme');
      expect(events).toHaveLength(1);
      expect(events[0].data).toMatchObject({ accountId: 'acme', presenceDifferences: 1, statementLines: 1, devices: [IMEI] });
    });

    it('repair of a closed period: the statement stays as issued, the minute reaches the next open one as an adjustment', async () => {
      const closed = await t.call('POST', '/v1/accounts/acme/statements/2024-03/close');
      expect(closed.status).toBe(201);
      const before = await t.call('GET', '/v1/accounts/acme/statements/2024-03');
      const r = await t.http('POST', '/v1/accounts/acme/reconcile', { key: t.keys.write, body: { period: '2024-03', repair: true } });
      expect(r.status).toBe(200);
      expectSchema(ReconcileReport, r.json);
      expect(r.json).toMatchObject({ status: 'closed', ok: true, presence: [], statement: [], repair: { rows: 1, minutes: 1 } });
      expect(r.json.repair.found).toEqual([{ deviceId: IMEI, day: '2024-03-11', kind: 'device-time', missingInPersisted: [7 * 60 + 5], extraInPersisted: [] }]);
      const after = await t.call('GET', '/v1/accounts/acme/statements/2024-03');
      expect(after.text).toBe(before.text);
      const april = await t.call('GET', '/v1/accounts/acme/statements/2024-04');
      expect(april.json.adjustments).toEqual([expect.objectContaining({ originalPeriod: { from: '2024-03-01', to: '2024-04-01' }, quantity: '1', amount: '0.10', total: '0.12' })]);
      // again: nothing left to repair
      const again = await t.call('POST', '/v1/accounts/acme/reconcile', { body: { period: '2024-03', repair: true } });
      expect(again.json).toMatchObject({ ok: true, repair: { rows: 0, minutes: 0, found: [] } });
      expectError(await t.call('POST', '/v1/accounts/acme/reconcile', { key: t.keys.read, body: { period: '2024-03', repair: true } }), 403, 'FM_ERR_FORBIDDEN');
    });

    it('errors: 404 unknown account, 400 bad period, 403 for a read key', async () => {
      expectError(await t.call('POST', '/v1/accounts/nobody/reconcile', { body: { period: '2024-03' } }), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('POST', '/v1/accounts/acme/reconcile', { body: { period: 'March' } }), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('POST', '/v1/accounts/acme/reconcile', { body: {} }), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('POST', '/v1/accounts/acme/reconcile', { key: t.keys.read, body: { period: '2024-03' } }), 403, 'FM_ERR_FORBIDDEN');
    });
  });
}
