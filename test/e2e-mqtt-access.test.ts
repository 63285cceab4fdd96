/**
 * The embedded broker's gate: logins (registry passwords, unknown-device policy, client id rules),
 * the topic ACL for publish and subscribe, the packet size limit, and the TLS and WebSocket
 * listeners. Real clients, real sockets, chDB.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../ingest/gateway.ts';
import type { Store } from '../store/types.ts';
import { backends } from './support/backends.ts';
import { startTestGateway } from './support/gateway.ts';
import { closed, connectDevice, countRecords, refusedCode } from './support/mqtt.ts';
import { tempDir } from './support/temp.ts';

const point = (lat: number) => JSON.stringify({ time: Date.UTC(2026, 0, 1), lat, lon: 1 });

describe('MQTT broker access control', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let gw: Gateway;
  let strict: Gateway;
  let certDir: string;
  const clients: MqttClient[] = [];
  const device = async (id: string, options = {}) => {
    const c = await connectDevice(gw.ports.mqtt!, id, options);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    ({ store, cleanup } = await backends[0].open());
    certDir = tempDir('fm-mqtt-tls-');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
    gw = await startTestGateway(store, { mqttPort: 0, mqttTlsPort: 0, mqttTlsCert: join(certDir, 'cert.pem'), mqttTlsKey: join(certDir, 'key.pem'), mqttWsPort: 0, maxFrameBytes: 4096 });
    strict = await startTestGateway(store, { mqttPort: 0, unknownDevices: 'reject', teltonikaTcp: null, teltonikaUdp: null, wialonTcp: null, wialonUdp: null, adminPort: null });
    await gw.context.registry.upsert({ deviceId: 'locked-1', protocol: 'mqtt-json', password: 's3cret' });
    await gw.context.registry.upsert({ deviceId: 'blocked-1', protocol: 'mqtt-json', status: 'blocked' });
    await gw.context.registry.refresh();
    await strict.context.registry.refresh();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await strict?.close();
    await gw?.close();
    await cleanup?.();
    rmSync(certDir, { recursive: true, force: true });
  });

  it('a registered device logs in with its password; a wrong or missing one gets CONNACK 4', async () => {
    expect(await refusedCode(gw.ports.mqtt!, 'locked-1', { password: 'wrong' })).toBe(4);
    expect(await refusedCode(gw.ports.mqtt!, 'locked-1', {})).toBe(4);
    const c = await device('locked-1', { password: 's3cret' });
    await c.publishAsync('fleetmeter/locked-1/telemetry', point(1), { qos: 1 });
    expect(await countRecords(store, "device_id = 'locked-1'")).toBe(1);
  });

  it('a blocked device, and an unknown one under --unknown-devices reject, get CONNACK 5', async () => {
    expect(await refusedCode(gw.ports.mqtt!, 'blocked-1')).toBe(5);
    expect(await refusedCode(strict.ports.mqtt!, 'stranger-1')).toBe(5);
    // …while the accepting gateway takes the stranger and lists it as discovered.
    const c = await device('stranger-1');
    await c.publishAsync('fleetmeter/stranger-1/telemetry', point(2), { qos: 1 });
    await gw.context.registry.flushDiscovered();
    const found = await store.query<{ transport: string }>("SELECT transport FROM discovered_devices WHERE device_id = 'stranger-1'");
    expect(found.map((r) => r.transport)).toContain('mqtt');
  });

  it('an empty client id, or one that cannot be a topic level, gets CONNACK 2', async () => {
    expect(await refusedCode(gw.ports.mqtt!, '', { clean: true })).toBe(2);
    expect(await refusedCode(gw.ports.mqtt!, 'a/b')).toBe(2);
    expect(await refusedCode(gw.ports.mqtt!, 'x'.repeat(65))).toBe(2);
  });

  it("publishing to another device's topic closes the connection; nothing is stored", async () => {
    const c = await device('thief-1');
    const gone = closed(c);
    c.publish('fleetmeter/victim-1/telemetry', point(3), { qos: 1 });
    expect(await gone).toBe(true);
    expect(await countRecords(store, "device_id IN ('victim-1', 'thief-1')")).toBe(0);
  });

  it('publishing to its own command topic, or outside the scheme, closes the connection', async () => {
    for (const topic of ['fleetmeter/dev-x/commands', 'fleetmeter/dev-x/status', '$SYS/x']) {
      const c = await device('dev-x');
      const gone = closed(c);
      c.publish(topic, 'x', { qos: 1 });
      expect(await gone).toBe(true);
    }
  });

  it("subscribing to another device's command topic (or any other filter) is refused in the SUBACK", async () => {
    const c = await device('sub-1');
    const topics = ['fleetmeter/sub-2/commands', 'fleetmeter/+/commands', 'fleetmeter/sub-1/telemetry', '#', 'fleetmeter/sub-1/commands'];
    // mqtt.js reports a SUBACK with any 0x80 as an error carrying the packet.
    const granted = await new Promise<number[]>((resolve) =>
      c.subscribe(topics, { qos: 1 }, (err, _granted, packet) => resolve((packet ?? (err as unknown as { packet: { granted: number[] } }).packet).granted as number[])),
    );
    expect(granted).toEqual([128, 128, 128, 128, 1]);
    expect(c.connected).toBe(true);
    // Another device's telemetry never reaches it.
    const other = await device('sub-2');
    let received = 0;
    c.on('message', () => received++);
    await other.publishAsync('fleetmeter/sub-2/telemetry', point(4), { qos: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toBe(0);
  });

  it('a packet announcing more than the limit is cut off before its body is read', async () => {
    const socket = connect(gw.ports.mqtt!, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const gone = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 3000);
      socket.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    socket.on('error', () => undefined);
    // A PUBLISH header whose remaining length says 10 MB (0x80 0x80 0x80 0x05), then a few bytes.
    socket.write(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x05, 0x00, 0x01, 0x61]));
    expect(await gone).toBe(true);
    expect((await gw.metrics.registry.getSingleMetric('fleetmeter_mqtt_oversized_packets_total')!.get()).values[0].value).toBeGreaterThanOrEqual(1);
  });

  it('MQTT over TLS and over WebSocket reach the same broker', async () => {
    const tls = await connectDevice(gw.ports.mqttTls!, 'tls-1', { ca: readFileSync(join(certDir, 'cert.pem')), rejectUnauthorized: true, servername: 'localhost' }, 'mqtts');
    clients.push(tls);
    await tls.publishAsync('fleetmeter/tls-1/telemetry', point(5), { qos: 1 });
    const ws = await connectDevice(gw.ports.mqttWs!, 'ws-1', {}, 'ws');
    clients.push(ws);
    await ws.publishAsync('fleetmeter/ws-1/telemetry', point(6), { qos: 1 });
    expect(await countRecords(store, "device_id IN ('tls-1', 'ws-1')")).toBe(2);
  });
});
