/**
 * Storage faults with a real ClickHouse server (Debian's clickhouse-server, started and stopped
 * by this test on its own port): while the server is down devices get no ack and the gateway
 * keeps running with bounded memory; once it is back, the devices' resends are stored exactly
 * once. Also: garbage and half-open connections do not leak sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAvlPacket, encodeImei, type AvlRecordInput } from '../protocols/teltonika/index.ts';
import type { Gateway } from '../ingest/gateway.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { TcpDevice, eventually } from './support/device.ts';
import { hasClickHouseServer, ownClickHouse, type OwnClickHouse } from './support/clickhouse-server.ts';
import { startTestGateway } from './support/gateway.ts';

const hasServer = hasClickHouseServer('the fault tests');

const packet = (from: number, n: number) =>
  encodeAvlPacket(
    0x8e,
    Array.from({ length: n }, (_, i): AvlRecordInput => ({
      deviceTime: Date.UTC(2026, 10, 5) + (from + i) * 60_000,
      latitude: 55,
      longitude: 37,
      satellites: 7,
      speed: 30,
      io: [{ id: 239, value: 1 }],
    })),
  );

describe.skipIf(!hasServer)('storage faults (ClickHouse server stopped mid-stream)', () => {
  let store: Store;
  let gw: Gateway;
  let ch: OwnClickHouse;
  const server = (action: 'start' | 'stop') => (action === 'start' ? ch.start() : ch.stop());

  beforeAll(async () => {
    ch = await ownClickHouse();
    server('start');
    store = await openStore({ backend: 'server', url: ch.url, database: `fm_fault_${process.pid}`, requestTimeoutMs: 2000 });
    gw = await startTestGateway(store, { commitTimeoutMs: 1500, idleTimeoutMs: 1500, maxQueuedRecords: 1000 });
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    try {
      await store?.command(`DROP DATABASE IF EXISTS fm_fault_${process.pid}`);
    } catch {
      /* server may be down if a test failed midway */
    }
    await store?.close();
    ch?.remove();
  }, 120_000);

  it('no ack while the server is down; after it is back the resend is stored exactly once', async () => {
    const imei = '352093086409001';
    const dev = await TcpDevice.connect(gw.ports.teltonikaTcp!);
    dev.write(encodeImei(imei));
    expect((await dev.read(1)).toString('hex')).toBe('01');
    dev.write(packet(0, 10));
    expect((await dev.read(4)).toString('hex')).toBe('0000000a');

    server('stop');
    dev.write(packet(10, 5));
    // No ack: the gateway gives up after the commit timeout and drops the connection.
    await expect(dev.read(4, 6000)).rejects.toThrow(/closed|timed out/);
    expect(gw.context.pipeline.queuedRecords).toBe(0); // bounded: nothing piles up
    // Meanwhile other devices are still served at the protocol level.
    const other = await TcpDevice.connect(gw.ports.teltonikaTcp!);
    other.write(encodeImei('352093086409002'));
    expect((await other.read(1)).toString('hex')).toBe('01');
    other.close();

    server('start');
    // The device reconnects and resends the unacked packet, as the hardware does.
    const again = await TcpDevice.connect(gw.ports.teltonikaTcp!);
    again.write(encodeImei(imei));
    expect((await again.read(1)).toString('hex')).toBe('01');
    again.write(packet(10, 5));
    expect((await again.read(4, 10_000)).toString('hex')).toBe('00000005');
    again.write(packet(0, 10)); // and an old one, resent for good measure
    expect((await again.read(4, 10_000)).toString('hex')).toBe('0000000a');
    again.close();

    const rows = await store.query<{ n: string; distinct_ts: string }>(
      `SELECT count() AS n, uniqExact(device_ts) AS distinct_ts FROM records FINAL WHERE device_id = '${imei}'`,
    );
    expect(rows[0]).toEqual({ n: '15', distinct_ts: '15' });
  }, 90_000);

  it('half-open and garbage connections are closed and release their sockets', async () => {
    const silent = await Promise.all(Array.from({ length: 20 }, () => TcpDevice.connect(gw.ports.teltonikaTcp!)));
    const garbage = await Promise.all(Array.from({ length: 20 }, () => TcpDevice.connect(gw.ports.wialonTcp!)));
    for (const g of garbage) g.write(Buffer.alloc(70_000, 0x41)); // a line longer than the frame cap
    for (const s of silent) s.write(Uint8Array.of(0x00)); // half a handshake, then nothing
    await eventually(async () => [...silent, ...garbage].filter((d) => !d.closed).length, (n) => n === 0, 10_000);
    // Every device of this file has closed by now (the earlier test's last one may still be
    // closing on the gateway's side): the gauge must come back to zero, not to a count read earlier.
    const after = await eventually(
      async () => (await gw.metrics.connections.get()).values.reduce((a, v) => a + v.value, 0),
      (n) => n === 0,
    );
    expect(after).toBe(0);
  }, 30_000);
});
