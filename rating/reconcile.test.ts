import { describe, expect, it } from 'vitest';
import { PresenceEngine } from './engine.ts';
import { MemoryPresenceStorage } from './presence-storage.ts';
import { comparePresence, rawRecordsSql, recomputePresence, storedRawRows } from './reconcile.ts';
import type { Store } from '../store/types.ts';

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
    await engine.ingest([...rows, ...rows].reverse());
    const persisted = await storage.loadRange(['a', 'b'], DAY, DAY + 1);
    expect(comparePresence(await recomputePresence(rows, ['a', 'b'], DAY, DAY + 1), persisted, ['a', 'b'], DAY, DAY + 1)).toEqual([]);
  });

  it('reports minutes missing from and extra in storage, per kind', async () => {
    const storage = new MemoryPresenceStorage();
    const engine = new PresenceEngine({ storage });
    await engine.ingest([rows[0], { deviceId: 'b', deviceTime: T0 + 600_000, receivedAt: T0 + 600_000 }]); // a's fallback minute lost; b has an unexplained minute
    const diff = comparePresence(await recomputePresence(rows, ['a', 'b'], DAY, DAY + 1), await storage.loadRange(['a', 'b'], DAY, DAY + 1), ['a', 'b'], DAY, DAY + 1);
    expect(diff).toEqual([
      { deviceId: 'a', day: '2024-06-01', kind: 'fallback', missingInPersisted: [5], extraInPersisted: [] },
      { deviceId: 'b', day: '2024-06-01', kind: 'device-time', missingInPersisted: [], extraInPersisted: [10] },
    ]);
  });
});

describe('reconcile raw records from the store', () => {
  it('one partition day per query with FINAL, escaped', () => {
    expect(rawRecordsSql(['a', "b'c"], '2024-02-29', '2024-03-01')).toBe(
      "SELECT device_id, toString(device_ts) AS device_ts, has_device_time, toString(received_ts) AS received_ts FROM records FINAL WHERE device_id IN ('a', 'b\\'c') AND day >= toDate('2024-02-29') AND day < toDate('2024-03-01')",
    );
  });

  it('streams device chunks × partition days, counting rows; no device time gives null', async () => {
    const queries: string[] = [];
    const store = {
      async query(sql: string) {
        queries.push(sql);
        return sql.includes("day >= toDate('2024-03-01')") && sql.includes('d199') ? [{ device_id: 'd7', device_ts: '1709251200000', has_device_time: 0, received_ts: '1709251201000' }] : [];
      },
    } as unknown as Store;
    const deviceIds = Array.from({ length: 201 }, (_, i) => `d${i}`);
    const counter = { rows: 0 };
    const rows = [];
    for await (const r of storedRawRows(store, { deviceIds, rowsFrom: '2024-02-29', rowsTo: '2024-03-02' }, counter)) rows.push(r);
    expect(queries).toHaveLength(2 * 2); // (200 + 1 devices) × (Feb 29, Mar 1)
    expect(rows).toEqual([{ deviceId: 'd7', deviceTime: null, receivedAt: 1709251201000 }]);
    expect(counter.rows).toBe(1);
  });
});
