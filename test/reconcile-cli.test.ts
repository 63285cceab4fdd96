/**
 * `fleetmeter reconcile` end to end on chDB, as an operator runs it: records stored through the
 * real row codec (duplicates, reordering, late black-box data, implausible clocks), presence
 * persisted by the rating engine across a restart, configuration written through the rating
 * service; then the command as a child process. Zero differences first; then presence lost for a
 * device-day, and a record the engine never saw, each named in the report with exit code 1.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryRecord } from '../protocols/record.ts';
import { PresenceEngine } from '../rating/engine.ts';
import { ClickHousePresenceStorage } from '../rating/presence-store.ts';
import { ratingMigrations } from '../rating/schema.ts';
import { RatingService } from '../rating/service.ts';
import { at, tariff } from '../rating/testing.ts';
import { RECORD_COLUMNS, recordRows } from '../store/records.ts';
import { migrate, openStore, storeMigrations, type Store } from '../store/index.ts';
import { tempDir } from './support/temp.ts';

const bin = new URL('../bin/fleetmeter.js', import.meta.url).pathname;
const ZONE = 'Europe/Berlin';
const dataDir = tempDir('fm-reconcile-');

function reconcile(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'reconcile', '--data-dir', dataDir, '--store', 'chdb', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, CLICKHOUSE_URL: '', FLEETMETER_LOG_LEVEL: 'warn' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const json = (out: string) => JSON.parse(out.trim().split('\n').pop()!);

function record(deviceId: string, deviceTime: number | null, receivedAt: number, n = 0): TelemetryRecord {
  return {
    protocol: 'teltonika',
    deviceId,
    deviceTime,
    receivedAt,
    latitude: 54.68 + n / 1e4,
    longitude: 25.25,
    altitude: 110,
    speed: n % 90,
    course: 0,
    satellites: 9,
    hdop: null,
    valid: true,
    priority: 0,
    eventId: null,
    io: [{ id: 66, value: 24_000 + n }],
    archive: false,
  };
}

/** Records every 20 s for `minutes` minutes from a local wall-clock time, received 3 s later (or at `receivedAt`). */
function drive(deviceId: string, local: string, minutes: number, receivedAt?: number): TelemetryRecord[] {
  const start = at(ZONE, local);
  return Array.from({ length: minutes * 3 }, (_, i) => record(deviceId, start + i * 20_000 + 1_000, receivedAt ?? start + i * 20_000 + 4_000, i));
}

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  // The CLI runs in its own process on the same data directory: open only around each step.
  const store = await openStore({ backend: 'chdb', path: dataDir, database: 'fleetmeter' });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function insertRecords(store: Store, records: readonly TelemetryRecord[]): Promise<void> {
  await store.insertRowBinary('records', RECORD_COLUMNS, recordRows(records, 'tcp', (i) => 1000 + i));
}

async function mutationsDone(store: Store): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [r] = await store.query<{ n: string }>(`SELECT count() AS n FROM system.mutations WHERE is_done = 0`);
    if (Number(r.n) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('mutations did not finish');
}

