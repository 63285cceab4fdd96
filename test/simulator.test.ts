/**
 * The device simulator against a real gateway and real ClickHouse (chDB): every kind of device
 * (Teltonika and Wialon IPS, TCP and UDP), black-box bursts, Wialon pipelining and a reconnect
 * storm in the middle. What the simulator saw acknowledged must be exactly what is stored: no
 * loss, and no duplicates from the packets resent after the storm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../ingest/gateway.ts';
import { DEFAULT_OPTIONS, type SimulationOptions } from '../bench/simulator/options.ts';
import { runSimulation } from '../bench/simulator/simulator.ts';
import type { Store } from '../store/types.ts';
import { backends } from './support/backends.ts';
import { startTestGateway } from './support/gateway.ts';

const count = async (store: Store, sql: string) => Number((await store.query<{ n: string }>(sql))[0].n);

describe('fleetmeter simulate against a real gateway (chDB)', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let gw: Gateway;

  beforeAll(async () => {
    ({ store, cleanup } = await backends[0].open());
    gw = await startTestGateway(store);
  });
  afterAll(async () => {
    await gw?.close();
    await cleanup?.();
  });

  it('acked == sent == stored, through black-box bursts, pipelining and a reconnect storm', async () => {
    const options: SimulationOptions = {
      ...DEFAULT_OPTIONS,
      devices: 20,
      mix: { 'teltonika-tcp': 40, 'wialon-tcp': 30, 'teltonika-udp': 15, 'wialon-udp': 15 },
      teltonikaPort: gw.ports.teltonikaTcp!,
      wialonPort: gw.ports.wialonTcp!,
      teltonikaUdpPort: gw.ports.teltonikaUdp!,
      wialonUdpPort: gw.ports.wialonUdp!,
      intervalMs: 50,
      recordsPerPacket: 2,
      blackBoxEvery: 4,
      blackBoxSize: 20,
      pipeline: 8,
      ackTimeoutMs: 3000,
      reconnectStormAt: 1,
      durationS: 3,
      rampMs: 200,
      seed: 42,
      imeiBase: 356_000_000_000_000,
    };
    const summary = await runSimulation(options);
    const t = summary.totals;

    expect(summary.errors, summary.errorSamples.join("\n")).toEqual({});
    expect(t.recordsSent).toBeGreaterThan(0);
    expect(t.recordsAcked).toBe(t.recordsSent);
    expect(summary.ok).toBe(true);
    for (const kind of ['teltonika-tcp', 'wialon-tcp', 'teltonika-udp', 'wialon-udp'] as const) {
      expect(summary.byKind[kind]?.recordsAcked, kind).toBeGreaterThan(0);
    }
    // The storm dropped every connection once; what was in flight went again.
    expect(t.reconnects).toBeGreaterThanOrEqual(20);
    expect(t.resends).toBeGreaterThan(0);

    // Acked only after commit: the rows are there now, once each.
    const stored = await count(store, 'SELECT count() AS n FROM records FINAL');
    expect(stored).toBe(t.recordsAcked);
    const distinct = await count(store, 'SELECT uniqExact(device_id, device_ts) AS n FROM records FINAL');
    expect(distinct).toBe(stored);
    const devices = await count(store, 'SELECT uniqExact(device_id) AS n FROM records');
    expect(devices).toBe(20);
  });
});
