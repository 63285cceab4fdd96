import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChdbStore } from './chdb.ts';
import { RowBinaryWriter } from './row-binary.ts';
import { tempDir } from '../test/support/temp.ts';

describe('chDB store', () => {
  it('close waits for statements still running (closing a session under one crashes the process)', async () => {
    const dir = tempDir('fm-chdb-close-');
    try {
      const store = await openChdbStore({ path: dir, database: 'close_test' });
      await store.command('CREATE TABLE t (a UInt64) ENGINE = MergeTree ORDER BY a');
      const slow = store.query<{ s: number }>('SELECT sleep(1) AS s');
      const payload = new RowBinaryWriter();
      payload.int64(1);
      payload.int64(2);
      const insert = store.insertRowBinary('t', [{ name: 'a', type: 'UInt64' }], payload.bytes());
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      await store.close();
      expect(Date.now() - started).toBeGreaterThan(500); // it waited for the sleep
      await expect(slow).resolves.toEqual([{ s: 0 }]);
      await expect(insert).resolves.toBeUndefined();
      await expect(store.query('SELECT 1')).rejects.toThrow(/closed/);
      // The directory can be opened again in this process afterwards.
      const again = await openChdbStore({ path: dir, database: 'close_test' });
      expect(await again.query<{ n: string }>('SELECT count() AS n FROM t')).toEqual([{ n: '2' }]);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('chDB RowBinary insert', () => {
  it('stores every row of a large payload (binary inlined into a query was cut short)', async () => {
    const dir = tempDir('fm-chdb-rb-');
    try {
      const store = await openChdbStore({ path: dir, database: 'rb_test' });
      await store.command('CREATE TABLE t (a UInt64, f Float64, s String) ENGINE = MergeTree ORDER BY a');
      const w = new RowBinaryWriter(16);
      const rows = 50_000;
      for (let i = 0; i < rows; i++) {
        w.int64(i * 7919 + 13);
        w.float64(i / 3);
        w.string(i % 97 === 0 ? 'line\nbreak\ttab\u0000nul' : String(i));
      }
      await store.insertRowBinary('t', [{ name: 'a', type: 'UInt64' }, { name: 'f', type: 'Float64' }, { name: 's', type: 'String' }], w.bytes());
      expect(await store.query('SELECT count() AS n, sum(a) AS a, countIf(s = \'line\\nbreak\\ttab\\0nul\') AS odd FROM t')).toEqual([
        { n: String(rows), a: String((7919 * rows * (rows - 1)) / 2 + 13 * rows), odd: String(Math.ceil(rows / 97)) },
      ]);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('concurrent inserts beyond the insert sessions each land whole (a session\'s payload file holds one at a time)', async () => {
    const dir = tempDir('fm-chdb-rb-');
    try {
      const store = await openChdbStore({ path: dir, database: 'rb_test' });
      await store.command('CREATE TABLE t (batch UInt8, a UInt64) ENGINE = MergeTree ORDER BY (batch, a)');
      const cols = [{ name: 'batch', type: 'UInt8' }, { name: 'a', type: 'UInt64' }];
      const payload = (batch: number, rows: number) => {
        const w = new RowBinaryWriter(16);
        for (let i = 0; i < rows; i++) {
          w.uint8(batch);
          w.int64(i);
        }
        return Buffer.from(w.bytes());
      };
      await Promise.all(Array.from({ length: 7 }, (_, b) => store.insertRowBinary('t', cols, payload(b, 1000 * (b + 1)))));
      expect(await store.query('SELECT batch, count() AS n FROM t GROUP BY batch ORDER BY batch')).toEqual(Array.from({ length: 7 }, (_, b) => ({ batch: b, n: String(1000 * (b + 1)) })));
      expect(readdirSync(join(dir, '.insert')).length).toBeLessThanOrEqual(2); // one file per insert session, reused
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
