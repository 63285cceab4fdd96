/**
 * Bridge mode against a real Mosquitto (Debian's `mosquitto`, started here on a free loopback
 * port): telemetry published to Mosquitto by devices is stored, acked to Mosquitto only after
 * commit, with MQTT 5 reason codes for refused messages, a persistent session across gateway
 * restarts, shared subscriptions, and redelivery after a failed commit. Skipped only when the
 * binary is absent and FLEETMETER_REQUIRE_SERVER is not 1 (support/mqtt.ts fails the run then).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway, GatewayOptions } from '../ingest/gateway.ts';
import { encodeProtobufTelemetry } from '../protocols/mqtt/index.ts';
import type { Store } from '../store/types.ts';
import { backends } from './support/backends.ts';
import { eventually } from './support/device.ts';
import { startTestGateway } from './support/gateway.ts';
import { countRecords, flakyStore, mosquittoAvailable, startMosquitto, type Mosquitto } from './support/mqtt.ts';

if (!mosquittoAvailable && process.env.FLEETMETER_REQUIRE_SERVER === '1') {
  throw new Error('FLEETMETER_REQUIRE_SERVER=1 but the mosquitto binary is missing (apt-get install mosquitto): the bridge tests would be skipped');
}

const T0 = Date.UTC(2026, 2, 1);
const off = { teltonikaTcp: null, teltonikaUdp: null, wialonTcp: null, wialonUdp: null, adminPort: null, mqttPort: null } as const;

describe.skipIf(!mosquittoAvailable)('MQTT bridge to Mosquitto', () => {
  let broker: Mosquitto;
  let store: Store;
  let cleanup: () => Promise<void>;
  let publisher: MqttClient;
  const gateways: Gateway[] = [];
  const bridge = async (options: Partial<GatewayOptions>, s: Store = store) => {
    const gw = await startTestGateway(s, { ...off, mqttBridgeUrl: `mqtt://127.0.0.1:${broker.port}`, ...options });
    gateways.push(gw);
    return gw;
  };
  const stop = async (gw: Gateway) => {
    await gw.close();
    gateways.splice(gateways.indexOf(gw), 1);
  };
  // Each test starts with no bridge connected, so that no other gateway takes its messages.
  afterEach(async () => {
    for (const gw of [...gateways]) await stop(gw);
  });
  /** Waits until Mosquitto has seen `clientId` subscribe (the bridge subscribes after CONNACK). */
  const subscribed = (clientId: string, nth = 1) =>
    eventually(async () => broker.log().split('\n').filter((l) => l.includes(`Received SUBSCRIBE from ${clientId}`)).length, (n) => n >= nth, 10_000);
  const send = (topic: string, payload: string | Buffer, properties?: { contentType?: string }) => publisher.publishAsync(topic, payload, { qos: 1, properties });

  beforeAll(async () => {
    broker = await startMosquitto();
    ({ store, cleanup } = await backends[0].open());
    publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'test-publisher', protocolVersion: 5, reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await publisher?.endAsync(true);
    await cleanup?.();
    await broker?.stop();
  });

  it('stores JSON and Protobuf (format by topic or MQTT 5 content type) published to the external broker', async () => {
    const gw = await bridge({ mqttBridgeClientId: 'fm-bridge-a' });
    await subscribed('fm-bridge-a');
    await send('fleetmeter/bridged-1/telemetry', JSON.stringify({ time: T0, lat: 48.8566, lon: 2.3522, sats: 8 }));
    await send('fleetmeter/bridged-1/telemetry', Buffer.from(encodeProtobufTelemetry([{ timeMs: T0 + 1000, latitude: 48.857 }])), { contentType: 'application/x-protobuf' });
    await send('fleetmeter/bridged-1/telemetry/protobuf', Buffer.from(encodeProtobufTelemetry([{ timeMs: T0 + 2000, latitude: 48.858 }])));
    await eventually(() => countRecords(store, "device_id = 'bridged-1'"), (n) => n === 3);
    const rows = await store.query<{ protocol: string; transport: string; latitude: number }>("SELECT protocol, transport, latitude FROM records FINAL WHERE device_id = 'bridged-1' ORDER BY device_ts");
    expect(rows).toEqual([
      { protocol: 'mqtt-json', transport: 'mqtt', latitude: 48.8566 },
      { protocol: 'mqtt-protobuf', transport: 'mqtt', latitude: 48.857 },
      { protocol: 'mqtt-protobuf', transport: 'mqtt', latitude: 48.858 },
    ]);
  });

  it('MQTT 5: an invalid payload is acked with reason code 0x99 (153), stores nothing and is counted', async () => {
    const gw = await bridge({ mqttBridgeClientId: 'fm-bridge-b' });
    await subscribed('fm-bridge-b');
    await send('fleetmeter/bridged-2/telemetry', JSON.stringify({ time: T0, lat: 500 }));
    await send('fleetmeter/bridged-2/telemetry', JSON.stringify({ time: T0, lat: 5 }));
    await eventually(() => countRecords(store, "device_id = 'bridged-2'"), (n) => n === 1);
    // Mosquitto logs the reason code of every PUBACK it receives.
    expect(broker.log()).toMatch(/Received PUBACK from fm-bridge-b \(Mid: \d+, RC:153\)/);
    const errors = (await gw.metrics.decodeErrors.get()).values.find((v) => v.labels.protocol === 'mqtt-json' && v.labels.code === 'FM_ERR_BAD_FIELD');
    expect(errors?.value).toBe(1);
  });

  it('persistent session: what is published while the gateway is down is delivered when it is back', async () => {
    const first = await bridge({ mqttBridgeClientId: 'fm-bridge-c' });
    await subscribed('fm-bridge-c');
    await stop(first);
    for (let i = 0; i < 5; i++) await send('fleetmeter/bridged-3/telemetry', JSON.stringify({ time: T0 + i * 1000, lat: i }));
    expect(await countRecords(store, "device_id = 'bridged-3'")).toBe(0);
    await bridge({ mqttBridgeClientId: 'fm-bridge-c' });
    await eventually(() => countRecords(store, "device_id = 'bridged-3'"), (n) => n === 5);
  });

  it('a shared subscription splits messages over several connections; each is stored once', async () => {
    await bridge({ mqttBridgeClientId: 'fm-bridge-d', mqttBridgeGroup: 'fleet', mqttBridgeConnections: 3 });
    for (const id of ['fm-bridge-d', 'fm-bridge-d-1', 'fm-bridge-d-2']) await subscribed(id);
    expect(broker.log()).toContain('$share/fleet/fleetmeter/+/telemetry/#');
    await Promise.all(Array.from({ length: 30 }, (_, i) => send(`fleetmeter/bridged-4-${i % 3}/telemetry`, JSON.stringify({ time: T0 + i * 1000, lat: i }))));
    await eventually(() => countRecords(store, "device_id LIKE 'bridged-4-%'"), (n) => n === 30);
    const perConnection = ['fm-bridge-d', 'fm-bridge-d-1', 'fm-bridge-d-2'].map((id) => (broker.log().match(new RegExp(`Sending PUBLISH to ${id} `, 'g')) ?? []).length);
    expect(perConnection.filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it('a commit that fails is not acked: the bridge reconnects, Mosquitto redelivers, one copy is stored', async () => {
    const flaky = flakyStore(store);
    await bridge({ mqttBridgeClientId: 'fm-bridge-e', commitTimeoutMs: 300 }, flaky.store);
    await subscribed('fm-bridge-e');
    flaky.state.failing = true;
    await send('fleetmeter/bridged-5/telemetry', JSON.stringify({ time: T0, lat: 55 }));
    await eventually(async () => flaky.state.failures, (n) => n > 0);
    await new Promise((r) => setTimeout(r, 400));
    expect(await countRecords(store, "device_id = 'bridged-5'")).toBe(0);
    flaky.state.failing = false;
    await eventually(() => countRecords(store, "device_id = 'bridged-5'"), (n) => n === 1, 15_000);
    await subscribed('fm-bridge-e', 2); // it did reconnect
    expect(await countRecords(store, "device_id = 'bridged-5'")).toBe(1);
  });
});
