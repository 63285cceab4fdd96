/** openStore loads only the backend it opens: a gateway on a ClickHouse server never maps libchdb (~570 MB). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const storeIndex = new URL('./index.ts', import.meta.url).href;

/** Opens a store in a fresh Node process and says whether libchdb got mapped into it. */
function probe(config: object): { chdbMapped: boolean; backend: string } {
  const code = `
    import { readFileSync } from 'node:fs';
    const { openStore } = await import(${JSON.stringify(storeIndex)});
    const store = await openStore(${JSON.stringify(config)});
    const chdbMapped = readFileSync('/proc/self/maps', 'utf8').includes('libchdb');
    await store.close();
    console.log(JSON.stringify({ chdbMapped, backend: store.backend }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000, cwd: new URL('..', import.meta.url).pathname });
  if (r.status !== 0) throw new Error(`probe failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('openStore', () => {
  it.skipIf(!process.env.CLICKHOUSE_URL)('the server backend does not load chDB', async () => {
    const database = `fm_probe_${process.pid}`;
    try {
      expect(probe({ backend: 'server', url: process.env.CLICKHOUSE_URL, database })).toEqual({ chdbMapped: false, backend: 'server' });
    } finally {
      await fetch(process.env.CLICKHOUSE_URL!, { method: 'POST', body: `DROP DATABASE IF EXISTS ${database}` });
    }
  });

  it('the embedded backend loads it (what the probe above would see)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fm-chdb-probe-'));
    try {
      expect(probe({ backend: 'chdb', path: dir, database: 'probe' })).toEqual({ chdbMapped: true, backend: 'chdb' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
