/**
 * Account-level login refusal (an account suspended in `reject` mode), on each storage backend, with
 * a real gateway: MQTT CONNECT refused with return code 5 (not authorized), Teltonika TCP `00`;
 * a device moved off the account is accepted from its move date; `store` mode or a lifted
 * suspension lets devices in; a second gateway instance sharing the store sees the same state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAccess } from '../store/account-access.ts';
import type { Gateway } from '../ingest/gateway.ts';
import { encodeAvlPacket, encodeImei } from '../protocols/teltonika/index.ts';
import { RatingService } from '../rating/service.ts';
import type { Store } from '../store/types.ts';
import { backends } from './support/backends.ts';
import { TcpDevice, eventually } from './support/device.ts';
import { startTestGateway } from './support/gateway.ts';
import { connectDevice, refusedCode } from './support/mqtt.ts';

const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

async function teltonika(port: number, imei: string): Promise<number> {
  const d = await TcpDevice.connect(port);
  d.write(encodeImei(imei));
  const answer = (await d.read(1))[0];
  d.close();
  return answer;
}

/** 0 when the CONNECT is accepted, else the CONNACK return code. */
const mqttCode = (port: number, id: string) => refusedCode(port, id);

for (const backend of backends) {
  describe(`account access at login on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let gw: Gateway;
    let other: Gateway;
    let version = Date.now();
    const set = (accountId: string, suspended: boolean, mode: 'store' | 'reject') => writeAccess(store, { accountId, suspended, mode, reason: 'test' }, ++version);

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      gw = await startTestGateway(store, { mqttPort: 0 });
      other = await startTestGateway(store, { wialonTcp: null, wialonUdp: null, teltonikaUdp: null, adminPort: null });
      const rating = new RatingService({ store, presence: null as never });
      await rating.putAccount({ id: 'late', name: 'Late', timeZone: 'UTC', currency: 'EUR' });
      await rating.putAccount({ id: 'good', name: 'Good', timeZone: 'UTC', currency: 'EUR' });
      for (const [id, protocol] of [['mqtt-late-1', 'mqtt-json'], ['352093086410001', 'teltonika'], ['352093086410002', 'teltonika'], ['mqtt-good-1', 'mqtt-json'], ['wialon-late-1', 'wialon-ips']] as const) {
        await gw.context.registry.upsert({ deviceId: id, protocol });
      }
      await rating.assignDevice('mqtt-late-1', 'late', '2024-01-01');
      await rating.assignDevice('352093086410001', 'late', '2024-01-01');
      await rating.assignDevice('wialon-late-1', 'late', '2024-01-01');
      // Moves from "good" to "late" only tomorrow: on "good" today.
      await rating.assignDevice('352093086410002', 'good', '2024-01-01');
      await rating.assignDevice('352093086410002', 'late', tomorrow);
      await rating.assignDevice('mqtt-good-1', 'good', '2024-01-01');
      await gw.context.registry.refresh();
    });
    afterAll(async () => {
      await other?.close();
      await gw?.close();
      await cleanup?.();
    });

    it('in good standing everyone logs in', async () => {
      expect(await teltonika(gw.ports.teltonikaTcp!, '352093086410001')).toBe(1);
      expect(await mqttCode(gw.ports.mqtt!, 'mqtt-late-1')).toBe(0);
    });

    it('suspended in reject mode: MQTT 5 (not authorized), Teltonika 00 — on every instance; others unaffected', async () => {
      await set('late', true, 'reject');
      await eventually(() => teltonika(gw.ports.teltonikaTcp!, '352093086410001'), (a) => a === 0, 5000);
      await eventually(() => teltonika(other.ports.teltonikaTcp!, '352093086410001'), (a) => a === 0, 5000);
      expect(await mqttCode(gw.ports.mqtt!, 'mqtt-late-1')).toBe(5);
      expect(await mqttCode(gw.ports.mqtt!, 'mqtt-good-1')).toBe(0);
      // Not on the account yet (its move takes effect tomorrow): accepted.
      expect(await teltonika(gw.ports.teltonikaTcp!, '352093086410002')).toBe(1);
      // Unknown devices are not on any account: the unknown-device policy alone decides.
      expect(await teltonika(gw.ports.teltonikaTcp!, '352093086419999')).toBe(1);
    });

    it('a session open when the account is suspended in reject mode (or the device blocked) ends at its next packet, unacked', async () => {
      await set('late', false, 'reject');
      await eventually(() => teltonika(gw.ports.teltonikaTcp!, '352093086410001'), (a) => a === 1, 5000);
      const packet = (k: number) => encodeAvlPacket(0x08, [{ deviceTime: Date.UTC(2026, 0, 5, 0, k), io: [{ id: 1, value: k }] }]);
      const d = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      d.write(encodeImei('352093086410001'));
      expect((await d.read(1))[0]).toBe(1);
      d.write(packet(1));
      expect((await d.read(4)).readUInt32BE(0)).toBe(1); // acked while in good standing
      const mqttLate = await connectDevice(gw.ports.mqtt!, 'mqtt-late-1');
      await mqttLate.publishAsync('fleetmeter/mqtt-late-1/telemetry', JSON.stringify({ time: '2026-01-05T00:00:00Z', lat: 1, lon: 2 }), { qos: 1 });
      const wialon = await TcpDevice.connect(gw.ports.wialonTcp!);
      wialon.write('#L#wialon-late-1;NA\r\n'); // a v1.1 login
      expect(await wialon.readLine()).toBe('#AL#1');
      const mq = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      mq.write(encodeImei('352093086410002')); // on "good" today: unaffected throughout
      expect((await mq.read(1))[0]).toBe(1);
      await set('late', true, 'reject');
      await eventually(() => teltonika(gw.ports.teltonikaTcp!, '352093086410001'), (a) => a === 0, 5000);
      d.write(packet(2));
      expect(await d.waitClosed()).toBe(true);
      wialon.write('#SD#050126;000100;5544.6025;N;03739.6834;E;1;2;3;4\r\n');
      expect(await wialon.waitClosed()).toBe(true); // no #ASD#1: refused, not stored
      // MQTT: the next publish is refused and the connection closed.
      const closed = new Promise<void>((resolve) => mqttLate.once('close', () => resolve()));
      mqttLate.publish('fleetmeter/mqtt-late-1/telemetry', JSON.stringify({ time: '2026-01-05T00:01:00Z', lat: 1, lon: 2 }), { qos: 1 });
      await closed;
      await mqttLate.endAsync(true);
      await expect(d.read(4, 100)).rejects.toThrow(/closed/); // no ack: refused, not stored
      mq.write(packet(3));
      expect((await mq.read(4)).readUInt32BE(0)).toBe(1);
      // A device blocked mid-session is cut the same way.
      await gw.context.registry.upsert({ deviceId: '352093086410002', protocol: 'teltonika', status: 'blocked' });
      await gw.context.registry.refresh();
      mq.write(packet(4));
      expect(await mq.waitClosed()).toBe(true);
      await gw.context.registry.upsert({ deviceId: '352093086410002', protocol: 'teltonika', status: 'active' });
      await gw.context.registry.refresh();
    });

    it('store mode while suspended, or the suspension lifted: accepted again', async () => {
      await set('late', true, 'store');
      await eventually(() => teltonika(gw.ports.teltonikaTcp!, '352093086410001'), (a) => a === 1, 5000);
      await set('late', true, 'reject');
      await eventually(() => teltonika(gw.ports.teltonikaTcp!, '352093086410001'), (a) => a === 0, 5000);
      await set('late', false, 'reject');
      await eventually(() => teltonika(gw.ports.teltonikaTcp!, '352093086410001'), (a) => a === 1, 5000);
      expect(await mqttCode(gw.ports.mqtt!, 'mqtt-late-1')).toBe(0);
    });
  });
}
