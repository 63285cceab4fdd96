/**
 * A hung or stopped ClickHouse server under a real `fleetmeter serve`: a commit never waits past
 * `--commit-timeout-ms` (the device is not acked and resends), and SIGTERM with the storage hung
 * or down still stops the gateway within 10 s with exit code 0, with every acked record and its
 * billed minute stored. Debian's clickhouse-server, started by this test on its own ports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAvlPacket, encodeImei } from '../protocols/teltonika/index.ts';
import { minutesOf } from '../rating/minute-bitmap.ts';
import { ClickHousePresenceStorage } from '../rating/presence-store.ts';
import { openStore } from '../store/index.ts';
import { TcpDevice } from './support/device.ts';
import { hasClickHouseServer, ownClickHouse, type OwnClickHouse } from './support/clickhouse-server.ts';
import { startServe } from './support/serve.ts';

const hasServer = hasClickHouseServer('the shutdown fault tests');

const imei = '352093086409301';
const packet = (minute: number) => encodeAvlPacket(0x8e, [{ deviceTime: Date.UTC(2026, 10, 5, 8, minute, 10), latitude: 55, longitude: 37, satellites: 7 }]);

describe.skipIf(!hasServer)('shutdown with ClickHouse hung or down (real serve process)', () => {
  let ch: OwnClickHouse;
  const server = (action: 'start' | 'stop') => (action === 'start' ? ch.start() : ch.stop());
  const serverPid = () => ch.pid();
  const env = () => ({ CLICKHOUSE_URL: ch.url, CLICKHOUSE_DATABASE: 'fm_shutdown' });

  beforeAll(async () => {
    ch = await ownClickHouse();
    server('start');
  }, 120_000);

  afterAll(() => {
    try {
      process.kill(serverPid(), 'SIGCONT');
    } catch {
      /* not running */
    }
    ch?.remove();
  });

  /** A device that logs in and gets one record acked, then sends another that will not be. */
  async function ackedThenPending(tcpPort: number, acked: number, pending: number): Promise<TcpDevice> {
    const d = await TcpDevice.connect(tcpPort);
    d.write(encodeImei(imei));
    expect((await d.read(1)).toString('hex')).toBe('01');
    d.write(packet(acked));
    expect((await d.read(4)).readUInt32BE(0)).toBe(1);
    return d;
  }

  it('hung server: the commit gives up at --commit-timeout-ms, no ack; SIGTERM exits 0 within 10 s', async () => {
    const s = await startServe(env(), ['--commit-timeout-ms', '2000']);
    const d = await ackedThenPending(s.ports.teltonikaTcp, 0, 1);
    process.kill(serverPid(), 'SIGSTOP'); // hung: connections accepted, nothing answered
    try {
      d.write(packet(1));
      // Not acked: the gateway gives up after the commit timeout and closes the connection.
      await expect(d.read(4, 8_000)).rejects.toThrow(/closed/);
      d.write(packet(2));
      const stop = await s.terminate();
      expect(stop.code).toBe(0);
      expect(stop.ms).toBeLessThan(10_000);
    } finally {
      process.kill(serverPid(), 'SIGCONT');
    }
  }, 120_000);

  it('server down: SIGTERM with a commit pending exits 0 within 10 s (default timeouts); acked data and minutes kept', async () => {
    const s = await startServe(env());
    const d = await ackedThenPending(s.ports.teltonikaTcp, 10, 11);
    server('stop');
    d.write(packet(11));
    await new Promise((r) => setTimeout(r, 300));
    const stop = await s.terminate();
    expect(stop.code).toBe(0);
    expect(stop.ms).toBeLessThan(10_000);
    server('start');
    const store = await openStore({ backend: 'server', url: ch.url, database: 'fm_shutdown' });
    try {
      const rows = await store.query<{ m: number }>(`SELECT toMinute(toDateTime(intDiv(device_ts, 1000), 'UTC')) AS m FROM records FINAL WHERE device_id = '${imei}' ORDER BY m`);
      // Acked: minutes 0 and 10. Minute 1 may have landed after its give-up (then it is billed too: see below); 2 and 11 never did.
      const stored = rows.map((r) => Number(r.m));
      expect(stored).toEqual(expect.arrayContaining([0, 10]));
      expect(stored).not.toContain(11);
      // Billed exactly what is stored: the presence minutes are the stored records' minutes.
      const day = Math.floor(Date.UTC(2026, 10, 5) / 86_400_000);
      const presence = await new ClickHousePresenceStorage(store, { cacheDeviceDays: 0 }).loadRange([imei], day, day + 1);
      expect(minutesOf(presence.get(imei, day)!.device)).toEqual(stored.map((m) => 8 * 60 + m));
    } finally {
      await store.close();
    }
  }, 180_000);
});
