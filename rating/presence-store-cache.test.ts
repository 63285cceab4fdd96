/**
 * The read cache of `ClickHousePresenceStorage` against real ClickHouse (chDB; a server too when
 * CLICKHOUSE_URL is set): a cached read must always equal an uncached one, whoever changed the
 * stored rows in between — this process, another instance, a background merge, a manual fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { migrate, type Store } from '../store/index.ts';
import { backends } from '../test/support/backends.ts';
import { monthPeriod } from './calendar.ts';
import { PresenceEngine } from './engine.ts';
import { bitsFromMinutes, minutesOf } from './minute-bitmap.ts';
import { KIND_DEVICE_TIME, KIND_FALLBACK, type PresenceSet } from './presence.ts';
import { ClickHousePresenceStorage } from './presence-store.ts';
import { ratingMigrations } from './schema.ts';
import { RatingService } from './service.ts';
import { at, minutesOnline, tariff } from './testing.ts';

const DAY = 19875; // 2024-06-01

/** Every device-day of a set as `device/day/kind:minutes…` lines: equal text ⇔ equal presence. */
function dump(set: PresenceSet): string[] {
  const out: string[] = [];
  for (const e of set.entries()) {
    out.push(`${e.deviceId}/${e.day}/0:${minutesOf(e.presence.device).join(',')}`);
    if (e.presence.fallback) out.push(`${e.deviceId}/${e.day}/1:${minutesOf(e.presence.fallback).join(',')}`);
  }
  return out;
}

/** Waits until ALTER … DELETE mutations are applied (asynchronous on a server). */
async function mutationsDone(store: Store): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [r] = await store.query<{ n: string }>(`SELECT count() AS n FROM system.mutations WHERE database = '${store.database}' AND is_done = 0`);
    if (Number(r.n) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('mutations did not finish');
}

