import { describe, expect, it } from 'vitest';
import { PresenceEngine } from './engine.ts';
import { MemoryPresenceStorage } from './presence-storage.ts';
import { comparePresence, recomputePresence } from './reconcile.ts';

const DAY = 19875; // 2024-06-01
const T0 = DAY * 86_400_000;
const rows = [
  { deviceId: 'a', deviceTime: T0 + 60_000, receivedAt: T0 + 61_000 },
  { deviceId: 'a', deviceTime: null, receivedAt: T0 + 300_000 },
  { deviceId: 'b', deviceTime: T0 - 60_000, receivedAt: T0 }, // previous UTC day: outside the compared range
  { deviceId: 'zz', deviceTime: T0, receivedAt: T0 }, // another account's device
];

describe('reconcile presence', () => {
  it('recompute keeps only the scope', async () => {
    const set = await recomputePresence(rows, ['a', 'b'], DAY, DAY + 1);
    expect([...set.entries()].map((e) => `${e.deviceId}/${e.day}`)).toEqual([`a/${DAY}`]);
  });

  it('no differences when storage holds exactly what the records prove', async () => {
    const storage = new MemoryPresenceStorage();
    const engine = new PresenceEngine({ storage });
    engine.ingest([...rows, ...rows].reverse());
    await engine.flush();
    const persisted = await storage.loadRange(['a', 'b'], DAY, DAY + 1);
    expect(comparePresence(await recomputePresence(rows, ['a', 'b'], DAY, DAY + 1), persisted, ['a', 'b'], DAY, DAY + 1)).toEqual([]);
  });

  it('reports minutes missing from and extra in storage, per kind', async () => {
    const storage = new MemoryPresenceStorage();
    const engine = new PresenceEngine({ storage });
    engine.ingest([rows[0], { deviceId: 'b', deviceTime: T0 + 600_000, receivedAt: T0 + 600_000 }]); // a's fallback minute lost; b has an unexplained minute
    await engine.flush();
    const diff = comparePresence(await recomputePresence(rows, ['a', 'b'], DAY, DAY + 1), await storage.loadRange(['a', 'b'], DAY, DAY + 1), ['a', 'b'], DAY, DAY + 1);
    expect(diff).toEqual([
      { deviceId: 'a', day: '2024-06-01', kind: 'fallback', missingInPersisted: [5], extraInPersisted: [] },
      { deviceId: 'b', day: '2024-06-01', kind: 'device-time', missingInPersisted: [], extraInPersisted: [10] },
    ]);
  });
});
