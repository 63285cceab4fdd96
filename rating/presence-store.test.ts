import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type Store } from '../store/index.ts';
import { backends } from '../test/support/backends.ts';
import { PresenceEngine } from './engine.ts';
import { bitsFromMinutes, minutesOf } from './minute-bitmap.ts';
import { KIND_DEVICE_TIME, KIND_FALLBACK, PresenceSet } from './presence.ts';
import { RowBinaryWriter } from '../store/row-binary.ts';
import { ClickHousePresenceStorage, fingerprintOf, presenceFingerprintSql, presenceInsert, selectPresenceDaysSql, selectPresenceSql, unpackPresence } from './presence-store.ts';
import { ratingMigrations } from './schema.ts';

const DAY = 19875; // 2024-06-01
const T0 = DAY * 86_400_000;

describe('presence SQL (text)', () => {
  it('selects a device list and a half-open day range, escaped, words as compact tokens packed per device', () => {
    const tokens = "arrayStringConcat(arrayMap(x -> if(x = 0, '', if(x = 4294967295, 'x', hex(x))), words), ',')";
    expect(selectPresenceSql(["a'b", 'c'], DAY, DAY + 2)).toBe(
      `SELECT device_id, arrayStringConcat(groupArray(concat(toString(toUInt16(day)), ':', toString(kind), ':', ${tokens})), ';') AS p FROM rating_presence ` +
        "WHERE device_id IN ('a\\'b', 'c') AND day >= toDate('2024-06-01') AND day < toDate('2024-06-03') GROUP BY device_id",
    );
    expect(selectPresenceDaysSql(['a'], [DAY, DAY + 3])).toBe(
      `SELECT device_id, arrayStringConcat(groupArray(concat(toString(toUInt16(day)), ':', toString(kind), ':', toString(cityHash64(device_id, kind, writer, minutes, words)), ':', ${tokens})), ';') AS p ` +
        "FROM rating_presence WHERE device_id IN ('a') AND day IN (toDate('2024-06-01'), toDate('2024-06-04')) GROUP BY device_id",
    );
    expect(presenceFingerprintSql(['a'], DAY, DAY + 1)).toBe(
      "SELECT toUInt16(day) AS d, toString(count()) AS n, toString(sum(cityHash64(device_id, kind, writer, minutes, words))) AS h FROM rating_presence " +
        "WHERE device_id IN ('a') AND day >= toDate('2024-06-01') AND day < toDate('2024-06-02') GROUP BY day",
    );
    expect(fingerprintOf(2, (1n << 64n) + 5n)).toBe('2:5'); // the sum wraps like ClickHouse's UInt64
  });

  it('unpacks packed rows: several rows of a device-day OR together, hashes reported, malformed text refused', () => {
    const set = new PresenceSet();
    const hashes: string[] = [];
    unpackPresence(set, 'd', `${DAY}:0:123:0F;${DAY}:0:9:,01;${DAY}:1:77:x;${DAY + 1}:0:5:`, true, (day, h) => hashes.push(`${day}/${h}`));
    expect(minutesOf(set.get('d', DAY)!.device)).toEqual([0, 1, 2, 3, 32]);
    expect(minutesOf(set.get('d', DAY)!.fallback!)).toEqual(Array.from({ length: 32 }, (_, m) => m));
    expect(minutesOf(set.get('d', DAY + 1)!.device)).toEqual([]);
    expect(hashes).toEqual([`${DAY}/123`, `${DAY}/9`, `${DAY}/77`, `${DAY + 1}/5`]);
    const plain = new PresenceSet();
    unpackPresence(plain, 'e', `${DAY}:1:,,01`, false);
    expect(minutesOf(plain.get('e', DAY)!.fallback!)).toEqual([64]);
    for (const bad of [`x:0:1`, `${DAY}:2:1`, `${DAY}0:1`, `${DAY}:0:1;`, `${DAY}:0:zz`]) expect(() => unpackPresence(new PresenceSet(), 'f', bad, false), bad).toThrow();
  });

  it('a stored row is ≤ 45 words (trailing zero words dropped) with its popcount as version', () => {
    const insert = presenceInsert(
      [
        { deviceId: 'x', day: DAY, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([0, 1, 1439]) },
        { deviceId: 'q"x', day: DAY, kind: KIND_FALLBACK, bits: bitsFromMinutes([0, 1, 70]) },
        { deviceId: 'e', day: DAY, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([]) },
      ],
      7,
    );
    expect(insert.table).toBe('rating_presence');
    const head = (id: string, kind: number, minutes: number, words: number) => {
      const w = new RowBinaryWriter();
      w.string(id);
      w.date(DAY);
      w.uint8(kind);
      w.uint32(7);
      w.uint16(minutes);
      w.uint8(words); // varint length of the array (< 128)
      return w.bytes();
    };
    const p = Buffer.from(insert.payload);
    const x = head('x', 0, 3, 45);
    expect(p.subarray(0, x.length)).toEqual(x);
    let at = x.length + 45 * 4;
    const q = head('q"x', 1, 3, 3);
    expect(p.subarray(at, at + q.length)).toEqual(q);
    expect(p.readUInt32LE(at + q.length)).toBe(3);
    expect(p.readUInt32LE(at + q.length + 8)).toBe(1 << (70 - 64));
    at += q.length + 3 * 4;
    expect(p.subarray(at)).toEqual(head('e', 0, 0, 0));
  });

  it('migrations are idempotent DDL with unique ids', () => {
    const ids = ratingMigrations.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of ratingMigrations) for (const s of m.statements) expect(s).toMatch(/^CREATE TABLE IF NOT EXISTS /);
  });
});

