/**
 * Properties of the whole pipeline (engine → storage → plan → statement):
 * - any permutation, duplication and chunking of a record stream, with flushes, evictions and
 *   restarts in between, gives byte-identical statement JSON;
 * - the streaming result equals the batch recompute from the raw records.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigIndex } from './assignments.ts';
import { monthPeriod } from './calendar.ts';
import { PresenceEngine, type PresenceRecord } from './engine.ts';
import { buildPlan } from './plan.ts';
import { presenceFromRows } from './presence.ts';
import { MemoryPresenceStorage } from './presence-storage.ts';
import { rateStatement, statementJson } from './statement.ts';
import { account, at, configOf, onAccount, suspend, tariff, useTariff } from './testing.ts';

const ZONE = 'Europe/Berlin';
const MARCH = monthPeriod('2024-03'); // contains the 23-hour day
const config = new ConfigIndex(
  configOf({
    accounts: [account('acme', ZONE), account('other', 'Asia/Vladivostok')],
    tariffVersions: [
      tariff('h', 1, '2024-01-01', { unit: 'hour', minActiveMinutes: 2, price: { model: 'graduated', tiers: [{ upTo: '20', unitPrice: '0.30', flatFee: '1' }, { upTo: null, unitPrice: '0.10' }] }, includedUnits: '3' }),
      tariff('h', 2, '2024-03-20', { unit: 'hour', minActiveMinutes: 2, price: { model: 'graduated', tiers: [{ upTo: '20', unitPrice: '0.35' }, { upTo: null, unitPrice: '0.15' }] }, includedUnits: '3' }),
      tariff('m', 1, '2024-01-01', { unit: 'month', proration: true, price: { model: 'per-unit', unitPrice: '7.77' }, pricesIncludeVat: true, minimumCharge: '10' }),
    ],
    tariffAssignments: [useTariff('acme', 'h', '2024-01-01'), useTariff('acme', 'm', '2024-03-10', 'c'), useTariff('other', 'h', '2024-01-01')],
    deviceAssignments: [onAccount('a', 'acme', '2024-01-01'), onAccount('b', 'acme', '2024-01-01'), onAccount('b', 'other', '2024-03-25'), onAccount('c', 'acme', '2024-03-05')],
    suspensions: [suspend('s', 'acme', '2024-03-15', '2024-03-17', 'a')],
  }),
);

const lo = at(ZONE, '2024-02-29T20:00');
const hi = at(ZONE, '2024-04-01T04:00');
const record = fc
  .record({
    deviceId: fc.constantFrom('a', 'b', 'c'),
    t: fc.integer({ min: lo, max: hi }),
    lag: fc.integer({ min: 0, max: 3 * 86_400_000 }),
    weird: fc.constantFrom<'ok' | 'null' | 'zero' | 'future'>('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'null', 'zero', 'future'),
  })
  .map(({ deviceId, t, lag, weird }): PresenceRecord => {
    const receivedAt = t + lag;
    const deviceTime = weird === 'ok' ? t : weird === 'null' ? null : weird === 'zero' ? 0 : receivedAt + 3_600_000;
    return { deviceId, deviceTime, receivedAt };
  });

async function viaEngine(batches: readonly (readonly PresenceRecord[])[], ops: readonly number[]): Promise<string[]> {
  const storage = new MemoryPresenceStorage();
  let engine = new PresenceEngine({ storage, maxDeviceDays: 8 });
  for (let i = 0; i < batches.length; i++) {
    await engine.ingest(batches[i]);
    const op = ops[i % ops.length];
    if (op === 2) engine = new PresenceEngine({ storage, maxDeviceDays: 8 }); // a restart
  }
  return statementsFrom((ids, from, to) => engine.load(ids, from, to));
}

async function statementsFrom(load: (ids: string[], from: number, to: number) => ReturnType<PresenceEngine['load']>): Promise<string[]> {
  const out: string[] = [];
  for (const id of ['acme', 'other']) {
    for (const policy of ['receive-time', 'quarantine'] as const) {
      const plan = buildPlan(config, id, MARCH);
      const presence = await load(['a', 'b', 'c'], 19_700, 19_850);
      out.push(statementJson(rateStatement(plan, presence.view(policy), policy)));
    }
  }
  return out;
}

/** Split a list into chunks at the given cut points. */
function chunk<T>(xs: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (xs.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let prev = 0;
  for (const p of [...points, xs.length]) {
    out.push(xs.slice(prev, p));
    prev = p;
  }
  return out;
}

describe('statements from streams (properties)', () => {
  it('permutation, duplication, chunking, flushes and restarts → byte-identical statements == batch recompute', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.constantFrom(0, 1, 2), { minLength: 1, maxLength: 5 }),
        fc.infiniteStream(fc.nat()),
        async (records, dupIdx, cuts, ops, seeds) => {
          const batch = await presenceFromRows(records);
          const expected = await statementsFrom(async () => batch);
          // a permutation of the stream with some records duplicated
          const dup = [...records, ...dupIdx.map((i) => records[i % records.length])];
          const it = seeds[Symbol.iterator]();
          const shuffled = dup.map((r) => ({ r, k: it.next().value as number })).sort((x, y) => x.k - y.k).map((x) => x.r);
          const streamed = await viaEngine(chunk(shuffled, cuts), ops);
          expect(streamed).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });
});
