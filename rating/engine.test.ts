import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PresenceEngine, type PresenceRecord } from './engine.ts';
import { minutesOf, newDayBits } from './minute-bitmap.ts';
import { DEFAULT_PLAUSIBILITY, VERDICT_DEVICE_TIME, VERDICT_DROP, VERDICT_FALLBACK, classifyTime } from './plausibility.ts';
import { type PresenceSet, presenceFromRows } from './presence.ts';
import { MemoryPresenceStorage } from './presence-storage.ts';

const T0 = Date.UTC(2024, 5, 1); // day 19875
const DAY = 19875;
const rec = (deviceId: string, deviceTime: number | null, receivedAt = deviceTime ?? T0): PresenceRecord => ({ deviceId, deviceTime, receivedAt });

function sameSets(a: PresenceSet, b: PresenceSet): void {
  const ea = [...a.entries()];
  const eb = [...b.entries()];
  expect(ea.map((e) => `${e.deviceId}/${e.day}`)).toEqual(eb.map((e) => `${e.deviceId}/${e.day}`));
  for (let i = 0; i < ea.length; i++) {
    expect(minutesOf(ea[i].presence.device)).toEqual(minutesOf(eb[i].presence.device));
    expect(minutesOf(ea[i].presence.fallback ?? newDayBits())).toEqual(minutesOf(eb[i].presence.fallback ?? newDayBits()));
  }
}

