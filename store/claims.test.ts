/**
 * Claims (store/claims.ts) on each backend: one winner among contenders at once, every reader
 * names the same one, losers withdraw, a claim still in flight is waited for, and a create that
 * died between claim and write is completed by a retry with the same content — never by another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../test/support/backends.ts';
import { CLAIMS_TABLE, Claims, firstClaim } from './claims.ts';
import { migrate } from './migrate.ts';
import { storeMigrations } from './schema.ts';
import type { Store } from './types.ts';

describe('firstClaim', () => {
  it('is the earliest claim, ties by the smallest token', () => {
    const c = (token: string, claimedAt: number) => ({ token, intent: '', claimedAt });
    expect(firstClaim<{ token: string; claimedAt: number }>([], (x) => x.token)).toBeNull();
    expect(firstClaim([c('b', 5), c('a', 7), c('c', 5)], (x) => x.token)).toEqual(c('b', 5));
  });
});

for (const backend of backends) {
  describe(`claims on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      await migrate(store, storeMigrations);
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it('contenders at once: exactly one wins, every one names it, the losers withdraw', async () => {
      // Each contender its own client, as on separate instances.
      const rs = await Promise.all(['t1', 't2', 't3', 't4', 't5'].map((t) => new Claims(store).claim('k:race', t, `intent-${t}`)));
      expect(rs.filter((r) => r.won)).toHaveLength(1);
      expect(new Set(rs.map((r) => r.winner.token)).size).toBe(1);
      const claims = new Claims(store);
      expect((await claims.live('k:race')).map((c) => c.token)).toEqual([rs.find((r) => r.won)!.winner.token]);
      // Later contenders read the winner and write nothing.
      const late = await claims.claim('k:race', 't9', 'other');
      expect(late).toEqual({ won: false, winner: rs.find((r) => r.won)!.winner });
      expect(Number((await store.query<{ n: string }>(`SELECT count() AS n FROM ${CLAIMS_TABLE} WHERE key = 'k:race' AND token = 't9'`))[0].n)).toBe(0);
    });

    it('settleMs longer than a slow commit: still one winner (and two when it is not: the assumption)', async () => {
      // A contender whose claim takes 200 ms to commit (the same store, its inserts held back), starting first.
      const slow: Store = Object.assign(Object.create(store) as Store, {
        insert: async (table: string, rows: readonly object[]) => {
          await new Promise((r) => setTimeout(r, 200));
          return store.insert(table, rows);
        },
      });
      const race = async (key: string, settleMs: number) => {
        const first = new Claims(slow, { settleMs }).claim(key, 'slow', 'i1');
        await new Promise((r) => setTimeout(r, 10));
        const second = new Claims(store, { settleMs }).claim(key, 'fast', 'i2');
        return Promise.all([first, second]);
      };
      const ok = await race('k:slow-400', 400);
      expect(ok.filter((r) => r.won).map((r) => r.winner.token)).toEqual(['slow']);
      const broken = await race('k:slow-20', 20);
      expect(broken.filter((r) => r.won)).toHaveLength(2);
    });

    it('a reader that sees a young claim waits for claims still in flight', async () => {
      const now = Date.now();
      await store.insert(CLAIMS_TABLE, [{ key: 'k:young', token: 'x', intent: 'ix', claimed_at: now, withdrawn: 0 }]);
      // An earlier claim whose insert lands 100 ms later (its writer read the key empty in time).
      const inFlight = new Promise((r) => setTimeout(r, 100)).then(() => store.insert(CLAIMS_TABLE, [{ key: 'k:young', token: 'y', intent: 'iy', claimed_at: now - 5, withdrawn: 0 }]));
      const r = await new Claims(store, { settleMs: 250 }).claim('k:young', 'z', 'iz');
      await inFlight;
      expect(r).toEqual({ won: false, winner: { token: 'y', intent: 'iy', claimedAt: now - 5 } });
    });

    it('a winner that withdraws frees the key for the next contender, not for a loser of before', async () => {
      const c = new Claims(store, { settleMs: 20 });
      const [a, b] = await Promise.all([c.claim('k:free', 'a', 'ia'), c.claim('k:free', 'b', 'ib')]);
      const winner = a.won ? 'a' : 'b';
      expect(a.won !== b.won).toBe(true);
      await c.withdraw('k:free', winner);
      const next = await c.claim('k:free', 'c', 'ic');
      expect(next.won).toBe(true);
      expect(next.winner.token).toBe('c');
    });

    it('release frees a key held for an intent', async () => {
      const c = new Claims(store, { settleMs: 20 });
      expect((await c.claim('k:release', 'a', 'acc-1')).won).toBe(true);
      await c.release('k:release', 'acc-1');
      expect((await c.claim('k:release', 'b', 'acc-2')).won).toBe(true);
    });

    it('decide: a create that died between claim and write is completed by its content after staleMs, never by another', async () => {
      let clock = 1_000_000;
      const c = new Claims(store, { now: () => clock, settleMs: 20, staleMs: 60_000, waitMs: 100 });
      let stored = false;
      const exists = async () => stored;
      const dead = await c.decide('k:crash', 'body-1', exists);
      expect(dead.kind).toBe('write');
      // … and the attempt dies: nothing stored.
      clock += 1_000;
      expect((await c.decide('k:crash', 'body-1', exists)).kind).toBe('pending');
      expect((await c.decide('k:crash', 'body-2', exists)).kind).toBe('other');
      clock += 60_000;
      expect((await c.decide('k:crash', 'body-2', exists)).kind).toBe('other');
      const retry = await c.decide('k:crash', 'body-1', exists);
      expect(retry).toMatchObject({ kind: 'write', winner: { token: dead.kind === 'write' ? dead.token : '' } });
      stored = true;
      expect((await c.decide('k:crash', 'body-1', exists)).kind).toBe('same');
      // The attempt's own token (a retry that carries it) is the winner at once.
      expect((await c.decide('k:crash', 'body-1', exists, dead.kind === 'write' ? dead.token : '')).kind).toBe('write');
    });

    it('decide: a loser with the winner content waits for its row', async () => {
      const c = new Claims(store, { settleMs: 20, waitMs: 2_000 });
      let stored = false;
      expect((await c.decide('k:wait', 'same', async () => stored)).kind).toBe('write');
      setTimeout(() => (stored = true), 150);
      expect((await c.decide('k:wait', 'same', async () => stored)).kind).toBe('same');
    });
  });
}
