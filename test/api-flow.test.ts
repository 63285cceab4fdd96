/**
 * The whole path through the REST API, on each storage backend: an account, a tariff with a second
 * version and a device are created over HTTP; the device sends its black box over TCP to a gateway
 * that shares the store and the rating engine (wired as `fleetmeter serve` wires them); usage and
 * the draft statement then match an invoice computed by hand.
 *
 * The invoice (account "acme", Europe/Moscow = UTC+3, RUB, June 2024), tariff "hourly": one unit
 * per local hour with ≥ 5 online minutes, per-unit price, VAT 22 % on top:
 *   v1 from 2020-01-01: 12.35 RUB/hour;  v2 from 2024-06-16: 15.55 RUB/hour.
 * The device reports one record a minute:
 *   June 10 09:00–11:59 local (06:00–08:59Z): 180 minutes → hours 09, 10, 11 = 3 units (v1)
 *   June 10 13:00–13:03 local (10:00–10:03Z):   4 minutes → hour 13 has 4 < 5 minutes: 0 units
 *   June 20 10:00–10:29 local (07:00–07:29Z):  30 minutes → hour 10 = 1 unit (v2)
 *   (the first packet is sent twice, as after a lost ack: nothing counts twice)
 * Online minutes 180 + 4 + 30 = 214.
 *   line v1: 3 × 12.35 = 37.05;  VAT 37.05 × 0.22 = 8.151 → 8.15 (half-up, per line);  total 45.20
 *   line v2: 1 × 15.55 = 15.55;  VAT 15.55 × 0.22 = 3.421 → 3.42;                      total 18.97
 *   statement: amount 37.05 + 15.55 = 52.60;  VAT 8.15 + 3.42 = 11.57;  total 45.20 + 18.97 = 64.17
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAvlPacket, encodeImei, type AvlRecordInput } from '../protocols/teltonika/index.ts';
import { AccountUsage, DeviceUsage } from '../api/schemas/usage.ts';
import { StatementDoc } from '../api/schemas/statements.ts';
import { backends } from './support/backends.ts';
import { TcpDevice } from './support/device.ts';
import { expectSchema, startTestApi, type TestApi } from './api-support.ts';

const IMEI = '352093086403999';
const minutes = (startUtc: number, n: number): AvlRecordInput[] =>
  Array.from({ length: n }, (_, i) => ({ deviceTime: startUtc + i * 60_000 + 17_000, latitude: 55.75, longitude: 37.62, satellites: 9, speed: 30, course: 180 }));

for (const backend of backends) {
  describe(`REST API end to end on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store, { gateway: true });
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('account, tariff + version and device created through the API', async () => {
      const acc = await t.http('POST', '/v1/accounts', { key: t.keys.write, body: { id: 'acme', externalId: '7701234567', name: 'ООО «Ромашка»', timeZone: 'Europe/Moscow', currency: 'RUB' } });
      expect(acc.status).toBe(201);
      const definition = { name: 'Почасовой', unit: 'hour', minActiveMinutes: 5, price: { model: 'per-unit', unitPrice: '12.35' }, currency: 'RUB' };
      expect((await t.http('POST', '/v1/tariffs', { key: t.keys.write, body: { id: 'hourly', effectiveFrom: '2020-01-01', definition } })).status).toBe(201);
      const v2 = await t.http('POST', '/v1/tariffs/hourly/versions', { key: t.keys.write, body: { effectiveFrom: '2024-06-16', definition: { ...definition, price: { model: 'per-unit', unitPrice: '15.55' } } } });
      expect(v2.status).toBe(201);
      expect(v2.json.version).toMatchObject({ version: 2, effectiveFrom: '2024-06-16' });
      expect((await t.http('POST', '/v1/accounts/acme/tariff-assignments', { key: t.keys.write, body: { tariffId: 'hourly', effectiveFrom: '2020-01-01' } })).status).toBe(201);
      const dev = await t.http('POST', '/v1/devices', { key: t.keys.write, body: { id: IMEI, protocol: 'teltonika', account: { accountId: 'acme', effectiveFrom: '2020-01-01' } } });
      expect(dev.status).toBe(201);
      expect(dev.json.account).toEqual({ accountId: 'acme', since: '2020-01-01' });
    });

    it('the device uploads its black box over TCP; every packet is acked', async () => {
      const d = await TcpDevice.connect(t.gateway!.ports.teltonikaTcp!);
      d.write(encodeImei(IMEI));
      expect((await d.read(1)).toString('hex')).toBe('01');
      const packets = [minutes(Date.UTC(2024, 5, 10, 6, 0), 180), minutes(Date.UTC(2024, 5, 10, 10, 0), 4), minutes(Date.UTC(2024, 5, 20, 7, 0), 30)].flatMap((recs) => {
        const out: AvlRecordInput[][] = [];
        for (let i = 0; i < recs.length; i += 50) out.push(recs.slice(i, i + 50));
        return out;
      });
      for (const p of [packets[0], ...packets]) {
        d.write(encodeAvlPacket(0x8e, p));
        expect((await d.read(4)).readUInt32BE(0)).toBe(p.length);
      }
      d.close();
    });

    it('device usage: 214 minutes, 3 units under v1 and 1 under v2, priced per unit', async () => {
      const r = await t.http('GET', `/v1/devices/${IMEI}/usage?from=2024-06-01&to=2024-07-01`, { key: t.keys.read });
      expect(r.status).toBe(200);
      expectSchema(DeviceUsage, r.json);
      expect(r.json).toMatchObject({ deviceId: IMEI, period: { from: '2024-06-01', to: '2024-07-01' }, onlineMinutes: 214, implausibleMinutes: 0 });
      const [part] = r.json.accounts;
      expect(part).toMatchObject({ accountId: 'acme', timeZone: 'Europe/Moscow', currency: 'RUB', onlineMinutes: 214 });
      expect(part.units.map((u: { tariffVersion: number; quantity: string; estimate: unknown }) => [u.tariffVersion, u.quantity, u.estimate])).toEqual([
        [1, '3', { amount: '37.05', vat: '8.15', total: '45.20' }],
        [2, '1', { amount: '15.55', vat: '3.42', total: '18.97' }],
      ]);
      expect(part.estimate).toEqual({ amount: '52.60', vat: '11.57', total: '64.17' });
    });

    it('account usage by day: June 10 and June 20 only', async () => {
      const r = await t.http('GET', '/v1/accounts/acme/usage?from=2024-06-01&to=2024-07-01&granularity=day', { key: t.keys.read });
      expect(r.status).toBe(200);
      expectSchema(AccountUsage, r.json);
      expect(r.json.days).toEqual([
        { date: '2024-06-10', onlineMinutes: 184, implausibleMinutes: 0, units: [{ tariffId: 'hourly', tariffVersion: 1, unit: 'hour', quantity: '3' }] },
        { date: '2024-06-20', onlineMinutes: 30, implausibleMinutes: 0, units: [{ tariffId: 'hourly', tariffVersion: 2, unit: 'hour', quantity: '1' }] },
      ]);
      expect(r.json.totals).toEqual({ amount: '52.60', vat: '11.57', total: '64.17' });
    });

    it('the draft statement is the hand-computed invoice, served as canonical JSON', async () => {
      const r = await t.http('GET', '/v1/accounts/acme/statements/2024-06', { key: t.keys.read });
      expect(r.status).toBe(200);
      expect(r.headers['x-statement-status']).toBe('draft');
      expectSchema(StatementDoc, r.json);
      const doc = r.json;
      expect(doc.lines.map((l: { kind: string; tariffVersion: number; segment: unknown; quantity: string; amount: string; vat: string; total: string }) => [l.kind, l.tariffVersion, l.segment, l.quantity, l.amount, l.vat, l.total])).toEqual([
        ['usage', 1, { from: '2024-06-01', to: '2024-06-16' }, '3', '37.05', '8.15', '45.20'],
        ['usage', 2, { from: '2024-06-16', to: '2024-07-01' }, '1', '15.55', '3.42', '18.97'],
      ]);
      expect(doc.totals).toEqual({ amount: '52.60', vat: '11.57', total: '64.17' });
      expect(doc.devices).toEqual([{ deviceId: IMEI, onlineMinutes: 214, implausibleMinutes: 0, units: [{ ref: 'hourly@1/2024-06-01..2024-06-16', quantity: '3' }, { ref: 'hourly@2/2024-06-16..2024-07-01', quantity: '1' }] }]);
      // Byte for byte what rating produces (canonical, hashed): the ETag is its SHA-256.
      const own = await t.api.services.rating.statement('acme', { from: '2024-06-01', to: '2024-07-01' });
      expect(r.text).toBe(own.json);
      expect(r.headers.etag).toBe(`"${own.hash}"`);
    });
  });
}
