/** The gate on a real Pipeline and real storage, held back by a store whose inserts wait for us. */
import { Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryRecord } from '../../protocols/record.ts';
import { migrate, storeMigrations } from '../../store/index.ts';
import type { Store } from '../../store/types.ts';
import { backends } from '../../test/support/backends.ts';
import { Pipeline, type IngestUnit } from '../pipeline.ts';
import { PipelineGate } from './gate.ts';

const record = (deviceId: string, i: number): TelemetryRecord => ({
  protocol: 'mqtt-json',
  deviceId,
  deviceTime: Date.UTC(2026, 0, 1) + i * 1000,
  receivedAt: Date.UTC(2026, 0, 1, 1),
  latitude: 1,
  longitude: 2,
  altitude: null,
  speed: null,
  course: null,
  satellites: null,
  hdop: null,
  valid: true,
  priority: null,
  eventId: null,
  io: [],
  archive: false,
});
const unit = (deviceId: string, from: number, n: number): IngestUnit => ({
  deviceId,
  protocol: 'mqtt-json',
  transport: 'mqtt',
  receivedAt: Date.UTC(2026, 0, 1, 1),
  frame: Uint8Array.of(from),
  records: Array.from({ length: n }, (_, k) => record(deviceId, from + k)),
});

describe('PipelineGate', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await backends[0].open());
    await migrate(store, storeMigrations);
  });
  afterAll(async () => cleanup?.());

  it('holds work while the pipeline is full and runs it, in order, once commits make room', async () => {
    let open!: () => void;
    const storageBack = new Promise<void>((r) => (open = r));
    const slow: Store = { ...store, query: (sql) => store.query(sql), insertRowBinary: async (t, c, p) => (await storageBack, store.insertRowBinary(t, c, p)) };
    const pipeline = new Pipeline(slow, null, null, null, { batchDelayMs: 5, maxQueuedRecords: 50 }, { warn() {}, error() {} });
    const waiting = new Gauge({ name: 'w', help: 'w', registers: [new Registry()] });
    const gate = new PipelineGate(pipeline, waiting);
    const ran: string[] = [];
    const first = pipeline.submit(unit('gate-1', 0, 60));
    expect(pipeline.full).toBe(true);
    const later: Promise<void>[] = [];
    for (const name of ['a', 'b', 'c']) {
      gate.run(() => {
        ran.push(name);
        later.push(pipeline.submit(unit('gate-1', 100 + ran.length * 10, 5)));
      });
    }
    expect(ran).toEqual([]);
    expect(gate.waiting).toBe(3);
    expect((await waiting.get()).values[0].value).toBe(3);
    open();
    await first;
    await Promise.all(later);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(gate.waiting).toBe(0);
    gate.close();
    await pipeline.close();
  });
});