describe('fleetmeter reconcile (chDB, child process)', () => {
  beforeAll(async () => {
    await withStore(async (store) => {
      await migrate(store, [...storeMigrations, ...ratingMigrations]);
      const now = () => at(ZONE, '2024-06-28T12:00');
      const setup = new RatingService({ store, presence: new PresenceEngine({ storage: new ClickHousePresenceStorage(store) }), now });
      await setup.putAccount({ id: 'acme', name: 'ACME', timeZone: ZONE, currency: 'EUR' });
      await setup.putAccount({ id: 'other', name: 'Other', timeZone: 'UTC', currency: 'EUR' });
      await setup.putTariffVersion(tariff('daily', 1, '2024-01-01', { unit: 'day', price: { model: 'per-unit', unitPrice: '1.00' } }));
      await setup.assignTariff({ accountId: 'acme', deviceId: null, tariffId: 'daily', effectiveFrom: '2024-01-01' });
      await setup.assignTariff({ accountId: 'other', deviceId: null, tariffId: 'daily', effectiveFrom: '2024-01-01' });
      await setup.assignDevice('d1', 'acme', '2024-01-01');
      await setup.assignDevice('d2', 'acme', '2024-01-01');
      await setup.assignDevice('x9', 'other', '2024-01-01');

      const morning = drive('d1', '2024-06-03T08:00', 20);
      const evening = drive('d1', '2024-06-30T23:50', 20); // crosses into July locally: only 10 minutes are June
      const d2day = drive('d2', '2024-06-10T10:00', 30);
      const blackBox = drive('d2', '2024-06-05T14:00', 15, at(ZONE, '2024-06-12T09:00')); // uploaded a week late
      const odd = [
        record('d1', null, at(ZONE, '2024-06-20T09:00:30')), // no device time: its receive minute, as fallback
        record('d2', Date.UTC(1980, 0, 6), at(ZONE, '2024-06-21T11:15:10')), // GPS clock not synced
      ];
      const otherAccount = drive('x9', '2024-06-10T10:00', 5);

      // records as the pipeline commits them: in arrival order, a resent frame stored twice
      await insertRecords(store, [...morning, ...otherAccount]);
      await insertRecords(store, [...d2day.slice(45), ...morning.slice(0, 10)]); // reordered, duplicates
      await insertRecords(store, d2day.slice(0, 45));
      await insertRecords(store, [...evening, ...odd]);

      // the engine sees the same records, in another order, and restarts in between
      const first = new PresenceEngine({ storage: new ClickHousePresenceStorage(store) });
      await first.ingest([...d2day].reverse());
      await first.ingest(morning);
      const second = new PresenceEngine({ storage: new ClickHousePresenceStorage(store) }); // restart
      await second.ingest([...morning.slice(0, 10), ...odd, ...evening, ...otherAccount]);

      // a week later the black box arrives: stored, then rated
      await insertRecords(store, blackBox);
      await second.ingest(blackBox);
    });
  }, 120_000);

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('zero differences after duplicates, reordering, late data and a restart: exit 0', () => {
    const text = reconcile('--account', 'acme', '--period', '2024-06');
    expect(text.err).toBe('');
    expect(text.code).toBe(0);
    expect(text.out).toContain('presence: no differences');
    expect(text.out).toContain('statement: no differences');
    expect(text.out).toMatch(/OK: zero differences\n$/);

    const r = reconcile('--account', 'acme', '--period', '2024-06', '--json');
    expect(r.code).toBe(0);
    const report = json(r.out);
    expect(report).toMatchObject({ accountId: 'acme', period: { from: '2024-06-01', to: '2024-07-01' }, status: 'draft', devices: 2, presence: [], statement: [], ok: true });
    // every stored record of the two devices in [2024-05-31, 2024-07-02), duplicates collapsed by FINAL
    expect(report.rawRecords).toBe(60 + 60 + 90 + 45 + 2);
    expect(report.scope).toMatchObject({ deviceIds: ['d1', 'd2'], rowsFrom: '2024-05-30', rowsTo: '2024-07-02' });
  });

  it('presence lost for a device-day: exit 1, the device, day and minutes named', async () => {
    await withStore(async (store) => {
      await store.command(`ALTER TABLE rating_presence DELETE WHERE device_id = 'd2' AND day = toDate('2024-06-10')`);
      await mutationsDone(store);
    });
    const text = reconcile('--account', 'acme', '--period', '2024-06');
    expect(text.code).toBe(1);
    expect(text.out).toContain('d2 2024-06-10 device-time: 30 minutes in the records but not in persisted presence (UTC 08:00, 08:01,');
    expect(text.out).toContain('usage daily@1/2024-06-01..2024-07-01: quantity +1 day, amount +1.00, VAT +0.22, total +1.22 (devices: d2 +1)');
    expect(text.out).toMatch(/DIFFERENCES FOUND\n$/);

    const report = json(reconcile('--account', 'acme', '--period', '2024-06', '--json').out);
    expect(report.ok).toBe(false);
    expect(report.presence).toEqual([{ deviceId: 'd2', day: '2024-06-10', kind: 'device-time', missingInPersisted: Array.from({ length: 30 }, (_, i) => 480 + i), extraInPersisted: [] }]);
    expect(report.statement.map((l: { ref: string; quantity: string; total: string }) => `${l.ref} ${l.quantity} ${l.total}`)).toEqual(['daily@1/2024-06-01..2024-07-01 1 1.22']);
  });

  it('a record the engine never saw: exit 1, its minute named next to the earlier loss', async () => {
    await withStore((store) => insertRecords(store, [record('d1', at(ZONE, '2024-06-25T14:00:05'), at(ZONE, '2024-06-25T14:00:07'))]));
    const r = reconcile('--account', 'acme', '--period', '2024-06', '--json');
    expect(r.code).toBe(1);
    const report = json(r.out);
    expect(report.presence.map((d: { deviceId: string; day: string; missingInPersisted: number[] }) => `${d.deviceId} ${d.day} ${d.missingInPersisted.length}`)).toEqual(['d1 2024-06-25 1', 'd2 2024-06-10 30']);
    expect(report.presence[0].missingInPersisted).toEqual([12 * 60]); // 14:00 Berlin = 12:00 UTC
    expect(report.statement).toHaveLength(1);
    expect(report.statement[0]).toMatchObject({ quantity: '2', amount: '2.00', devices: [{ deviceId: 'd1', quantity: '1' }, { deviceId: 'd2', quantity: '1' }] });
    // the other account is untouched
    expect(reconcile('--account', 'other', '--period', '2024-06').code).toBe(0);
  });

  it('--repair writes the minutes the records prove: exit 0, then a plain reconcile is clean too', () => {
    const r = reconcile('--account', 'acme', '--period', '2024-06', '--repair', '--json');
    expect(r.code).toBe(0);
    const report = json(r.out);
    expect(report.repair).toMatchObject({ rows: 2, minutes: 31 });
    expect(report.repair.found.map((d: { deviceId: string; day: string }) => `${d.deviceId} ${d.day}`)).toEqual(['d1 2024-06-25', 'd2 2024-06-10']);
    expect(report).toMatchObject({ presence: [], statement: [], ok: true });
    const text = reconcile('--account', 'acme', '--period', '2024-06');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/OK: zero differences\n$/);
    const again = reconcile('--account', 'acme', '--period', '2024-06', '--repair');
    expect(again.out).toMatch(/^repair: 0 presence rows written, 0 minutes added \(0 differences found before\)\n/);
  });

  it('bad usage exits 2 and says why', () => {
    const missing = reconcile('--period', '2024-06');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--account ID is required');
    const badPeriod = reconcile('--account', 'acme', '--period', '2024-13');
    expect(badPeriod.code).toBe(2);
    expect(badPeriod.err).toContain('--period must be a month like 2024-06');
    const unknown = reconcile('--account', 'nobody', '--period', '2024-06');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('no account "nobody"');
  });
});
