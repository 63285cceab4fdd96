/**
 * A device's records for disputes: newest first, keyset-paged, filtered by device time, each with
 * the exact bytes of the frame that carried it — sent here over TCP to a real gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAvlPacket, encodeImei, type AvlRecordInput } from '../protocols/teltonika/index.ts';
import { RecordPage } from '../api/schemas/records.ts';
import { backends } from './support/backends.ts';
import { TcpDevice } from './support/device.ts';
import { expectError, expectSchema, startTestApi, type TestApi } from './api-support.ts';

const IMEI = '352093086400777';
const T0 = Date.UTC(2024, 8, 1, 12, 0);
const records = (from: number, n: number): AvlRecordInput[] =>
  Array.from({ length: n }, (_, i) => ({ deviceTime: T0 + (from + i) * 60_000, latitude: 54.7 + (from + i) / 1000, longitude: 20.5, satellites: 7, speed: from + i, io: [{ id: 239, value: 1 }, { id: 16, value: 1000 + from + i, size: 4 as const }] }));

for (const backend of backends) {
  describe(`records on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    const packets = [encodeAvlPacket(0x8e, records(0, 3)), encodeAvlPacket(0x08, records(3, 2))];
    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store, { gateway: true });
      await t.call('POST', '/v1/devices', { body: { id: IMEI, protocol: 'teltonika' } });
      const d = await TcpDevice.connect(t.gateway!.ports.teltonikaTcp!);
      d.write(encodeImei(IMEI));
      await d.read(1);
      for (const p of packets) {
        d.write(p);
        await d.read(4);
      }
      d.close();
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('newest first, every field, IO lossless, and the raw frame of each record', async () => {
      const r = await t.http('GET', `/v1/devices/${IMEI}/records`, { key: t.keys.read });
      expect(r.status).toBe(200);
      expectSchema(RecordPage, r.json);
      expect(r.json.items.map((x: { deviceTime: string }) => x.deviceTime)).toEqual([4, 3, 2, 1, 0].map((m) => new Date(T0 + m * 60_000).toISOString()));
      const newest = r.json.items[0];
      expect(newest).toMatchObject({ protocol: 'teltonika', transport: 'tcp', latitude: 54.704, longitude: 20.5, speed: 4, satellites: 7, valid: true, archive: false });
      expect(newest.io).toEqual(expect.arrayContaining([{ id: '239', kind: 'n', value: '1' }, { id: '16', kind: 'n', value: '1004' }]));
      expect(newest.frame.hex).toBe(Buffer.from(packets[1]).toString('hex'));
      expect(r.json.items[4].frame.hex).toBe(Buffer.from(packets[0]).toString('hex'));
      expect(r.json.items[4].frame.hash).toBe(r.json.items[2].frame.hash);
    });

    it('pages with a cursor, filters by device time, frames optional', async () => {
      const p1 = await t.call('GET', `/v1/devices/${IMEI}/records?limit=2`);
      const p2 = await t.call('GET', `/v1/devices/${IMEI}/records?limit=2&cursor=${p1.json.nextCursor}`);
      const p3 = await t.call('GET', `/v1/devices/${IMEI}/records?limit=2&cursor=${p2.json.nextCursor}`);
      expect([...p1.json.items, ...p2.json.items, ...p3.json.items].map((x: { speed: number }) => x.speed)).toEqual([4, 3, 2, 1, 0]);
      expect(p3.json.nextCursor).toBeNull();
      const range = await t.call('GET', `/v1/devices/${IMEI}/records?from=${new Date(T0 + 60_000).toISOString()}&to=${new Date(T0 + 3 * 60_000).toISOString()}&frames=false`);
      expect(range.json.items.map((x: { speed: number; frame: unknown }) => [x.speed, x.frame])).toEqual([
        [2, null],
        [1, null],
      ]);
    });

    it('errors: unknown device 404, to before from 400, a foreign cursor 400', async () => {
      expectError(await t.call('GET', '/v1/devices/000000000000000/records'), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('GET', `/v1/devices/${IMEI}/records?from=2024-09-02T00:00:00Z&to=2024-09-01T00:00:00Z`), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('GET', `/v1/devices/${IMEI}/records?from=yesterday`), 400, 'FM_ERR_VALIDATION');
      const other = await t.call('GET', '/v1/accounts?limit=1');
      expect(other.status).toBe(200);
      expectError(await t.call('GET', `/v1/devices/${IMEI}/records?cursor=eyJzIjoiaWQiLCJ2IjoiYSIsImkiOiJhIn0`), 400, 'FM_ERR_VALIDATION');
    });
  });
}
