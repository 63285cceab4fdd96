import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PresenceEngine, type PresenceRecord, type StagedPresence } from './engine.ts';
import { countBits, minutesOf, newDayBits, orInto } from './minute-bitmap.ts';
import { DEFAULT_PLAUSIBILITY, VERDICT_DEVICE_TIME, VERDICT_DROP, VERDICT_FALLBACK, classifyTime } from './plausibility.ts';
import { KIND_DEVICE_TIME, KIND_FALLBACK, PresenceSet, presenceFromRows } from './presence.ts';
import { MemoryPresenceStorage, type PresenceRowIn } from './presence-storage.ts';

const T0 = Date.UTC(2024, 5, 1); // day 19875
const DAY = 19875;
const rec = (deviceId: string, deviceTime: number | null, receivedAt = deviceTime ?? T0): PresenceRecord => ({ deviceId, deviceTime, receivedAt });

function sameSets(a: PresenceSet, b: PresenceSet): void {
  const key = (s: PresenceSet) =>
    [...s.entries()]
      .map((e) => `${e.deviceId}/${e.day}: ${minutesOf(e.presence.device).join(',')} | ${minutesOf(e.presence.fallback ?? newDayBits()).join(',')}`)
      .filter((line) => !line.endsWith(':  | '))
      .sort();
  expect(key(a)).toEqual(key(b));
}

/**
 * `rating_presence` as ClickHouse keeps it after merges: per (device, day, kind, writer) only the
 * row with the most minutes (ReplacingMergeTree(minutes)); readers OR what is left.
 */
class MergedTable {
  readonly kept = new Map<string, PresenceRowIn>();
  write(rows: readonly PresenceRowIn[], writer: number): void {
    for (const r of rows) {
      const k = `${r.deviceId}|${r.day}|${r.kind}|${writer}`;
      const old = this.kept.get(k);
      if (old === undefined || countBits(r.bits) >= countBits(old.bits)) this.kept.set(k, { ...r, bits: Uint32Array.from(r.bits) });
    }
  }
  read(): PresenceSet {
    const set = new PresenceSet();
    for (const r of this.kept.values()) set.mergeBits(r.deviceId, r.day, r.kind, r.bits);
    return set;
  }
}

