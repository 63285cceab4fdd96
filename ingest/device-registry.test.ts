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

describe('DeviceRegistry: the registered protocol is enforced at login', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let registry: DeviceRegistry;
  beforeAll(async () => {
    ({ store, cleanup } = await backends[0].open());
    await migrate(store, allMigrations);
    registry = new DeviceRegistry(store, { unknownDevicePolicy: 'accept', refreshMs: 60_000, discoveredWriteIntervalMs: 600_000 });
    await registry.upsert({ deviceId: 'tel-only', protocol: 'teltonika' });
    await registry.upsert({ deviceId: 'tel-and-wialon', protocol: 'teltonika', protocols: ['wialon-ips'] });
    await registry.upsert({ deviceId: 'mqtt-json', protocol: 'mqtt-json' });
    await registry.upsert({ deviceId: 'wialon-pw', protocol: 'wialon-ips', password: 'pw' });
    await registry.start();
  });
  afterAll(async () => {
    await registry?.stop();
    await cleanup?.();
  });

  it('a device registered for Teltonika cannot log in over Wialon IPS or MQTT', () => {
    expect(registry.authorize('tel-only', 'teltonika', 'tcp', null, 'r')).toBe('accepted');
    expect(registry.authorize('tel-only', 'teltonika', 'udp', null, 'r')).toBe('accepted');
    expect(registry.authorize('tel-only', 'wialon-ips', 'tcp', null, 'r')).toBe('wrong-protocol');
    expect(registry.authorize('tel-only', 'mqtt-json', 'mqtt', null, 'r')).toBe('wrong-protocol');
  });

  it('one registered for several explicitly may use each of them', () => {
    expect(registry.get('tel-and-wialon')?.protocols).toEqual(['teltonika', 'wialon-ips']);
    expect(registry.authorize('tel-and-wialon', 'teltonika', 'tcp', null, 'r')).toBe('accepted');
    expect(registry.authorize('tel-and-wialon', 'wialon-ips', 'tcp', null, 'r')).toBe('accepted');
    expect(registry.authorize('tel-and-wialon', 'mqtt-json', 'mqtt', null, 'r')).toBe('wrong-protocol');
  });

  it('MQTT JSON and protobuf are one login (the format is known per message only)', () => {
    expect(registry.authorize('mqtt-json', 'mqtt-json', 'mqtt', null, 'r')).toBe('accepted');
    expect(registry.authorize('mqtt-json', 'mqtt-protobuf', 'mqtt', null, 'r')).toBe('accepted');
    expect(registry.authorize('mqtt-json', 'teltonika', 'tcp', null, 'r')).toBe('wrong-protocol');
  });

  it('the protocol is checked before the password; unknown devices follow the policy, whatever the protocol', () => {
    expect(registry.authorize('wialon-pw', 'teltonika', 'tcp', null, 'r')).toBe('wrong-protocol');
    expect(registry.authorize('wialon-pw', 'wialon-ips', 'tcp', null, 'r')).toBe('bad-password');
    expect(registry.authorize('never-registered', 'wialon-ips', 'tcp', null, 'r')).toBe('accepted');
  });
});