for (const backend of backends) {
  describe(`presence read cache (${backend.name})`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      await migrate(store, ratingMigrations);
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it('bitmaps of every shape read back exactly, cached and uncached (compact word format)', async () => {
      const w = new ClickHousePresenceStorage(store);
      const shapes = [[0], [31], [32], [1439], [0, 1, 2, 31, 32, 33, 63, 64, 1408, 1439], Array.from({ length: 1440 }, (_, m) => m), Array.from({ length: 720 }, (_, m) => 2 * m + 1)];
      await w.save(shapes.map((ms, i) => ({ deviceId: 'shape', day: DAY + i, kind: i % 2 === 0 ? KIND_DEVICE_TIME : KIND_FALLBACK, bits: bitsFromMinutes(ms) })), 30);
      const cached = new ClickHousePresenceStorage(store);
      const plain = new ClickHousePresenceStorage(store, { cacheDeviceDays: 0 });
      for (const set of [await plain.loadRange(['shape'], DAY, DAY + 7), await cached.loadRange(['shape'], DAY, DAY + 7), await cached.loadRange(['shape'], DAY, DAY + 7)]) {
        shapes.forEach((ms, i) => {
          const p = set.get('shape', DAY + i)!;
          expect(minutesOf(i % 2 === 0 ? p.device : p.fallback!)).toEqual(ms);
        });
      }
      expect(cached.readStats()).toMatchObject({ hits: 7, misses: 7 });
    });

    it('hits while nothing changed; writes by another instance, merges and manual fixes are seen at the next read', async () => {
      const reader = new ClickHousePresenceStorage(store);
      const plain = new ClickHousePresenceStorage(store, { cacheDeviceDays: 0 });
      const w1 = new ClickHousePresenceStorage(store);
      const w2 = new ClickHousePresenceStorage(store); // another gateway instance
      const ids = ['c-a', 'c-b'];
      await w1.save([
        { deviceId: 'c-a', day: DAY, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([1, 2]) },
        { deviceId: 'c-a', day: DAY + 1, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([3]) },
        { deviceId: 'c-b', day: DAY + 2, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([4]) },
      ], 11);
      const read = async () => {
        const before = reader.readStats();
        const got = dump(await reader.loadRange(ids, DAY, DAY + 3));
        expect(got).toEqual(dump(await plain.loadRange(ids, DAY, DAY + 3)));
        const after = reader.readStats();
        return { got, hits: after.hits - before.hits, misses: after.misses - before.misses };
      };
      expect(await read()).toMatchObject({ hits: 0, misses: 3 }); // first read: everything
      expect(await read()).toMatchObject({ hits: 3, misses: 0 });

      // late (black-box) data for a closed day, written by another instance
      await w2.save([{ deviceId: 'c-a', day: DAY + 1, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([700]) }], 12);
      const late = await read();
      expect(late).toMatchObject({ hits: 2, misses: 1 });
      expect(late.got).toContain(`c-a/${DAY + 1}/0:3,700`);

      // a fallback bitmap appearing on a day that had only device-time minutes
      await w2.save([{ deviceId: 'c-b', day: DAY + 2, kind: KIND_FALLBACK, bits: bitsFromMinutes([9]) }], 12);
      expect((await read()).got).toContain(`c-b/${DAY + 2}/1:9`);

      // a background merge (forced): fingerprints change, presence does not
      await w1.save([{ deviceId: 'c-a', day: DAY, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([1, 2, 5]) }], 11);
      const grown = await read();
      await store.command('OPTIMIZE TABLE rating_presence FINAL');
      const merged = await read();
      expect(merged.got).toEqual(grown.got);
      expect(merged.hits + merged.misses).toBe(3);

      // a manual fix behind the engines' back: a row deleted and replaced by one with the same
      // writer and the same minute count but other minutes (only a hash of the words sees this)
      await store.command(`ALTER TABLE rating_presence DELETE WHERE device_id = 'c-b' AND day = toDate('2024-06-03') AND kind = 0`);
      await mutationsDone(store);
      await w1.save([{ deviceId: 'c-b', day: DAY + 2, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([6]) }], 11);
      const fixed = await read();
      expect(fixed.got).toContain(`c-b/${DAY + 2}/0:6`);
      expect(fixed.got).not.toContain(`c-b/${DAY + 2}/0:4`);

      // rows deleted outright: the day reads as empty
      await store.command(`ALTER TABLE rating_presence DELETE WHERE device_id = 'c-a' AND day = toDate('2024-06-01')`);
      await mutationsDone(store);
      expect((await read()).got.some((l) => l.startsWith(`c-a/${DAY}/`))).toBe(false);
      // and a bypassing read is the same
      expect(dump(await reader.loadRange(ids, DAY, DAY + 3, { cache: false }))).toEqual((await read()).got);
    });

    it('a caller changing a returned set (as the engine does with the minutes it committed) never changes the cache', async () => {
      const w = new ClickHousePresenceStorage(store);
      await w.save([{ deviceId: 'cow', day: DAY, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([10, 11]) }], 30);
      const reader = new ClickHousePresenceStorage(store);
      await reader.loadRange(['cow'], DAY, DAY + 1); // fills the cache
      const hit = await reader.loadRange(['cow'], DAY, DAY + 1);
      expect(reader.readStats().hits).toBe(1);
      hit.mergeBits('cow', DAY, KIND_DEVICE_TIME, bitsFromMinutes([12]));
      hit.mergeBits('cow', DAY, KIND_FALLBACK, bitsFromMinutes([13]));
      hit.setMinute('cow', DAY * 86_400_000 + 14 * 60_000, KIND_DEVICE_TIME);
      const again = await reader.loadRange(['cow'], DAY, DAY + 1);
      expect(reader.readStats().hits).toBe(2);
      expect(dump(again)).toEqual([`cow/${DAY}/0:10,11`]);
      // and through an engine that holds a minute it committed elsewhere (a pipeline's insert)
      const engine = new PresenceEngine({ storage: reader });
      engine.stage([{ deviceId: 'cow', deviceTime: DAY * 86_400_000 + 20 * 60_000, receivedAt: DAY * 86_400_000 + 20 * 60_000 }]).done(true);
      expect(dump(await engine.load(['cow'], DAY, DAY + 1))).toEqual([`cow/${DAY}/0:10,11,20`]);
      expect(dump(await reader.loadRange(['cow'], DAY, DAY + 1))).toEqual([`cow/${DAY}/0:10,11`]);
    });

    it('any interleaving of writes by several writers, merges and reads: cached == uncached (property)', async () => {
      let run = 0;
      const op = fc.oneof(
        fc.record({ t: fc.constant('save' as const), writer: fc.integer({ min: 1, max: 3 }), device: fc.integer({ min: 0, max: 1 }), day: fc.integer({ min: 0, max: 2 }), kind: fc.integer({ min: 0, max: 1 }), ms: fc.array(fc.integer({ min: 0, max: 1439 }), { maxLength: 6 }) }),
        fc.record({ t: fc.constant('read' as const), from: fc.integer({ min: 0, max: 2 }), len: fc.integer({ min: 1, max: 3 }) }),
        fc.record({ t: fc.constant('merge' as const) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 16 }), async (ops) => {
          const prefix = `p${++run}-`;
          const ids = [0, 1].map((d) => prefix + d);
          const writers = [1, 2, 3].map((w) => new ClickHousePresenceStorage(store, { cacheDeviceDays: 0 }));
          const cached = new ClickHousePresenceStorage(store, { cacheDeviceDays: 50 });
          const plain = new ClickHousePresenceStorage(store, { cacheDeviceDays: 0 });
          for (const o of [...ops, { t: 'read' as const, from: 0, len: 3 }]) {
            if (o.t === 'save') await writers[o.writer - 1].save([{ deviceId: ids[o.device], day: DAY + o.day, kind: o.kind, bits: bitsFromMinutes(o.ms) }], 100 + o.writer);
            else if (o.t === 'merge') await store.command('OPTIMIZE TABLE rating_presence FINAL');
            else expect(dump(await cached.loadRange(ids, DAY + o.from, DAY + o.from + o.len))).toEqual(dump(await plain.loadRange(ids, DAY + o.from, DAY + o.from + o.len)));
          }
          // Keep the number of parts small: hundreds of tiny inserts into one partition would
          // otherwise hit "too many parts" on a loaded machine, which is not what this tests.
          await store.command('OPTIMIZE TABLE rating_presence FINAL');
        }),
        { numRuns: 20 },
      );
    });

    it('statements through a warm cache stay byte-identical to uncached ones after late data from another instance', async () => {
      const zone = 'Europe/Berlin';
      const june = monthPeriod('2024-06');
      const now = () => at(zone, '2024-06-28T12:00');
      // gateway A serves statements (warm cache); gateway B ingests a black-box upload
      const a = new PresenceEngine({ storage: new ClickHousePresenceStorage(store) });
      const b = new PresenceEngine({ storage: new ClickHousePresenceStorage(store) });
      const service = new RatingService({ store, presence: a, now });
      const reference = new RatingService({ store, presence: { load: (ids, from, to) => new ClickHousePresenceStorage(store, { cacheDeviceDays: 0 }).loadRange(ids, from, to) }, now });
      await service.putAccount({ id: 'cache-acc', name: 'Cache', timeZone: zone, currency: 'EUR' });
      await service.putTariffVersion(tariff('cache-hourly', 1, '2024-01-01', { unit: 'hour', minActiveMinutes: 2, price: { model: 'per-unit', unitPrice: '0.10' } }));
      await service.assignTariff({ accountId: 'cache-acc', deviceId: null, tariffId: 'cache-hourly', effectiveFrom: '2024-01-01' });
      await service.assignDevice('cache-d1', 'cache-acc', '2024-01-01');
      await service.assignDevice('cache-d2', 'cache-acc', '2024-01-01');
      await a.ingest([...minutesOnline('cache-d1', at(zone, '2024-06-03T08:00'), 90), ...minutesOnline('cache-d2', at(zone, '2024-06-04T23:30'), 60)]);
      const first = await service.statement('cache-acc', june);
      expect(first.json).toBe((await reference.statement('cache-acc', june)).json);
      expect((await service.statement('cache-acc', june)).json).toBe(first.json); // warm
      // B uploads a black box: more of June 3 (a day A has cached) and June 10 (a day with no rows yet)
      await b.ingest([...minutesOnline('cache-d1', at(zone, '2024-06-03T14:00'), 45), ...minutesOnline('cache-d2', at(zone, '2024-06-10T10:00'), 30)]);
      const after = await service.statement('cache-acc', june);
      expect(after.json).not.toBe(first.json);
      expect(after.json).toBe((await reference.statement('cache-acc', june)).json);
      expect(after.doc.devices.map((d) => d.onlineMinutes)).toEqual([90 + 45, 60 + 30]);
    });
  });
}
