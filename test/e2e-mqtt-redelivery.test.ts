/**
 * QoS 1 under storage failure, embedded broker: no PUBACK for data that is not committed, the
 * client redelivers on its own, and exactly one copy is stored. Failures are injected by wrapping
 * the real store (as ingest/pipeline.test.ts does), on both backends.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../ingest/gateway.ts';
import type { Store } from '../store/types.ts';
import { backends } from './support/backends.ts';
import { startTestGateway } from './support/gateway.ts';
import { connectDevice, countRecords, flakyStore } from './support/mqtt.ts';

const T0 = Date.UTC(2026, 1, 1);

for (const backend of backends) {
  describe(`MQTT QoS 1 redelivery on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let gw: Gateway;
    let flaky: ReturnType<typeof flakyStore>;
    const clients: MqttClient[] = [];

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      flaky = flakyStore(store);
      // A short commit timeout so that a failed batch is given up on (and not acked) quickly.
      gw = await startTestGateway(flaky.store, { mqttPort: 0, commitTimeoutMs: 300 });
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await gw?.close();
      await cleanup?.();
    });

    it('storage down: no PUBACK, the connection is dropped, the client redelivers, one copy is stored', async () => {
      const c = await connectDevice(gw.ports.mqtt!, 'redeliver-1', { reconnectPeriod: 100, clean: false });
      clients.push(c);
      let drops = 0;
      let acked = false;
      c.on('close', () => {
        drops++;
        flaky.state.failing = false; // storage is back by the time the client reconnects
      });
      flaky.state.failing = true;
      const published = c.publishAsync('fleetmeter/redeliver-1/telemetry', JSON.stringify([{ time: T0, lat: 1 }, { time: T0 + 1000, lat: 2 }]), { qos: 1 }).then(() => (acked = true));
      await new Promise((r) => setTimeout(r, 150));
      expect(acked).toBe(false);
      expect(await countRecords(store, "device_id = 'redeliver-1'")).toBe(0);
      await published;
      expect(drops).toBeGreaterThanOrEqual(1);
      expect(await countRecords(store, "device_id = 'redeliver-1'")).toBe(2);
    });

    it('an insert that committed but whose reply was lost is retried; still exactly one copy', async () => {
      const c = await connectDevice(gw.ports.mqtt!, 'redeliver-2', { reconnectPeriod: 100 });
      clients.push(c);
      flaky.state.lostReplies = 1;
      await c.publishAsync('fleetmeter/redeliver-2/telemetry', JSON.stringify({ time: T0, lat: 3 }), { qos: 1 });
      expect(flaky.state.lostReplies).toBe(0);
      expect(await countRecords(store, "device_id = 'redeliver-2'")).toBe(1);
      // And the same message sent again (a device that never saw its PUBACK) is still one row.
      await c.publishAsync('fleetmeter/redeliver-2/telemetry', JSON.stringify({ time: T0, lat: 3 }), { qos: 1 });
      expect(await countRecords(store, "device_id = 'redeliver-2'")).toBe(1);
    });
  });
}
