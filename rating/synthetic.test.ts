import { describe, expect, it } from 'vitest';
import { ConfigIndex } from './assignments.ts';
import { monthPeriod } from './calendar.ts';
import { PresenceEngine } from './engine.ts';
import { countBits } from './minute-bitmap.ts';
import { buildPlan } from './plan.ts';
import { PresenceSet } from './presence.ts';
import { MemoryPresenceStorage } from './presence-storage.ts';
import { rateStatement } from './statement.ts';
import { deviceIdOf, presenceRows, prng, recordBatches, syntheticFleet } from './synthetic.ts';

describe('synthetic input', () => {
  it('is reproducible from its seed', () => {
    const a = prng(42);
    const b = prng(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(prng(43)()).not.toBe(prng(42)());
    const rows1 = [...presenceRows({ deviceIds: ['x', 'y'], fromDay: 0, toDay: 5, seed: 3 })].flat();
    const rows2 = [...presenceRows({ deviceIds: ['x', 'y'], fromDay: 0, toDay: 5, seed: 3 })].flat();
    expect(rows1.map((r) => countBits(r.bits))).toEqual(rows2.map((r) => countBits(r.bits)));
    expect(rows1.every((r) => countBits(r.bits) > 300)).toBe(true); // a working day is hours long
  });

  it('record batches cover every device, with distinct ids', async () => {
    const batches = [...recordBatches({ devices: 50, recordsPerBatch: 3, batches: 4, startMs: Date.UTC(2024, 0, 1) })];
    expect(batches).toHaveLength(4);
    expect(batches[0]).toHaveLength(150);
    expect(new Set(batches.flat().map((r) => r.deviceId)).size).toBe(50);
    expect(deviceIdOf(12)).toBe('356307040000012');
    // device order is shuffled per batch (as frames from many connections interleave)
    const firstOf = (b: { deviceId: string }[]) => b.filter((_, i) => i % 3 === 0).map((r) => r.deviceId).join();
    expect(new Set(batches.map(firstOf)).size).toBe(4);
    expect(batches[0].slice(0, 3).map((r) => r.deviceId)).toEqual(Array(3).fill(batches[0][0].deviceId));
    const engine = new PresenceEngine({ storage: new MemoryPresenceStorage() });
    for (const b of batches) await engine.ingest(b);
    expect(engine.stats().records).toBe(600);
  });

  it('a synthetic fleet rates without errors under every tariff', () => {
    const fleet = syntheticFleet({ accounts: 8, devicesPerAccount: 3 });
    const index = new ConfigIndex(fleet);
    const presence = new PresenceSet();
    const ids = fleet.deviceAssignments.map((d) => d.deviceId);
    for (const rows of presenceRows({ deviceIds: ids, fromDay: 19_780, toDay: 19_815 })) for (const r of rows) presence.mergeBits(r.deviceId, r.day, r.kind, r.bits);
    const totals = index.accountIds().map((id) => rateStatement(buildPlan(index, id, monthPeriod('2024-03')), presence.view('receive-time'), 'receive-time').totals.total);
    expect(totals).toHaveLength(8);
    expect(totals.every((t) => Number(t) > 0)).toBe(true);
  });
});
