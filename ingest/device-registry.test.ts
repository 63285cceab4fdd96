import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../test/support/backends.ts';
import { allMigrations } from '../cli/runtime.ts';
import { migrate, type Store } from '../store/index.ts';
import { DeviceRegistry } from './device-registry.ts';

describe('DeviceRegistry refresh timer', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await backends[0].open());
    await migrate(store, allMigrations);
  });
  afterAll(async () => cleanup?.());

  it('ticks do not pile up behind a slow load: one load, one warning when it fails', async () => {
    let loads = 0;
    let release: () => void = () => undefined;
    let slow = false;
    let closed = false; // once the slow load fails, the store stays gone
    const gated: Store = {
      ...store,
      async query<T>(sql: string): Promise<T[]> {
        if (sql.includes('FROM devices')) {
          loads++;
          if (closed) throw new Error('store is closed');
          if (slow) {
            await new Promise<void>((r) => (release = r));
            closed = true;
            throw new Error('store is closed');
          }
        }
        return store.query<T>(sql);
      },
    };
    const warnings: string[] = [];
    const registry = new DeviceRegistry(gated, { unknownDevicePolicy: 'accept', refreshMs: 10, discoveredWriteIntervalMs: 600_000 }, Date.now, { warn: (_o, msg) => warnings.push(msg) });
    await registry.start();
    slow = true;
    const before = loads;
    await new Promise((r) => setTimeout(r, 150)); // ~15 ticks while the first slow load hangs
    expect(loads - before).toBe(1);
    const stopping = registry.stop(); // the gateway stops, then closes the store
    release();
    await stopping;
    await new Promise((r) => setTimeout(r, 30));
    expect(warnings).toEqual(['device registry refresh failed; serving the cached copy']);
  });
});
