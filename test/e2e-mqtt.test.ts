/**
 * MQTT devices end to end on the embedded broker: real `mqtt` clients, real ClickHouse (chDB and,
 * when configured, the server). A QoS 1 PUBACK must come only after commit, so every assertion on
 * stored rows runs right after the publish resolves, without polling.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../ingest/gateway.ts';
import { encodeProtobufTelemetry } from '../protocols/mqtt/index.ts';
import { encodeAvlData } from '../protocols/teltonika/index.ts';
import { FRAME_HEX_SQL, rowToRecord, type RecordRow } from '../store/records.ts';
import type { Store } from '../store/types.ts';
import { backends } from './support/backends.ts';
import { startTestGateway } from './support/gateway.ts';
import { connectDevice, countRecords } from './support/mqtt.ts';

const T0 = Date.UTC(2026, 0, 15, 8, 0, 0);

const rows = async (store: Store, device: string) =>
  (await store.query<RecordRow>(`SELECT * FROM records FINAL WHERE device_id = '${device}' ORDER BY device_ts`)).map(rowToRecord);

const decodeErrors = async (gw: Gateway, protocol: string, code: string) =>
  (await gw.metrics.decodeErrors.get()).values.find((v) => v.labels.protocol === protocol && v.labels.transport === 'mqtt' && v.labels.code === code)?.value ?? 0;

for (const backend of backends) {
  describe(`MQTT end to end on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let gw: Gateway;
    const clients: MqttClient[] = [];
    const device = async (id: string) => {
      const c = await connectDevice(gw.ports.mqtt!, id);
      clients.push(c);
      return c;
    };

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      gw = await startTestGateway(store, { mqttPort: 0 });
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await gw?.close();
      await cleanup?.();
    });

    it('JSON point: acked only once stored, every field exact', async () => {
      const c = await device('truck-json-1');
      const payload = { time: T0, lat: 55.7512, lon: 37.6184, alt: 151, speed: 42.5, course: 270, sats: 11, hdop: 0.8, io: { ignition: true, fuel_l: 41.5, driver: 'A. Petrov' } };
      await c.publishAsync('fleetmeter/truck-json-1/telemetry', JSON.stringify(payload), { qos: 1 });
      const [r, ...more] = await rows(store, 'truck-json-1');
      expect(more).toHaveLength(0);
      expect(r).toMatchObject({
        protocol: 'mqtt-json',
        transport: 'mqtt',
        deviceTime: T0,
        latitude: 55.7512,
        longitude: 37.6184,
        altitude: 151,
        speed: 42.5,
        course: 270,
        satellites: 11,
        hdop: 0.8,
        valid: true,
      });
      expect(r.io).toEqual([
        { id: 'ignition', value: true },
        { id: 'fuel_l', value: 41.5 },
        { id: 'driver', value: 'A. Petrov' },
      ]);
      const frames = await store.query<{ protocol: string; transport: string; bytes_hex: string }>(`SELECT protocol, transport, ${FRAME_HEX_SQL} AS bytes_hex FROM frames WHERE device_id = 'truck-json-1'`);
      expect(frames).toEqual([{ protocol: 'mqtt-json', transport: 'mqtt', bytes_hex: Buffer.from(JSON.stringify(payload)).toString('hex') }]);
    });

    it('JSON batch on …/telemetry/json: every point; a resend is stored once', async () => {
      const c = await device('truck-json-2');
      const batch = Array.from({ length: 25 }, (_, i) => ({ time: T0 + i * 60_000, lat: 50 + i / 100, lon: 30, sats: 7 }));
      for (let i = 0; i < 2; i++) await c.publishAsync('fleetmeter/truck-json-2/telemetry/json', JSON.stringify(batch), { qos: 1 });
      const stored = await rows(store, 'truck-json-2');
      expect(stored.map((r) => [r.deviceTime, r.latitude])).toEqual(batch.map((p) => [p.time, p.lat]));
    });

    it('Protobuf batch on …/telemetry/protobuf, IO values of every kind', async () => {
      const c = await device('gw-pb-1');
      const bytes = encodeProtobufTelemetry([
        { timeMs: T0, latitude: 59.9386, longitude: 30.3141, speed: 61, satellites: 12, io: [{ name: 'rpm', value: 2100 }, { name: 'odometer_m', value: 2n ** 60n + 1n }, { name: 'temp_c', value: -4.25 }, { name: 'door', value: false }] },
        { timeMs: T0 + 1000, latitude: 59.9387, longitude: 30.3142, speed: 62, satellites: 12 },
        { timeMs: T0 + 2000 },
      ]);
      await c.publishAsync('fleetmeter/gw-pb-1/telemetry/protobuf', Buffer.from(bytes), { qos: 1 });
      const stored = await rows(store, 'gw-pb-1');
      expect(stored).toHaveLength(3);
      expect(stored[0]).toMatchObject({ protocol: 'mqtt-protobuf', transport: 'mqtt', deviceTime: T0, latitude: 59.9386, longitude: 30.3141, speed: 61, satellites: 12, valid: true });
      expect(stored[0].io).toEqual([
        { id: 'rpm', value: 2100 },
        { id: 'odometer_m', value: 2n ** 60n + 1n },
        { id: 'temp_c', value: -4.25 },
        { id: 'door', value: false },
      ]);
      expect(stored[2]).toMatchObject({ deviceTime: T0 + 2000, latitude: null, longitude: null, valid: false });
    });

    it('raw Teltonika AVL (Codec 8E) on …/telemetry/avl: stored as teltonika over mqtt', async () => {
      const imei = '352093086409001';
      const c = await device(imei);
      const data = encodeAvlData(0x8e, [
        { deviceTime: T0, latitude: 54.6872, longitude: 25.2797, altitude: 112, speed: 73, course: 180, satellites: 9, io: [{ id: 239, value: 1 }, { id: 66, value: 12_873, size: 2 }] },
        { deviceTime: T0 + 30_000, latitude: 54.688, longitude: 25.28, satellites: 9 },
      ]);
      await c.publishAsync(`fleetmeter/${imei}/telemetry/avl`, Buffer.from(data), { qos: 1 });
      const stored = await rows(store, imei);
      expect(stored).toHaveLength(2);
      expect(stored[0]).toMatchObject({ protocol: 'teltonika', transport: 'mqtt', deviceTime: T0, latitude: 54.6872, longitude: 25.2797, altitude: 112, speed: 73, course: 180, satellites: 9 });
      expect(stored[0].io).toEqual(expect.arrayContaining([{ id: 239, value: 1 }, { id: 66, value: 12_873 }]));
    });

    it('an invalid payload is acked away (3.1.1 has no negative ack), stores nothing and is counted by code', async () => {
      const c = await device('truck-bad-1');
      const before = await decodeErrors(gw, 'mqtt-json', 'FM_ERR_BAD_FIELD');
      await c.publishAsync('fleetmeter/truck-bad-1/telemetry', JSON.stringify({ time: T0, lat: 123 }), { qos: 1 });
      const pbBefore = await decodeErrors(gw, 'mqtt-protobuf', 'FM_ERR_MALFORMED');
      await c.publishAsync('fleetmeter/truck-bad-1/telemetry/protobuf', Buffer.from([0x0a, 0x05, 0x01]), { qos: 1 });
      expect(c.connected).toBe(true);
      expect(await countRecords(store, "device_id = 'truck-bad-1'")).toBe(0);
      expect(await decodeErrors(gw, 'mqtt-json', 'FM_ERR_BAD_FIELD')).toBe(before + 1);
      expect(await decodeErrors(gw, 'mqtt-protobuf', 'FM_ERR_MALFORMED')).toBe(pbBefore + 1);
      // The connection is still good for valid data.
      await c.publishAsync('fleetmeter/truck-bad-1/telemetry', JSON.stringify({ time: T0, lat: 12 }), { qos: 1 });
      expect(await countRecords(store, "device_id = 'truck-bad-1'")).toBe(1);
    });

    it('QoS 0 is stored too (no ack to wait for)', async () => {
      const c = await device('truck-qos0');
      await c.publishAsync('fleetmeter/truck-qos0/telemetry', JSON.stringify({ time: T0, lat: 1, lon: 2 }), { qos: 0 });
      const deadline = Date.now() + 5000;
      while ((await countRecords(store, "device_id = 'truck-qos0'")) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await countRecords(store, "device_id = 'truck-qos0'")).toBe(1);
    });
  });
}

describe('MQTT graceful shutdown', () => {
  it('closing the gateway acks what is being committed, then drops connected devices', async () => {
    const { store, cleanup } = await backends[0].open();
    try {
      const gw = await startTestGateway(store, { mqttPort: 0, batchDelayMs: 1000 });
      const c = await connectDevice(gw.ports.mqtt!, 'truck-shutdown');
      let acked = false;
      const published = c.publishAsync('fleetmeter/truck-shutdown/telemetry', JSON.stringify({ time: T0, lat: 1 }), { qos: 1 }).then(() => (acked = true));
      await new Promise((r) => setTimeout(r, 100)); // in the pipeline, waiting for its batch
      expect(acked).toBe(false);
      const t = Date.now();
      await gw.close();
      expect(Date.now() - t).toBeLessThan(5000);
      await published;
      expect(await countRecords(store, "device_id = 'truck-shutdown'")).toBe(1);
      await c.endAsync(true);
    } finally {
      await cleanup();
    }
  });
});
