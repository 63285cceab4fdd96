import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChdbStore } from './chdb.ts';

describe('chDB store', () => {
  it('close waits for statements still running (closing a session under one crashes the process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-chdb-close-'));
    try {
      const store = await openChdbStore({ path: dir, database: 'close_test' });
      await store.command('CREATE TABLE t (a UInt64) ENGINE = MergeTree ORDER BY a');
      const slow = store.query<{ s: number }>('SELECT sleep(1) AS s');
      const insert = store.insertTsv('t', ['a'], '1\n2\n');
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