for (const backend of backends) {
  describe(`presence in ClickHouse (${backend.name})`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      await migrate(store, ratingMigrations);
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it('rows from several writers and repeated saves OR together on read', async () => {
      const w1 = new ClickHousePresenceStorage(store);
      const w2 = new ClickHousePresenceStorage(store);
      await w1.save([{ deviceId: 'dev-1', day: DAY, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([1, 2]) }], 1);
      await w1.save([{ deviceId: 'dev-1', day: DAY, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([1, 2, 3]) }], 1);
      await w2.save([
        { deviceId: 'dev-1', day: DAY, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([1439]) },
        { deviceId: 'dev-1', day: DAY, kind: KIND_FALLBACK, bits: bitsFromMinutes([7]) },
        { deviceId: 'dev-1', day: DAY + 1, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([0]) },
        { deviceId: "o'brien", day: DAY, kind: KIND_DEVICE_TIME, bits: bitsFromMinutes([5]) },
      ], 2);
      const set = await w1.loadRange(['dev-1', "o'brien"], DAY, DAY + 1);
      expect(minutesOf(set.get('dev-1', DAY)!.device)).toEqual([1, 2, 3, 1439]);
      expect(minutesOf(set.get('dev-1', DAY)!.fallback!)).toEqual([7]);
      expect(set.get('dev-1', DAY + 1)).toBeUndefined(); // outside the half-open range
      expect(minutesOf(set.get("o'brien", DAY)!.device)).toEqual([5]);
      // Background merges (forced here) keep the largest row per writer and lose nothing.
      await store.command('OPTIMIZE TABLE rating_presence FINAL');
      const again = await w2.loadRange(['dev-1'], DAY, DAY + 1);
      expect(minutesOf(again.get('dev-1', DAY)!.device)).toEqual([1, 2, 3, 1439]);
      const rows = await store.query<{ n: string }>("SELECT count() AS n FROM rating_presence WHERE device_id = 'dev-1' AND day = toDate('2024-06-01') AND kind = 0");
      expect(Number(rows[0].n)).toBe(2); // one per writer
    });

    it('engines over ClickHouse converge across restarts and instances', async () => {
      const a = new PresenceEngine({ storage: new ClickHousePresenceStorage(store) });
      await a.ingest([{ deviceId: 'dev-2', deviceTime: T0 + 60_000, receivedAt: T0 + 60_000 }]);
      const b = new PresenceEngine({ storage: new ClickHousePresenceStorage(store) });
      await b.ingest([
        { deviceId: 'dev-2', deviceTime: T0 + 120_000, receivedAt: T0 + 120_000 },
        { deviceId: 'dev-2', deviceTime: T0 + 60_000, receivedAt: T0 + 60_000 },
      ]);
      const c = new PresenceEngine({ storage: new ClickHousePresenceStorage(store) });
      const seen = await c.load(['dev-2'], DAY, DAY + 1);
      expect(minutesOf(seen.get('dev-2', DAY)!.device)).toEqual([1, 2]);
    });
  });
}