describe('presence engine', () => {
  it('sets minutes, reports counts and exposes them before any flush', async () => {
    const storage = new MemoryPresenceStorage();
    const engine = new PresenceEngine({ storage });
    const r = engine.ingest([rec('A', T0 + 60_000), rec('A', T0 + 60_500), rec('A', null, T0 + 120_000), rec('B', null, 0)]);
    expect(r).toEqual({ deviceTime: 2, fallback: 1, dropped: 1, flushNeeded: false });
    expect(engine.minutesInMemory('A', DAY)).toEqual({ minutes: 2, complete: false });
    const live = await engine.load(['A', 'B'], DAY, DAY + 1);
    expect(minutesOf(live.get('A', DAY)!.device)).toEqual([1]);
    expect(minutesOf(live.get('A', DAY)!.fallback!)).toEqual([2]);
    expect(live.get('B', DAY)).toBeUndefined();
    expect(storage.rows).toHaveLength(0);
    const f = await engine.flush();
    expect(f.written).toBe(2); // device-time row and fallback row
    expect(engine.minutesInMemory('A', DAY)).toEqual({ minutes: 2, complete: true });
    expect((await engine.flush()).written).toBe(0); // nothing changed: nothing written
    engine.ingest([rec('A', T0 + 60_000)]); // a duplicate changes nothing
    expect((await engine.flush()).written).toBe(0);
  });

  it('the inlined hot-path rule equals classifyTime (property)', () => {
    const around = (t: number) => fc.oneof(fc.constant(null), fc.integer({ min: t - 700_000, max: t + 700_000 }), fc.constantFrom(0, Number.NaN, 946_684_799_999, 946_684_800_000));
    fc.assert(
      fc.property(fc.integer({ min: T0, max: T0 + 86_400_000 }).chain((rt) => fc.tuple(around(rt), fc.constant(rt))), ([dt, rt]) => {
        const engine = new PresenceEngine({ storage: new MemoryPresenceStorage() });
        const r = engine.ingest([rec('X', dt, rt)]);
        const v = classifyTime(dt, rt, DEFAULT_PLAUSIBILITY);
        expect(r.deviceTime).toBe(v === VERDICT_DEVICE_TIME ? 1 : 0);
        expect(r.fallback).toBe(v === VERDICT_FALLBACK ? 1 : 0);
        expect(r.dropped).toBe(v === VERDICT_DROP ? 1 : 0);
      }),
      { numRuns: 300 },
    );
  });

  it('a restarted engine merges with what is stored; its rows only grow', async () => {
    const storage = new MemoryPresenceStorage();
    const first = new PresenceEngine({ storage });
    first.ingest([rec('A', T0), rec('A', T0 + 10 * 60_000)]);
    await first.flush();
    const second = new PresenceEngine({ storage }); // restart: empty memory
    second.ingest([rec('A', T0 + 20 * 60_000)]);
    expect(second.minutesInMemory('A', DAY)).toEqual({ minutes: 1, complete: false });
    await second.flush();
    expect(second.minutesInMemory('A', DAY)).toEqual({ minutes: 3, complete: true });
    const last = storage.rows[storage.rows.length - 1];
    expect(minutesOf(last.bits)).toEqual([0, 10, 20]); // written merged, a superset of the stored row
    expect(minutesOf((await storage.loadRange(['A'], DAY, DAY + 1)).get('A', DAY)!.device)).toEqual([0, 10, 20]);
  });

  it('several instances converge through storage', async () => {
    const storage = new MemoryPresenceStorage();
    const a = new PresenceEngine({ storage });
    const b = new PresenceEngine({ storage });
    a.ingest([rec('D', T0 + 60_000)]);
    b.ingest([rec('D', T0 + 120_000)]);
    await a.flush();
    await b.flush();
    const viaA = await a.load(['D'], DAY, DAY + 1);
    const viaB = await b.load(['D'], DAY, DAY + 1);
    expect(minutesOf(viaA.get('D', DAY)!.device)).toEqual([1, 2]);
    sameSets(viaA, viaB);
  });

  it('keeps memory bounded: evicts clean least-recently-touched days, reloads them when touched again', async () => {
    const storage = new MemoryPresenceStorage();
    const engine = new PresenceEngine({ storage, maxDeviceDays: 10 });
    const recs: PresenceRecord[] = [];
    for (let d = 0; d < 30; d++) recs.push(rec('A', T0 + d * 86_400_000 + d * 60_000, T0 + 40 * 86_400_000));
    // Flush is asked for when resident device-days exceed the bound, or dirty ones exceed half of it.
    expect(engine.ingest(recs.slice(0, 5)).flushNeeded).toBe(false);
    expect(engine.ingest(recs.slice(5, 6)).flushNeeded).toBe(true); // 6 dirty > 5
    await engine.flush();
    expect(engine.ingest(recs.slice(6, 10)).flushNeeded).toBe(false); // 10 resident: exactly at the bound
    const r = engine.ingest(recs.slice(10, 11)); // 11 resident > 10
    expect(r.flushNeeded).toBe(true);
    engine.ingest(recs.slice(11));
    expect(engine.stats().residentDeviceDays).toBe(30);
    const f = await engine.flush();
    expect(f.evicted).toBeGreaterThan(0);
    expect(engine.stats().residentDeviceDays).toBeLessThanOrEqual(10);
    // The evicted days are still there, from storage.
    const all = await engine.load(['A'], DAY, DAY + 30);
    for (let d = 0; d < 30; d++) expect(minutesOf(all.get('A', DAY + d)!.device)).toEqual([d]);
    // Touching an evicted day again: the new row merges the old minute back in.
    engine.ingest([rec('A', T0 + 500 * 60_000)]);
    await engine.flush();
    const last = storage.rows[storage.rows.length - 1];
    expect(last.day).toBe(DAY);
    expect(minutesOf(last.bits)).toEqual([0, 500]);
  });

  it('a failed flush keeps the changes and the next flush writes them', async () => {
    const storage = new MemoryPresenceStorage();
    const engine = new PresenceEngine({ storage });
    engine.ingest([rec('A', T0)]);
    storage.failNextSave = true;
    await expect(engine.flush()).rejects.toThrow('injected');
    expect(engine.stats().dirtyDeviceDays).toBe(1);
    expect((await engine.flush()).written).toBe(1);
    expect(minutesOf(storage.rows[0].bits)).toEqual([0]);
  });

  it('bits set while a flush is in flight are written by the next flush', async () => {
    const storage = new MemoryPresenceStorage();
    const engine = new PresenceEngine({ storage });
    engine.ingest([rec('A', T0)]);
    const p = engine.flush();
    engine.ingest([rec('A', T0 + 60_000)]);
    await p;
    await engine.flush();
    const stored = await storage.loadRange(['A'], DAY, DAY + 1);
    expect(minutesOf(stored.get('A', DAY)!.device)).toEqual([0, 1]);
  });

  it('streaming with any chunking, flushes, evictions and restarts == batch recompute (property)', async () => {
    const record = fc.record({
      deviceId: fc.constantFrom('a', 'b', 'c'),
      deviceTime: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: T0 - 86_400_000, max: T0 + 3 * 86_400_000 }) }, { weight: 1, arbitrary: fc.constantFrom(null, 0) }),
      receivedAt: fc.integer({ min: T0, max: T0 + 3 * 86_400_000 }),
    });
    const step = fc.oneof(
      { weight: 6, arbitrary: fc.array(record, { maxLength: 20 }).map((records) => ({ op: 'ingest' as const, records })) },
      { weight: 2, arbitrary: fc.constant({ op: 'flush' as const }) },
      { weight: 1, arbitrary: fc.constant({ op: 'restart' as const }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), fc.integer({ min: 1, max: 6 }), async (steps, max) => {
        const storage = new MemoryPresenceStorage();
        let engine = new PresenceEngine({ storage, maxDeviceDays: max });
        const all: PresenceRecord[] = [];
        for (const s of steps) {
          if (s.op === 'ingest') {
            all.push(...s.records);
            engine.ingest(s.records);
          } else if (s.op === 'flush') await engine.flush();
          else {
            await engine.stop();
            engine = new PresenceEngine({ storage, maxDeviceDays: max });
          }
        }
        const ids = ['a', 'b', 'c'];
        const expected = await presenceFromRows(all);
        sameSets(await engine.load(ids, DAY - 2, DAY + 5), expected);
        await engine.flush();
        sameSets(await storage.loadRange(ids, DAY - 2, DAY + 5), expected);
      }),
      { numRuns: 150 },
    );
  });
});