describe('presence engine', () => {
  it('stages the rows a batch adds; memory changes only once the commit succeeded', async () => {
    const engine = new PresenceEngine({ storage: new MemoryPresenceStorage() });
    const s = engine.stage([rec('A', T0 + 60_000), rec('A', T0 + 60_500), rec('A', null, T0 + 120_000), rec('B', null, 0)]);
    expect({ deviceTime: s.deviceTime, fallback: s.fallback, dropped: s.dropped }).toEqual({ deviceTime: 2, fallback: 1, dropped: 1 });
    expect(s.rows.map((r) => `${r.deviceId}/${r.day}/${r.kind}: ${minutesOf(r.bits)}`)).toEqual([`A/${DAY}/${KIND_DEVICE_TIME}: 1`, `A/${DAY}/${KIND_FALLBACK}: 2`]);
    expect(s.writer).toBeGreaterThan(0);
    // Not committed yet: a second batch with the same minute writes it too (under another writer).
    const again = engine.stage([rec('A', T0 + 60_000)]);
    expect(again.rows).toHaveLength(1);
    expect(again.writer).not.toBe(s.writer);
    s.done(true);
    again.done(true);
    expect(() => s.done(true)).toThrow(/twice/);
    // Committed: the same minute again adds nothing, a new minute adds a row holding both.
    expect(engine.stage([rec('A', T0 + 60_000)]).rows).toHaveLength(0);
    const next = engine.stage([rec('A', T0 + 180_000)]);
    expect(next.rows.map((r) => minutesOf(r.bits))).toEqual([[1, 3]]);
    expect([s.writer, again.writer]).toContain(next.writer); // a settled writer id is reused
    next.done(true);
    expect(engine.stats()).toMatchObject({ rowsCommitted: 4, abandoned: 0 });
  });

  it('a given-up batch leaves no minute in memory and retires its writer id', () => {
    const engine = new PresenceEngine({ storage: new MemoryPresenceStorage() });
    const lost = engine.stage([rec('A', T0 + 60_000)]);
    lost.done(false);
    const retry = engine.stage([rec('A', T0 + 60_000)]);
    expect(retry.rows.map((r) => minutesOf(r.bits))).toEqual([[1]]);
    expect(retry.writer).not.toBe(lost.writer);
    expect(engine.stats().abandoned).toBe(1);
  });

  it('ingest saves through the storage; a failed save leaves nothing behind', async () => {
    const storage = new MemoryPresenceStorage();
    const engine = new PresenceEngine({ storage });
    storage.failNextSave = true;
    await expect(engine.ingest([rec('A', T0)])).rejects.toThrow(/injected/);
    expect(storage.rows).toHaveLength(0);
    expect(await engine.ingest([rec('A', T0), rec('A', T0 + 1)])).toEqual({ deviceTime: 2, fallback: 0, dropped: 0 });
    expect(minutesOf((await storage.loadRange(['A'], DAY, DAY + 1)).get('A', DAY)!.device)).toEqual([0]);
    await engine.ingest([rec('A', T0)]);
    expect(storage.rows).toHaveLength(1); // nothing new: nothing written
  });

  it('the inlined hot-path rule equals classifyTime (property)', () => {
    const around = (t: number) => fc.oneof(fc.constant(null), fc.integer({ min: t - 700_000, max: t + 700_000 }), fc.constantFrom(0, Number.NaN, 946_684_799_999, 946_684_800_000));
    fc.assert(
      fc.property(fc.integer({ min: T0, max: T0 + 86_400_000 }).chain((rt) => fc.tuple(around(rt), fc.constant(rt))), ([dt, rt]) => {
        const engine = new PresenceEngine({ storage: new MemoryPresenceStorage() });
        const r = engine.stage([rec('X', dt, rt)]);
        const v = classifyTime(dt, rt, DEFAULT_PLAUSIBILITY);
        expect(r.deviceTime).toBe(v === VERDICT_DEVICE_TIME ? 1 : 0);
        expect(r.fallback).toBe(v === VERDICT_FALLBACK ? 1 : 0);
        expect(r.dropped).toBe(v === VERDICT_DROP ? 1 : 0);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps memory bounded: evicts least recently touched days; rows written after an eviction use new writer ids', () => {
    const engine = new PresenceEngine({ storage: new MemoryPresenceStorage(), maxDeviceDays: 10 });
    const writers = new Set<number>();
    for (let d = 0; d < 30; d++) {
      const s = engine.stage([rec('A', T0 + d * 86_400_000)]);
      writers.add(s.writer);
      s.done(true);
    }
    expect(engine.stats().residentDeviceDays).toBeLessThanOrEqual(10);
    expect(writers.size).toBeGreaterThan(1);
  });

  it('concurrent batches, failures, evictions and restarts: merged stored rows == batch recompute of committed records (property)', async () => {
    const record = fc.record({
      deviceId: fc.constantFrom('a', 'b', 'c'),
      deviceTime: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: T0 - 86_400_000, max: T0 + 3 * 86_400_000 }) }, { weight: 1, arbitrary: fc.constantFrom(null, 0) }),
      receivedAt: fc.integer({ min: T0, max: T0 + 3 * 86_400_000 }),
    });
    const step = fc.oneof(
      { weight: 6, arbitrary: fc.array(record, { maxLength: 20 }).map((records) => ({ op: 'stage' as const, records })) },
      // settle the oldest / newest in-flight batch: committed, or given up with its rows stored or not
      { weight: 4, arbitrary: fc.record({ op: fc.constant('settle' as const), newest: fc.boolean(), outcome: fc.constantFrom('committed', 'lost', 'lost-after-write') }) },
      { weight: 1, arbitrary: fc.constant({ op: 'restart' as const }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), fc.integer({ min: 1, max: 6 }), async (steps, max) => {
        const table = new MergedTable();
        let engine = new PresenceEngine({ storage: new MemoryPresenceStorage(), maxDeviceDays: max });
        const committed: PresenceRecord[] = [];
        let inFlight: { staged: StagedPresence; records: PresenceRecord[] }[] = [];
        const settle = (b: { staged: StagedPresence; records: PresenceRecord[] }, outcome: string) => {
          if (outcome === 'committed') {
            table.write(b.staged.rows, b.staged.writer);
            committed.push(...b.records);
            b.staged.done(true);
          } else {
            if (outcome === 'lost-after-write') table.write(b.staged.rows, b.staged.writer); // the presence insert went through, the records' did not
            b.staged.done(false);
          }
        };
        for (const s of steps) {
          if (s.op === 'stage') inFlight.push({ staged: engine.stage(s.records), records: s.records });
          else if (s.op === 'settle') {
            const b = s.newest ? inFlight.pop() : inFlight.shift();
            if (b !== undefined) settle(b, s.outcome);
          } else {
            for (const b of inFlight) settle(b, 'lost-after-write'); // kill -9: nothing in flight was acked
            inFlight = [];
            engine = new PresenceEngine({ storage: new MemoryPresenceStorage(), maxDeviceDays: max });
          }
        }
        for (const b of inFlight) settle(b, 'committed');
        // Every committed minute survives the merges; a minute of a lost batch may be stored too
        // (its device was not acked and resends), so compare the committed records' minutes ⊆ stored.
        const expected = await presenceFromRows(committed);
        const stored = table.read();
        for (const e of expected.entries()) {
          const got = stored.get(e.deviceId, e.day);
          expect(got, `${e.deviceId}/${e.day}`).toBeDefined();
          const dev = Uint32Array.from(got!.device);
          expect(orInto(dev, e.presence.device), `${e.deviceId}/${e.day} device minutes lost`).toBe(false);
          if (e.presence.fallback !== null) {
            const fb = Uint32Array.from(got!.fallback ?? newDayBits());
            expect(orInto(fb, e.presence.fallback), `${e.deviceId}/${e.day} fallback minutes lost`).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('without failures the merged rows are exactly the batch recompute (property)', async () => {
    const record = fc.record({
      deviceId: fc.constantFrom('a', 'b'),
      deviceTime: fc.oneof(fc.integer({ min: T0, max: T0 + 2 * 86_400_000 }), fc.constant(null)),
      receivedAt: fc.integer({ min: T0, max: T0 + 2 * 86_400_000 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(record, { maxLength: 15 }), { maxLength: 20 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), async (batches, max, concurrency) => {
        const table = new MergedTable();
        const engine = new PresenceEngine({ storage: new MemoryPresenceStorage(), maxDeviceDays: max });
        for (let i = 0; i < batches.length; i += concurrency) {
          const staged = batches.slice(i, i + concurrency).map((b) => engine.stage(b));
          for (const s of staged.reverse()) {
            table.write(s.rows, s.writer);
            s.done(true);
          }
        }
        sameSets(table.read(), await presenceFromRows(batches.flat()));
      }),
      { numRuns: 200 },
    );
  });
});
