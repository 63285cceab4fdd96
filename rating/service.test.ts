/**
 * The rating service against real ClickHouse (embedded chDB; a server too when CLICKHOUSE_URL is
 * set): configuration, live drafts, closing, black-box data after close → adjustments on the next
 * open statement, restarts, reconcile.
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
import { at, lineSummary, minutesOnline, tariff } from './testing.ts';

const ZONE = 'Europe/Berlin';
const MAY = monthPeriod('2024-05');
const JUNE = monthPeriod('2024-06');
const JULY = monthPeriod('2024-07');

/** 10 minutes at 10:00 Berlin time on the given days of a month. */
function days(deviceId: string, month: string, list: number[], receivedAt?: number): PresenceRecord[] {
  return list.flatMap((d) =>
    minutesOnline(deviceId, at(ZONE, `${month}-${String(d).padStart(2, '0')}T10:00`), 10).map((r) => (receivedAt ? { ...r, receivedAt } : r)),
  );
}
const code = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return (e as RatingError).code;
  }
  return 'ok';
};

for (const backend of backends) {
  describe(`rating service on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let clock = at(ZONE, '2024-05-20T12:00');
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
      await service.putAccount({ id: 'acme', name: 'ACME Logistics', timeZone: ZONE, currency: 'EUR' });
      expect(await service.putTariffVersion(tariff('std', 1, '2024-01-01', { unit: 'day', price: { model: 'per-unit', unitPrice: '1.00' } }))).toBe('created');
      // From May: May is the first period to close (periods close in order from the first assignment, §12).
      await service.assignTariff({ accountId: 'acme', deviceId: null, tariffId: 'std', effectiveFrom: '2024-05-01' });
      await service.assignDevice('d1', 'acme', '2024-05-01');
      await service.assignDevice('d2', 'acme', '2024-05-01');
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it('validates configuration with codes', async () => {
      expect(await service.putTariffVersion(tariff('std', 1, '2024-01-01', { unit: 'day', price: { model: 'per-unit', unitPrice: '1.00' } }))).toBe('unchanged');
      expect(await code(service.putTariffVersion(tariff('std', 1, '2024-01-01', { unit: 'day', price: { model: 'per-unit', unitPrice: '0.90' } })))).toBe('FM_RATING_TARIFF_CONFLICT');
      expect(await code(service.assignDevice('d9', 'nobody', '2024-01-01'))).toBe('FM_RATING_UNKNOWN_ACCOUNT');
      expect(await code(service.assignTariff({ accountId: 'acme', deviceId: null, tariffId: 'nope', effectiveFrom: '2024-01-01' }))).toBe('FM_RATING_UNKNOWN_TARIFF');
      expect(await code(service.putAccount({ id: 'x', name: 'x', timeZone: 'Nowhere/City', currency: 'EUR' }))).toBe('FM_RATING_BAD_TIME_ZONE');
    });

    it('live draft includes the minutes just committed; live usage per local day', async () => {
      await feed(days('d1', '2024-05', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
      const draft = await service.statement('acme', MAY);
      expect(draft.status).toBe('draft');
      // 10 day-units × 1.00 = 10.00; VAT 2.20
      expect(lineSummary(draft.doc)).toEqual(['usage std@1/2024-05-01..2024-06-01 q=10 10.00+2.20=12.20']);
      expect((await service.statement('acme', MAY)).json).toBe(draft.json);
      const usage = await service.usage('acme', MAY);
      expect(usage.devices.map((d) => [d.deviceId, d.onlineMinutes, d.days.length])).toEqual([
        ['d1', 100, 10],
        ['d2', 0, 0],
      ]);
      expect(usage.devices[0].days[0]).toEqual({ date: '2024-05-01', onlineMinutes: 10, implausibleMinutes: 0 });
    });

    it('closing: only after the period ended, once, in order', async () => {
      expect(await code(service.close('acme', MAY))).toBe('FM_RATING_PERIOD_NOT_ENDED');
      clock = at(ZONE, '2024-05-31T23:59'); // one minute before the end of May in Berlin (21:59Z)
      expect(await code(service.close('acme', MAY))).toBe('FM_RATING_PERIOD_NOT_ENDED');
      clock = at(ZONE, '2024-06-02T09:00');
      const closed = await service.close('acme', MAY);
      expect(closed.status).toBe('closed');
      expect(closed.doc.closedAt).toBe('2024-06-02T07:00:00.000Z');
      expect(closed.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(await code(service.close('acme', MAY))).toBe('FM_RATING_ALREADY_CLOSED');
      clock = at(ZONE, '2024-08-02T09:00');
      expect(await code(service.close('acme', JULY))).toBe('FM_RATING_CLOSE_OUT_OF_ORDER');
      clock = at(ZONE, '2024-06-05T09:00');
    });

    it('black-box data for a closed period: the closed statement never changes; the next open one adjusts', async () => {
      const mayBefore = await service.statement('acme', MAY);
      await feed(days('d1', '2024-06', [1, 2, 3, 4, 5]));
      // d2 uploads its black box on June 5: May 20–22, three days the closed May statement missed.
      await feed(days('d2', '2024-05', [20, 21, 22], at(ZONE, '2024-06-05T08:00')));
      const mayAfter = await service.statement('acme', MAY);
      expect(mayAfter.status).toBe('closed');
      expect(mayAfter.json).toBe(mayBefore.json);
      expect(mayAfter.hash).toBe(mayBefore.hash);

      const june = await service.statement('acme', JUNE);
      // June: d1 5 days = 5.00 (+1.10). Adjustment for May: d2 3 days = 3.00 (+0.66).
      expect(lineSummary(june.doc)).toEqual(['usage std@1/2024-06-01..2024-07-01 q=5 5.00+1.10=6.10']);
      expect(june.doc.adjustments).toEqual([
        {
          kind: 'adjustment',
          originalPeriod: { from: '2024-05-01', to: '2024-06-01' },
          refKind: 'usage',
          ref: 'std@1/2024-05-01..2024-06-01',
          tariffId: 'std',
          tariffVersion: 1,
          unit: 'day',
          quantity: '3',
          amount: '3.00',
          vatRate: '22',
          vat: '0.66',
          total: '3.66',
          devices: [{ deviceId: 'd2', quantity: '3' }],
        },
      ]);
      expect(june.doc.totals).toEqual({ amount: '8.00', vat: '1.76', total: '9.76' });
      // July is not the next open period: no adjustments there.
      expect((await service.statement('acme', JULY)).doc.adjustments).toEqual([]);
    });

    it('after June closes, its adjustment counts as invoiced; only newer late data adjusts again', async () => {
      clock = at(ZONE, '2024-07-01T10:00');
      const june = await service.close('acme', JUNE);
      expect(june.doc.adjustments).toHaveLength(1);
      expect((await service.statement('acme', JULY)).doc.adjustments).toEqual([]);
      await feed(days('d1', '2024-05', [15], at(ZONE, '2024-07-01T11:00'))); // one more May day, very late
      const july = await service.statement('acme', JULY);
      expect(july.doc.adjustments.map((a) => `${a.originalPeriod.from} ${a.quantity} ${a.amount} ${a.devices.map((d) => d.deviceId)}`)).toEqual(['2024-05-01 1 1.00 d1']);
    });

    it('a restarted gateway (new engine, same ClickHouse) produces byte-identical statements', async () => {
      const before = await service.statement('acme', JULY);
      const restarted = new RatingService({ store, presence: new PresenceEngine({ storage: new ClickHousePresenceStorage(store) }), now: () => clock });
      const after = await restarted.statement('acme', JULY);
      expect(after.json).toBe(before.json);
    });

    it('reconcile: zero differences against the raw records; a lost record is reported', async () => {
      for (const period of [MAY, JUNE, JULY]) {
        const report = await service.reconcile('acme', period, [...raw].reverse());
        expect({ period: period.from, presence: report.presence, statement: report.statement }).toEqual({ period: period.from, presence: [], statement: [] });
        expect(report.ok).toBe(true);
      }
      const scope = await service.reconcileScope('acme', JUNE);
      expect(scope).toMatchObject({ deviceIds: ['d1', 'd2'], rowsFrom: '2024-05-30', rowsTo: '2024-07-02' });
      const extra = minutesOnline('d2', at(ZONE, '2024-06-10T10:00'), 1); // in the records table, never reached the engine
      const report = await service.reconcile('acme', JUNE, [...raw, ...extra]);
      expect(report.ok).toBe(false);
      expect(report.presence).toEqual([{ deviceId: 'd2', day: '2024-06-10', kind: 'device-time', missingInPersisted: [480], extraInPersisted: [] }]);
      expect(report.statement.map((l) => `${l.refKind} ${l.quantity} ${l.amount}`)).toEqual(['usage 1 1.00']);
    });

    it('billing run: drafts for many accounts in chunks, closed periods served as snapshots', async () => {
      await service.putAccount({ id: 'beta', name: 'Beta', timeZone: 'Asia/Vladivostok', currency: 'EUR' });
      await service.assignTariff({ accountId: 'beta', deviceId: null, tariffId: 'std', effectiveFrom: '2024-01-01' });
      await service.assignDevice('b1', 'beta', '2024-05-01');
      await feed([{ deviceId: 'b1', deviceTime: at('Asia/Vladivostok', '2024-05-03T08:00'), receivedAt: at('Asia/Vladivostok', '2024-05-03T08:00') }]);
      const out: string[] = [];
      for await (const s of service.billingRun(MAY, undefined, 1)) out.push(`${s.doc.accountId} ${s.status} ${s.doc.totals.total}`);
      expect(out).toEqual(['acme closed 12.20', 'beta draft 1.22']);
      const single = await service.statement('beta', MAY);
      const batch: string[] = [];
      for await (const s of service.billingRun(MAY, ['beta'])) batch.push(s.json);
      expect(batch).toEqual([single.json]);
    });
  });
}
