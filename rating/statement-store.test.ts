import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type Store } from '../store/index.ts';
import { backends } from '../test/support/backends.ts';
import type { RatingError } from './errors.ts';
import { ratingMigrations } from './schema.ts';
import { statementHash } from './statement.ts';
import { StatementStore, selectClosedSql } from './statement-store.ts';

const snapshot = (total: string) => `{"accountId":"a","period":{"from":"2024-05-01","to":"2024-06-01"},"status":"closed","totals":{"total":"${total}"}}`;

describe('closed statements SQL (text)', () => {
  it('selects by account ids', () => {
    expect(selectClosedSql(['a', "b'"])).toBe("SELECT account_id, period_from, period_to, closed_at, content_hash, snapshot FROM rating_statements WHERE account_id IN ('a', 'b\\'')");
  });
});

for (const backend of backends) {
  describe(`closed statements on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      await migrate(store, ratingMigrations);
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it('stores the snapshot byte for byte; a concurrent second close loses to the earlier one', async () => {
      const s = new StatementStore(store);
      const text = snapshot('12.20').replace('"a"', '"a","accountName":"ООО «Ромашка» ünïcødé"');
      await s.insert({ accountId: 'a', period: { from: '2024-05-01', to: '2024-06-01' }, closedAt: 2000, hash: statementHash(text), json: text });
      const late = snapshot('99.99');
      await s.insert({ accountId: 'a', period: { from: '2024-05-01', to: '2024-06-01' }, closedAt: 3000, hash: statementHash(late), json: late });
      const june = snapshot('1.00').replace('2024-05-01', '2024-06-01').replace('2024-06-01"}', '2024-07-01"}');
      await s.insert({ accountId: 'a', period: { from: '2024-06-01', to: '2024-07-01' }, closedAt: 4000, hash: statementHash(june), json: june });
      const list = (await s.listClosed(['a'])).get('a')!;
      expect(list.map((c) => c.period.from)).toEqual(['2024-05-01', '2024-06-01']);
      expect(list[0].json).toBe(text);
      expect(list[0].hash).toBe(statementHash(text));
      expect(list[0].closedAt).toBe(2000);
    });

    it('refuses a snapshot whose hash does not match', async () => {
      await store.insert('rating_statements', [{ account_id: 'bad', period_from: '2024-05-01', period_to: '2024-06-01', closed_at: 1, content_hash: '00', snapshot: '{}' }]);
      try {
        await new StatementStore(store).listClosed(['bad']);
        expect.unreachable();
      } catch (e) {
        expect((e as RatingError).code).toBe('FM_RATING_SNAPSHOT_CORRUPT');
      }
    });
  });
}
