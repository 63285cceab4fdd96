/**
 * Teltonika devices end to end: real sockets against a running gateway, real ClickHouse (chDB
 * and, when configured, the server). Acks must come only after commit, and carry exact bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../protocols/common/hex.ts';
import { encodeAvlPacket, encodeImei, encodeUdpDatagram, type AvlRecordInput } from '../protocols/teltonika/index.ts';
import type { Gateway } from '../ingest/gateway.ts';
import { FRAME_HEX_SQL, rowToRecord, type RecordRow } from '../store/records.ts';
import type { Store } from '../store/types.ts';
import { backends } from './support/backends.ts';
import { TcpDevice, eventually, udpExchange } from './support/device.ts';
import { startTestGateway } from './support/gateway.ts';

// teltonika.md §12 E1 (handshake) and E3 (Codec 8 with a real fix, traccar test frame).
const E1 = '000F333536333037303432343431303133';
const E3 =
  '000000000000004508010000015eb70a86d00024089d4d21dee3860137005f12005f000e06ef01f00150011503c800450108b5000bb6000642382718005fcd057ace19d3430f57440000000001000002bf';
// §12 E8: UDP Codec 8 datagram and its ack.
const E8 = '003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000000000000000000000000000000103021503010101425DBC000001';
// §12 E9: a frame whose CRC says 0x09A5 while the bytes give 0xA6DE.
const E9 =
  '000000000000009D10020000013feb55ff74000f0ea850209a690000AE00B90B00000000070A050001000002000003000004000120000200180000004601290200C700000000004C0000000001003E00000000000000000000015B198C7498000F0DBC502095872F00AE00B90B00000000070A050001000002000003000004000120000200180000004601290200C700000000004C0000000001003E000000000000000002000009A5';

const count = async (store: Store, where: string) =>
  Number((await store.query<{ n: string }>(`SELECT count() AS n FROM records FINAL WHERE ${where}`))[0].n);

function blackBox(n: number, start: number): AvlRecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    deviceTime: start + i * 60_000,
    priority: 0,
    latitude: 55.75 + i / 1e4,
    longitude: 37.61 - i / 1e4,
    altitude: 150,
    course: 90,
    satellites: 9,
    speed: 40 + (i % 20),
    eventId: null,
    io: [
      { id: 239, value: 1 },
      { id: 66, value: 12_000 + i, size: 2 as const },
      { id: 16, value: 1_000_000 + i, size: 4 as const },
      { id: 78, value: 0x0102030405060708n },
    ],
  }));
}

for (const backend of backends) {
  describe(`Teltonika end to end on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let gw: Gateway;

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      gw = await startTestGateway(store);
    });
    afterAll(async () => {
      await gw?.close();
      await cleanup?.();
    });

    it('a 0xFF ping before the handshake is swallowed (§2 framing), then E1 answers 01 and E3 is acked', async () => {
      const dev = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      dev.write(fromHex('FF'));
      dev.write(Buffer.concat([fromHex('FF'), encodeImei('356307042441099')])); // E1 framing, its own IMEI
      expect((await dev.read(1)).toString('hex')).toBe('01');
      dev.write(fromHex('FF' + E3));
      expect((await dev.read(4)).toString('hex')).toBe('00000001');
      dev.close();
    });

    it('handshake 01, then the E3 packet acked 00000001 only once its record is stored', async () => {
      const dev = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      dev.write(fromHex(E1));
      expect((await dev.read(1)).toString('hex')).toBe('01');
      dev.write(fromHex(E3));
      expect((await dev.read(4)).toString('hex')).toBe('00000001');
      // The ack came after commit: the row must be readable now, without waiting.
      const rows = await store.query<RecordRow>("SELECT * FROM records FINAL WHERE device_id = '356307042441013'");
      expect(rows).toHaveLength(1);
      const r = rowToRecord(rows[0]);
      expect(r).toMatchObject({
        protocol: 'teltonika',
        transport: 'tcp',
        deviceTime: 1506309474000,
        latitude: 56.8255366,
        longitude: 60.4544333,
        altitude: 311,
        course: 95,
        satellites: 18,
        speed: 95,
      });
      expect(r.io).toContainEqual({ id: 239, value: 1 });
      expect(r.io).toContainEqual({ id: 66, value: 14375 });
      expect(r.io).toContainEqual({ id: 206, value: 6611 });
      const frames = await store.query<{ bytes_hex: string }>(`SELECT ${FRAME_HEX_SQL} AS bytes_hex FROM frames WHERE device_id = '356307042441013'`);
      expect(frames.map((f) => f.bytes_hex)).toEqual([E3]);
      dev.close();
    });

    it('a resent packet (ack lost) is stored once', async () => {
      for (let i = 0; i < 3; i++) {
        const dev = await TcpDevice.connect(gw.ports.teltonikaTcp!);
        dev.write(fromHex(E1));
        await dev.read(1);
        dev.write(fromHex(E3));
        expect((await dev.read(4)).toString('hex')).toBe('00000001');
        dev.close();
      }
      expect(await count(store, "device_id = '356307042441013'")).toBe(1);
    });

    it('a black-box batch split into 1-byte segments and merged with the next packet: exact acks, every record', async () => {
      const imei = '352093086403001';
      const start = Date.UTC(2026, 10, 1);
      const p1 = encodeAvlPacket(0x8e, blackBox(50, start));
      const p2 = encodeAvlPacket(0x08, blackBox(7, start + 50 * 60_000));
      const dev = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      const hello = encodeImei(imei);
      for (const b of hello) dev.write(Uint8Array.of(b));
      expect((await dev.read(1)).toString('hex')).toBe('01');
      for (let i = 0; i < p1.length - 5; i++) dev.write(p1.subarray(i, i + 1));
      dev.write(Buffer.concat([p1.subarray(p1.length - 5), p2])); // the tail of one and all of the next
      expect((await dev.read(4)).toString('hex')).toBe('00000032');
      expect((await dev.read(4)).toString('hex')).toBe('00000007');
      expect(await count(store, `device_id = '${imei}'`)).toBe(57);
      const rows = await store.query<RecordRow>(`SELECT * FROM records FINAL WHERE device_id = '${imei}' ORDER BY device_ts LIMIT 1`);
      expect(rowToRecord(rows[0]).io).toContainEqual({ id: 78, value: 0x0102030405060708n });
      dev.close();
    });

    it('a frame with a bad CRC (E9) is not acked and stores nothing; the connection stays usable', async () => {
      const imei = '352093086403002';
      const dev = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      dev.write(encodeImei(imei));
      await dev.read(1);
      dev.write(fromHex(E9));
      await new Promise((r) => setTimeout(r, 300));
      expect(dev.pending).toBe(0);
      expect(await count(store, `device_id = '${imei}'`)).toBe(0);
      const good = encodeAvlPacket(0x08, blackBox(2, Date.UTC(2026, 10, 2)));
      if (!dev.closed) {
        dev.write(good);
        expect((await dev.read(4)).toString('hex')).toBe('00000002');
      }
      dev.close();
    });

    it('garbage instead of a handshake closes the connection; other devices are not disturbed', async () => {
      const bad = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      const good = await TcpDevice.connect(gw.ports.teltonikaTcp!);
      bad.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      expect(await bad.waitClosed()).toBe(true);
      good.write(encodeImei('352093086403003'));
      expect((await good.read(1)).toString('hex')).toBe('01');
      good.close();
    });

    it('UDP: the E8 datagram is acked 0005CAFE010501 after commit', async () => {
      const ack = await udpExchange(gw.ports.teltonikaUdp!, fromHex(E8));
      expect(ack?.toString('hex').toUpperCase()).toBe('0005CAFE010501');
      expect(await count(store, "device_id = '352093086403655' AND transport = 'udp'")).toBe(1);
      // A resend of the same datagram is acked again and still stored once.
      const again = await udpExchange(gw.ports.teltonikaUdp!, fromHex(E8));
      expect(again?.toString('hex').toUpperCase()).toBe('0005CAFE010501');
      expect(await count(store, "device_id = '352093086403655'")).toBe(1);
    });

    it('UDP: a larger datagram with 8E records is stored whole', async () => {
      const datagram = encodeUdpDatagram({ packetId: 7, avlPacketId: 9, imei: '352093086403004', codec: 0x8e, records: blackBox(20, Date.UTC(2026, 10, 3)) });
      const ack = await udpExchange(gw.ports.teltonikaUdp!, datagram);
      expect(ack?.toString('hex')).toBe('0005000701' + '09' + '14');
      await eventually(() => count(store, "device_id = '352093086403004'"), (n) => n === 20);
    });

    it('lists an unknown device that connected as discovered', async () => {
      await gw.context.registry.flushDiscovered();
      const rows = await store.query<{ device_id: string }>("SELECT DISTINCT device_id FROM discovered_devices WHERE device_id = '352093086403003'");
      expect(rows).toEqual([{ device_id: '352093086403003' }]);
    });
  });
}
