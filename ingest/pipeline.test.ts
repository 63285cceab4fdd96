/**
 * The group-commit pipeline on real storage (chDB): batching, ack-after-commit, retry, failure
 * without ack, backpressure. Failures are injected by wrapping the real store, not by a mock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryRecord } from '../protocols/record.ts';
import { migrate, storeMigrations } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { backends } from '../test/support/backends.ts';
import { CommitError, Pipeline, type IngestUnit } from './pipeline.ts';

const rec = (deviceId: string, i: number): TelemetryRecord => ({
  protocol: 'teltonika',
  deviceId,
  deviceTime: Date.UTC(2026, 10, 1) + i * 1000,
  receivedAt: Date.UTC(2026, 10, 1, 1),
  latitude: 1,
  longitude: 2,
  altitude: 3,
  speed: 4,
  course: 5,
  satellites: 6,
  hdop: null,
  valid: true,
  priority: 0,
  eventId: null,
  io: [{ id: 1, value: i }],
  archive: false,
});

const unit = (deviceId: string, from: number, n: number): IngestUnit => ({
  deviceId,
  protocol: 'teltonika',
  transport: 'tcp',
  receivedAt: Date.UTC(2026, 10, 1, 1),
  frame: Uint8Array.of(from & 0xff, n & 0xff),
  records: Array.from({ length: n }, (_, k) => rec(deviceId, from + k)),
});

/** The real store, with the next `failures` inserts failing as if the server were down. */
function flaky(store: Store) {
  const state = { failures: 0, inserts: 0 };
  const wrapped: Store = {
    ...store,
    async insertRowBinary(table, columns, payload) {
      state.inserts++;
      if (state.failures > 0) {
        state.failures--;
        throw new Error('injected: connection refused');
      }
      return store.insertRowBinary(table, columns, payload);
    },
  };
  return { store: wrapped, state };
}

const quiet = { warn() {}, error() {} };
const count = async (store: Store, device: string) =>
  Number((await store.query<{ n: string }>(`SELECT count() AS n FROM records FINAL WHERE device_id = '${device}'`))[0].n);

