/**
 * Periods close in order and nothing is lost (docs/rating.md §12), against real ClickHouse:
 * - a close is refused while an earlier period of the account is open — with the earliest open
 *   period that has an assignment named in the error's details;
 * - usage stranded before the first closed period (existing data: a later month was closed first,
 *   or an assignment backdated before it) becomes an adjustment on the next open statement, once,
 *   and the invoiced totals add up to the usage rated from raw records.
 *
 * Tariff "std": 1.00 per active day, VAT 22 %, accounts in UTC.
 *   "order":  o1 from 2024-09-01; active 3 days in September, 2 in October.
 *   "legacy": l1 from 2024-08-01; active 4 days in August, 2 in September. September was closed
 *             first (the old, wrong rule let it): August is stranded: 4 days = 4.00 + 0.88.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type Store } from '../store/index.ts';
import { backends } from '../test/support/backends.ts';
import { monthPeriod } from './calendar.ts';
import { PresenceEngine, type PresenceRecord } from './engine.ts';
import type { RatingError } from './errors.ts';
import { ClickHousePresenceStorage } from './presence-store.ts';
import { ratingMigrations } from './schema.ts';
import { RatingService } from './service.ts';
import { statementHash, statementJson } from './statement.ts';
import { at, lineSummary, minutesOnline, tariff } from './testing.ts';
import { dec } from './pricing/index.ts';

const AUG = monthPeriod('2024-08');
const SEP = monthPeriod('2024-09');
const OCT = monthPeriod('2024-10');
const NOV = monthPeriod('2024-11');

/** 10 minutes at 10:00 UTC on each given day of a month. */
const days = (deviceId: string, month: string, list: number[], receivedAt?: number): PresenceRecord[] =>
  list.flatMap((d) => minutesOnline(deviceId, at('UTC', `${month}-${String(d).padStart(2, '0')}T10:00`), 10).map((r) => (receivedAt ? { ...r, receivedAt } : r)));

const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    const err = e as RatingError & { details?: unknown };
    return { code: err.code, details: err.details };
  }
  return 'ok';
};

for (const backend of backends) {
  describe(`periods close in order, nothing is lost, on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let clock = at('UTC', '2024-11-05T09:00');
    let engine: PresenceEngine;
    let service: RatingService;
    const raw: PresenceRecord[] = [];
    const feed = async (records: PresenceRecord[]) => {
      raw.push(...records);
      await engine.ingest(records);
    };

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      await migrate(store, ratingMigrations);
      engine = new PresenceEngine({ storage: new ClickHousePresenceStorage(store) });
      service = new RatingService({ store, presence: engine, now: () => clock });
      await service.putTariffVersion(tariff('std', 1, '2020-01-01', { unit: 'day', price: { model: 'per-unit', unitPrice: '1.00' } }));
      for (const [id, device, from] of [['order', 'o1', '2024-09-01'], ['legacy', 'l1', '2024-08-01']]) {
        await service.putAccount({ id, name: id, timeZone: 'UTC', currency: 'EUR' });
        await service.assignTariff({ accountId: id, deviceId: null, tariffId: 'std', effectiveFrom: from });
        await service.assignDevice(device, id, from);
      }
      await feed([...days('o1', '2024-09', [1, 2, 3]), ...days('o1', '2024-10', [1, 2]), ...days('l1', '2024-08', [5, 6, 7, 8]), ...days('l1', '2024-09', [9, 10])]);
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it('a later month first is refused, naming the earliest open period that has an assignment', async () => {
      expect(await refusal(service.close('order', OCT))).toEqual({ code: 'FM_RATING_CLOSE_OUT_OF_ORDER', details: { earliestOpenPeriod: '2024-09' } });
      expect(await service.nextToClose(['order', 'legacy'])).toEqual(new Map([['order', '2024-09-01'], ['legacy', '2024-08-01']]));
      // An earlier month without any assignment may close (it bills nothing, loses nothing).
      expect((await service.close('order', monthPeriod('2024-07'))).doc.totals.total).toBe('0.00');
      expect(await refusal(service.close('order', OCT))).toEqual({ code: 'FM_RATING_CLOSE_OUT_OF_ORDER', details: { earliestOpenPeriod: '2024-08' } });
      await service.close('order', AUG);
      expect((await service.close('order', SEP)).doc.totals.total).toBe('3.66');
      expect((await service.close('order', OCT)).doc.totals.total).toBe('2.44');
      expect(await service.nextToClose(['order'])).toEqual(new Map([['order', '2024-11-01']]));
    });

    it('usage stranded before the first closed period becomes an adjustment on the next open statement; totals match raw usage', async () => {
      // Existing data: September was closed while August was open (what the old rule allowed).
      const sep = await service.statement('legacy', SEP);
      const json = statementJson({ ...sep.doc, status: 'closed', closedAt: new Date(at('UTC', '2024-10-02T00:00')).toISOString() });
      await service.statements.insert({ accountId: 'legacy', period: SEP, closedAt: at('UTC', '2024-10-02T00:00'), hash: statementHash(json), json });
      expect(sep.doc.totals.total).toBe('2.44');

      // August can never close now; the period to close is October, and it says so.
      expect(await refusal(service.close('legacy', AUG))).toEqual({ code: 'FM_RATING_CLOSE_OUT_OF_ORDER', details: { earliestOpenPeriod: '2024-10' } });
      expect(await refusal(service.close('legacy', NOV))).toMatchObject({ code: 'FM_RATING_PERIOD_NOT_ENDED' });

      // October's draft carries August: 4 days = 4.00 + 0.88.
      const oct = await service.statement('legacy', OCT);
      expect(lineSummary(oct.doc)).toEqual(['usage std@1/2024-10-01..2024-11-01 q=0 0.00+0.00=0.00']);
      expect(oct.doc.adjustments.map((a) => `${a.originalPeriod.from} ${a.refKind} ${a.ref} q=${a.quantity} ${a.amount}+${a.vat}=${a.total} ${a.devices.map((d) => `${d.deviceId}:${d.quantity}`)}`)).toEqual([
        '2024-08-01 usage std@1/2024-08-01..2024-09-01 q=4 4.00+0.88=4.88 l1:4',
      ]);
      const closedOct = await service.close('legacy', OCT);
      expect(closedOct.doc.totals.total).toBe('4.88');

      // Invoiced (September + October) = August and September rated from raw records: 6 days.
      const invoiced = dec(sep.doc.totals.total).plus(closedOct.doc.totals.total);
      const fromRaw = [AUG, SEP].map((p) => service.reconcile('legacy', p, raw));
      expect(invoiced.toFixed(2)).toBe('7.32');
      for (const r of await Promise.all(fromRaw)) expect({ period: r.period.from, ok: r.ok, statement: r.statement }).toEqual({ period: r.period.from, ok: true, statement: [] });

      // Invoiced once: November carries nothing for August — until August changes again.
      clock = at('UTC', '2024-12-03T09:00');
      expect((await service.statement('legacy', NOV)).doc.adjustments).toEqual([]);
      await feed(days('l1', '2024-08', [20], at('UTC', '2024-12-03T08:00')));
      const nov = await service.statement('legacy', NOV);
      expect(nov.doc.adjustments.map((a) => `${a.originalPeriod.from} q=${a.quantity} ${a.total}`)).toEqual(['2024-08-01 q=1 1.22']);
      const aug = await service.reconcile('legacy', AUG, raw);
      expect(aug.statement).toEqual([]);
    });
  });
}
