/**
 * Admission rules at the edge, with real sockets: the unknown-device policy, registry changes
 * reaching ingest within a second, the per-address connection rate limit, the connection cap,
 * oversized frames, and backpressure pausing sockets while storage is slow.
 */
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { encodeAvlPacket, encodeImei } from '../protocols/teltonika/index.ts';
import { encodeLogin } from '../protocols/wialon-ips/index.ts';
import type { Gateway } from '../ingest/gateway.ts';
import type { Store } from '../store/types.ts';
import { backends } from './support/backends.ts';
import { TcpDevice, eventually, udpExchange } from './support/device.ts';
import { startTestGateway } from './support/gateway.ts';

for (const backend of backends) {
  describe(`admission and limits on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let gw: Gateway | null = null;

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
    });
    afterEach(async () => {
      await gw?.close();
      gw = null;
    });
    afterAll(async () => cleanup?.());

    it('reject policy: unknown Teltonika gets 00, unknown Wialon #AL#0, both closed; UDP unanswered', async () => {
      gw = await startTestGateway(store, { unknownDevices: 'reject' });
      const t = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      t.write(encodeImei('352093086408001'));
      expect((await t.read(1)).toString('hex')).toBe('00');
      expect(await t.waitClosed()).toBe(true);
      const w = await TcpDevice.connect(gw.ports.wialonTcp!);
      w.write(encodeLogin('2.0', '352093086408002', null));
      expect(await w.readLine()).toBe('#AL#0');
      expect(await w.waitClosed()).toBe(true);
      // teltonika.md §12 E8 from an unknown device: no negative answer exists on UDP, so none is sent.
      const e8 = Buffer.from('003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000000000000000000000000000000103021503010101425DBC000001', 'hex');
      expect(await udpExchange(gw.ports.teltonikaUdp!, e8, 500)).toBeNull();
      const stored = await store.query<{ n: string }>("SELECT count() AS n FROM records WHERE device_id IN ('352093086408001', '352093086408002', '352093086403655')");
      expect(stored[0].n).toBe('0');
    });

    it('a device registered through the registry is accepted within a second, and refused once blocked', async () => {
      gw = await startTestGateway(store, { unknownDevices: 'reject', registryRefreshMs: 200 });
      const imei = '352093086408003';
      await gw.context.registry.upsert({ deviceId: imei, protocol: 'teltonika' });
      await eventually(async () => gw!.context.registry.get(imei)?.status, (s) => s === 'active', 2000);
      const ok = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      ok.write(encodeImei(imei));
      expect((await ok.read(1)).toString('hex')).toBe('01');
      ok.close();
      await gw.context.registry.upsert({ deviceId: imei, protocol: 'teltonika', status: 'blocked' });
      await eventually(async () => gw!.context.registry.get(imei)?.status, (s) => s === 'blocked', 2000);
      const refused = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      refused.write(encodeImei(imei));
      expect((await refused.read(1)).toString('hex')).toBe('00');
    });

    it('the per-address rate limit refuses the excess, counts it, and serves the rest', async () => {
      gw = await startTestGateway(store, { connectionsPerAddress: 5, maxConnections: 1000 });
      const devices = await Promise.all(Array.from({ length: 12 }, () => TcpDevice.connect(gw!.ports.teltonikaTcp!)));
      await new Promise((r) => setTimeout(r, 200));
      const open = devices.filter((d) => !d.closed);
      expect(open.length).toBe(5);
      const refused = await gw.metrics.connectionsRefused.get();
      expect(refused.values.find((v) => v.labels.reason === 'rate-limit')?.value).toBe(7);
      for (const d of devices) d.close();
    });

    it('the connection cap refuses connections beyond it', async () => {
      gw = await startTestGateway(store, { maxConnections: 3 });
      const devices: TcpDevice[] = [];
      for (let i = 0; i < 5; i++) devices.push(await TcpDevice.connect(gw.ports.wialonTcp!));
      await new Promise((r) => setTimeout(r, 200));
      expect(devices.filter((d) => !d.closed).length).toBe(3);
      const refused = await gw.metrics.connectionsRefused.get();
      expect(refused.values.find((v) => v.labels.reason === 'max-connections')?.value).toBe(2);
      for (const d of devices) d.close();
    });

    it('the per-address cap refuses open connections from one address beyond it, and admits again once one closes', async () => {
      gw = await startTestGateway(store, { maxConnectionsPerAddress: 2, maxConnections: 1000 });
      const devices: TcpDevice[] = [];
      for (let i = 0; i < 4; i++) devices.push(await TcpDevice.connect(gw.ports.teltonikaTcp!));
      await new Promise((r) => setTimeout(r, 200));
      expect(devices.filter((d) => !d.closed).length).toBe(2);
      const refused = await gw.metrics.connectionsRefused.get();
      expect(refused.values.find((v) => v.labels.reason === 'per-address')?.value).toBe(2);
      // Another listener counts its own connections.
      const wialon = await TcpDevice.connect(gw.ports.wialonTcp!);
      devices.filter((d) => !d.closed)[0].close();
      await new Promise((r) => setTimeout(r, 100));
      const again = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      again.write(encodeImei('352093086408010'));
      expect((await again.read(1)).toString('hex')).toBe('01');
      expect(wialon.closed).toBe(false);
      for (const d of [...devices, wialon, again]) d.close();
    });

    it('a frame larger than the cap closes only that connection', async () => {
      gw = await startTestGateway(store, { maxFrameBytes: 1024 });
      const big = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      const good = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      big.write(encodeImei('352093086408004'));
      good.write(encodeImei('352093086408005'));
      await big.read(1);
      await good.read(1);
      const records = Array.from({ length: 60 }, (_, i) => ({ deviceTime: Date.UTC(2026, 0, 1) + i * 1000, io: [{ id: 239, value: 1 }, { id: 16, value: 123456, size: 4 as const }] }));
      big.write(encodeAvlPacket(0x08, records)); // > 1024 bytes
      expect(await big.waitClosed()).toBe(true);
      good.write(encodeAvlPacket(0x08, records.slice(0, 2)));
      expect((await good.read(4)).toString('hex')).toBe('00000002');
      good.close();
      // UDP: an oversized datagram is dropped unanswered.
      const bigUdp = Buffer.alloc(2000, 0);
      expect(await udpExchange(gw.ports.teltonikaUdp!, bigUdp, 300)).toBeNull();
    });

    it('ack-after-commit: while the insert is held, no device hears back; once it commits, all do', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => (release = r));
      const held: Store = {
        ...store,
        async insertRowBinary(table, columns, payload) {
          await gate;
          return store.insertRowBinary(table, columns, payload);
        },
      };
      gw = await startTestGateway(held);
      const t = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      t.write(encodeImei('352093086408201'));
      expect((await t.read(1)).toString('hex')).toBe('01'); // the handshake needs no commit
      t.write(encodeAvlPacket(0x08, [{ deviceTime: Date.UTC(2026, 0, 3), io: [{ id: 1, value: 1 }] }]));
      const w = await TcpDevice.connect(gw.ports.wialonTcp!);
      w.write('#L#352093086408202;NA\r\n'); // v1.1 login, then a v1.1 #SD# (wialon-ips.md §13 W5)
      expect(await w.readLine()).toBe('#AL#1');
      w.write('#SD#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4\r\n');
      const udp = udpExchange(gw.ports.teltonikaUdp!, Buffer.from('003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000000000000000000000000000000103021503010101425DBC000001', 'hex'), 5000);
      await new Promise((r) => setTimeout(r, 400));
      const heardEarly = [t.pending, w.pending];
      release();
      expect(heardEarly).toEqual([0, 0]);
      expect((await t.read(4)).toString('hex')).toBe('00000001');
      expect(await w.readLine()).toBe('#ASD#1');
      expect((await udp)?.toString('hex').toUpperCase()).toBe('0005CAFE010501');
      t.close();
      w.close();
    });

    it('backpressure: a slow store pauses device sockets at the queue bound, and every record still lands', async () => {
      let release: () => void = () => undefined;
      let gate: Promise<void> | null = new Promise<void>((r) => (release = r));
      const slow: Store = {
        ...store,
        async insertRowBinary(table, columns, payload) {
          if (gate) await gate;
          return store.insertRowBinary(table, columns, payload);
        },
      };
      gw = await startTestGateway(slow, { maxQueuedRecords: 100, batchRecords: 50 });
      const devices = await Promise.all(Array.from({ length: 4 }, () => TcpDevice.connect(gw!.ports.teltonikaTcp!)));
      for (const [i, d] of devices.entries()) {
        d.write(encodeImei(`35209308640810${i}`));
        await d.read(1);
        const recs = Array.from({ length: 60 }, (_, k) => ({ deviceTime: Date.UTC(2026, 0, 2) + k * 1000, io: [{ id: 1, value: k }] }));
        d.write(encodeAvlPacket(0x08, recs));
      }
      await eventually(async () => (await gw!.metrics.pausedSockets.get()).values[0]?.value ?? 0, (n) => n > 0, 5000);
      expect(gw.context.pipeline.full).toBe(true);
      gate = null;
      release();
      for (const d of devices) expect((await d.read(4, 10_000)).toString('hex')).toBe('0000003c');
      await eventually(async () => (await gw!.metrics.pausedSockets.get()).values[0]?.value ?? 0, (n) => n === 0, 5000);
      const n = await store.query<{ n: string }>("SELECT count() AS n FROM records FINAL WHERE device_id LIKE '3520930864081%'");
      expect(n[0].n).toBe('240');
      for (const d of devices) d.close();
    });
  });
}
