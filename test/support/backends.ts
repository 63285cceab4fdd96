/**
 * Both storage backends for tests that must hold on each: embedded chDB (always) and a ClickHouse
 * server when CLICKHOUSE_URL is set. With FLEETMETER_REQUIRE_SERVER=1 (CI) a missing server fails
 * the run instead of silently skipping the server half.
 */
import { openStore, type Store } from '../../store/index.ts';
import { tempDir } from './temp.ts';

export interface Backend {
  readonly name: 'chdb' | 'server';
  /** Opens a fresh, empty database on this backend; `cleanup` drops it. */
  open(): Promise<{ store: Store; cleanup: () => Promise<void> }>;
}

const serverUrl = process.env.CLICKHOUSE_URL;
if (!serverUrl && process.env.FLEETMETER_REQUIRE_SERVER === '1') {
  throw new Error('FLEETMETER_REQUIRE_SERVER=1 but CLICKHOUSE_URL is not set: the server-backed tests would be skipped');
}

let chdbDir: string | null = null;
let seq = 0;

const chdb: Backend = {
  name: 'chdb',
  async open() {
    // chDB binds one data directory per process; each test file runs in its own process, and
    // each open gets its own database inside it.
    chdbDir ??= tempDir('fm-chdb-'); // removed after the test file (support/temp.ts)
    const database = `t${process.pid}_${++seq}`;
    const store = await openStore({ backend: 'chdb', path: chdbDir, database });
    return {
      store,
      cleanup: async () => {
        await store.command(`DROP DATABASE IF EXISTS ${database}`);
        await store.close();
      },
    };
  },
};

const server: Backend = {
  name: 'server',
  async open() {
    const database = `fm_test_${process.pid}_${Date.now().toString(36)}_${++seq}`;
    const store = await openStore({ backend: 'server', url: serverUrl!, database, username: process.env.CLICKHOUSE_USER, password: process.env.CLICKHOUSE_PASSWORD });
    return {
      store,
      cleanup: async () => {
        await store.command(`DROP DATABASE IF EXISTS ${database}`);
        await store.close();
      },
    };
  },
};

/** The backends available here: chDB always, the server when configured. */
export const backends: readonly Backend[] = serverUrl ? [chdb, server] : [chdb];
