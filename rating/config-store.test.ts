import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type Store } from '../store/index.ts';
import { backends } from '../test/support/backends.ts';
import { ConfigIndex } from './assignments.ts';
import { RatingConfigStore, selectAccountsSql, selectDeviceAssignmentsSql, selectTariffAssignmentsSql } from './config-store.ts';
import { ratingMigrations } from './schema.ts';
import { tariff } from './testing.ts';

describe('config SQL (text)', () => {
  it('filters by account, escaping ids', () => {
    expect(selectAccountsSql(["o'k"])).toBe("SELECT account_id, name, time_zone, currency, recorded_at FROM rating_accounts WHERE account_id IN ('o\\'k')");
    expect(selectAccountsSql()).toBe('SELECT account_id, name, time_zone, currency, recorded_at FROM rating_accounts');
    expect(selectDeviceAssignmentsSql(['a'])).toBe(
      "SELECT device_id, effective_from, account_id, recorded_at FROM rating_device_accounts WHERE device_id IN (SELECT device_id FROM rating_device_accounts WHERE account_id IN ('a'))",
    );
    expect(selectTariffAssignmentsSql([])).toBe("SELECT account_id, device_id, effective_from, tariff_id, recorded_at FROM rating_tariff_assignments WHERE account_id IN ('\\0')");
  });
});

for (const backend of backends) {
  describe(`config store on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let config: RatingConfigStore;
    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      await migrate(store, ratingMigrations);
      config = new RatingConfigStore(store);
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it('round-trips every kind of record; the latest record per key wins', async () => {
      await config.putAccount({ id: 'a1', name: 'Old name', timeZone: 'Asia/Vladivostok', currency: 'RUB' }, 1);
      await config.putAccount({ id: 'a1', name: 'New name', timeZone: 'Asia/Vladivostok', currency: 'RUB' }, 2);
      await config.putAccount({ id: 'a2', name: 'Two', timeZone: 'UTC', currency: 'RUB' }, 1);
      await config.putTariffVersion(tariff('t', 1, '2024-01-01', { currency: 'RUB', unit: 'hour', price: { model: 'graduated', tiers: [{ upTo: '10', unitPrice: '2' }, { upTo: null, unitPrice: '1.5', flatFee: '3' }] } }), 1);
      await config.assignDevice({ deviceId: 'd1', accountId: 'a1', effectiveFrom: '2024-01-01', recordedAt: 1 });
      await config.assignDevice({ deviceId: 'd1', accountId: 'a2', effectiveFrom: '2024-06-11', recordedAt: 2 });
      await config.assignDevice({ deviceId: 'd2', accountId: 'a2', effectiveFrom: '2024-01-01', recordedAt: 1 });
      await config.assignDevice({ deviceId: 'd3', accountId: null, effectiveFrom: '2024-01-01', recordedAt: 1 });
      await config.assignTariff({ accountId: 'a1', deviceId: null, tariffId: 't', effectiveFrom: '2024-01-01', recordedAt: 1 });
      await config.assignTariff({ accountId: 'a1', deviceId: 'd1', tariffId: null, effectiveFrom: '2024-02-01', recordedAt: 1 });
      await config.putSuspension({ id: 's1', accountId: 'a1', deviceId: null, from: '2024-03-01', to: null, cancelled: false, recordedAt: 1 });
      await config.putSuspension({ id: 's1', accountId: 'a1', deviceId: null, from: '2024-03-01', to: '2024-03-05', cancelled: false, recordedAt: 2 });

      const loaded = await config.load(['a1']);
      expect(loaded.accounts.map((a) => `${a.id}:${a.name}`).sort()).toEqual(['a1:New name', 'a2:Two']); // a2: referenced by d1's history
      expect(loaded.deviceAssignments.map((d) => `${d.deviceId}>${d.accountId}@${d.effectiveFrom}`).sort()).toEqual(['d1>a1@2024-01-01', 'd1>a2@2024-06-11']);
      expect([...loaded.tariffAssignments].sort((x, y) => (x.effectiveFrom < y.effectiveFrom ? -1 : 1))).toEqual([
        { accountId: 'a1', deviceId: null, tariffId: 't', effectiveFrom: '2024-01-01', recordedAt: 1 },
        { accountId: 'a1', deviceId: 'd1', tariffId: null, effectiveFrom: '2024-02-01', recordedAt: 1 },
      ]);
      expect(loaded.tariffVersions).toEqual([tariff('t', 1, '2024-01-01', { currency: 'RUB', unit: 'hour', price: { model: 'graduated', tiers: [{ upTo: '10', unitPrice: '2' }, { upTo: null, unitPrice: '1.5', flatFee: '3' }] } })]);
      const index = new ConfigIndex(loaded);
      expect(index.account('a1').name).toBe('New name');
      expect(index.suspended('a1', 'd1', '2024-03-04')).toBe(true);
      expect(index.suspended('a1', 'd1', '2024-03-05')).toBe(false); // the later record ended it
      const all = await config.load();
      expect(all.deviceAssignments.map((d) => d.deviceId).sort()).toEqual(['d1', 'd1', 'd2', 'd3']);
      expect(all.deviceAssignments.find((d) => d.deviceId === 'd3')!.accountId).toBeNull();
    });
  });
}