describe('Pipeline', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await backends[0].open());
    await migrate(store, storeMigrations);
  });
  afterAll(async () => cleanup?.());

  it('resolves a submission only after its records are readable', async () => {
    const p = new Pipeline(store, null, null, null, { batchDelayMs: 20 }, quiet);
    await p.submit(unit('p-1', 0, 10));
    expect(await count(store, 'p-1')).toBe(10);
    await p.close();
  });

  it('groups many submissions into few inserts, cut by size', async () => {
    const f = flaky(store);
    const p = new Pipeline(f.store, null, null, null, { batchRecords: 100, batchDelayMs: 10_000 }, quiet);
    await Promise.all(Array.from({ length: 20 }, (_, i) => p.submit(unit('p-2', i * 10, 10))));
    expect(f.state.inserts).toBe(2 * 2); // two batches of 100 records, each = records + frames insert
    expect(await count(store, 'p-2')).toBe(200);
    await p.close();
  });

  it('commits a batch of batchEagerRecords at once while a slot is free, without waiting out the delay', async () => {
    const f = flaky(store);
    const p = new Pipeline(f.store, null, null, null, { batchRecords: 10_000, batchEagerRecords: 50, batchDelayMs: 60_000, maxInFlightBatches: 1 }, quiet);
    // 50 records: eager. The next 30 arrive while that insert runs: they wait for the timer (60 s) …
    const first = p.submit(unit('p-eager', 0, 50));
    const small = p.submit(unit('p-eager', 100, 30));
    await first;
    expect(await count(store, 'p-eager')).toBe(50);
    // … until the batch they are in reaches 50 too: then it goes as soon as the slot is free.
    await Promise.all([small, p.submit(unit('p-eager', 200, 20))]);
    expect(await count(store, 'p-eager')).toBe(100);
    expect(f.state.inserts).toBe(2 * 2);
    await p.close();
  });

  it('cuts batches no closer than minBatchIntervalMs apart unless they are full', async () => {
    const f = flaky(store);
    const cuts: number[] = [];
    const timed: Store = { ...f.store, insertRowBinary: (t, c, b) => (t === 'records' && cuts.push(performance.now()), f.store.insertRowBinary(t, c, b)) };
    const p = new Pipeline(timed, null, null, null, { batchRecords: 1000, batchEagerRecords: 10, batchDelayMs: 1, minBatchIntervalMs: 300 }, quiet);
    // The first batch goes at once (eager size, a slot free, no earlier cut) …
    const a = p.submit(unit('p-int', 0, 10));
    expect(cuts).toHaveLength(1);
    await a;
    // … the next, just as eager, waits for the interval: the insert is not even started …
    const b = p.submit(unit('p-int', 100, 10));
    expect(cuts).toHaveLength(1);
    // … unless it fills up to batchRecords: a full batch is never held back.
    const c = p.submit(unit('p-int', 200, 990));
    expect(cuts).toHaveLength(2);
    await Promise.all([b, c]);
    const d = p.submit(unit('p-int', 2000, 10));
    expect(cuts).toHaveLength(2);
    await d;
    expect(cuts).toHaveLength(3);
    expect(cuts[2] - cuts[1]).toBeGreaterThanOrEqual(299);
    // Closing does not wait out the interval either: what is held is cut at once.
    const e = p.submit(unit('p-int', 3000, 10));
    expect(cuts).toHaveLength(3);
    const closed = p.close();
    expect(cuts).toHaveLength(4);
    await Promise.all([e, closed]);
    expect(await count(store, 'p-int')).toBe(1010 + 10 + 10);
  });

  it('retries a failed insert and then acks; nothing is stored twice', async () => {
    const f = flaky(store);
    f.state.failures = 3;
    const p = new Pipeline(f.store, null, null, null, { batchDelayMs: 5, retryBaseMs: 5 }, quiet);
    await p.submit(unit('p-3', 0, 5));
    expect(await count(store, 'p-3')).toBe(5);
    await p.close();
  });

  it('rejects (no ack) when storage stays down past the commit timeout', async () => {
    const f = flaky(store);
    f.state.failures = 1_000;
    const p = new Pipeline(f.store, null, null, null, { batchDelayMs: 5, retryBaseMs: 5, retryMaxMs: 10, commitTimeoutMs: 100 }, quiet);
    await expect(p.submit(unit('p-4', 0, 5))).rejects.toBeInstanceOf(CommitError);
    expect(await count(store, 'p-4')).toBe(0);
    await p.close();
  });

  it('a close with a deadline gives up a retrying commit at once; the attempt it starts past the deadline fails handled', async () => {
    const f = flaky(store);
    f.state.failures = 1_000;
    const p = new Pipeline(f.store, null, null, null, { batchDelayMs: 5, retryBaseMs: 30, retryMaxMs: 30, commitTimeoutMs: 60_000 }, quiet);
    const acked = p.submit(unit('p-4b', 0, 5));
    while (f.state.inserts < 2) await new Promise((r) => setTimeout(r, 2)); // the first attempt failed: a retry is sleeping
    const inserts = f.state.inserts;
    await p.close(0); // the stop's deadline: now
    await expect(acked).rejects.toBeInstanceOf(CommitError);
    // The retry after the sleep started its inserts past the deadline (or none): their failure is
    // the deadline's, not an unhandled rejection (vitest fails the run on one).
    expect(f.state.inserts - inserts).toBeLessThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 20));
  });

  it('hands committed records to the sink once per batch, after commit', async () => {
    const seen: string[] = [];
    const p = new Pipeline(store, null, { ingest: async (rs) => void seen.push(...rs.map((r) => `${r.deviceId}/${r.deviceTime}`)) }, null, { batchDelayMs: 5 }, quiet);
    await p.submit(unit('p-5', 0, 3));
    expect(seen).toHaveLength(3);
    await p.close();
  });

  it('reports full at the bound and drains when commits land', async () => {
    const f = flaky(store);
    f.state.failures = 2;
    const p = new Pipeline(f.store, null, null, null, { batchDelayMs: 5, maxQueuedRecords: 50, retryBaseMs: 20 }, quiet);
    const drained = new Promise<void>((r) => p.once('drain', r));
    const done = p.submit(unit('p-6', 0, 60));
    expect(p.full).toBe(true);
    await done;
    await drained;
    expect(p.full).toBe(false);
    await p.close();
  });

  it('commits what it holds on close, then refuses new work', async () => {
    const p = new Pipeline(store, null, null, null, { batchDelayMs: 60_000 }, quiet);
    const pending = p.submit(unit('p-7', 0, 4));
    await p.close();
    await pending;
    expect(await count(store, 'p-7')).toBe(4);
    await expect(p.submit(unit('p-7', 10, 1))).rejects.toBeInstanceOf(CommitError);
  });
});
