/**
 * Wialon IPS devices end to end: real sockets against a running gateway, real ClickHouse (chDB
 * and, when configured, the server). Answers only after commit, in order, exact text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeLogin, encodeUdp } from '../protocols/wialon-ips/index.ts';
import type { Gateway } from '../ingest/gateway.ts';
import { rowToRecord, type RecordRow } from '../store/records.ts';
import type { Store } from '../store/types.ts';
import { backends } from './support/backends.ts';
import { TcpDevice, eventually, udpExchange } from './support/device.ts';
import { startTestGateway } from './support/gateway.ts';

// wialon-ips.md §13 worked examples.
const W1 = '#L#2.0;359633100458590;NA;EEBF';
const W3 = '#D#220323;114150;2234.80479;N;11354.87786;E;0;NA;59;11;NA;NA;NA;;NA;d_battr:1:94,d_csq:1:21,di_light:1:1;E7C9';
const W6_V11 =
  '#B#080914;073235;5027.50625;N;03026.19321;E;0.700;0.000;NA;4;NA;NA;NA;;NA;Батарея:3:100 %|080914;073420;5027.50845;N;03026.18854;E;1.996;292.540;NA;4;NA;NA;NA;;NA;Батарея:3:100 %';
const W6_V20 = '#B#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4|270413;205701;5544.6100;N;03739.7000;E;5;90;3;6|7981';
const W7 = 'FF1B00780153F65136D233B0CECC4DCDB4F673B476B4343602002FF404E6';

const rows = (store: Store, device: string) =>
  store.query<RecordRow>(`SELECT * FROM records FINAL WHERE device_id = '${device}' ORDER BY device_ts`);

for (const backend of backends) {
  describe(`Wialon IPS end to end on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let gw: Gateway;

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      gw = await startTestGateway(store);
      await gw.context.registry.upsert({ deviceId: '777000111', protocol: 'wialon-ips', password: 'секрет' });
      await gw.context.registry.refresh();
    });
    afterAll(async () => {
      await gw?.close();
      await cleanup?.();
    });

    it('v2.0 login #AL#1, then #D# with params answered #AD#1 once stored', async () => {
      const dev = await TcpDevice.connect(gw.ports.wialonTcp!);
      dev.write(W1 + '\r\n');
      expect(await dev.readLine()).toBe('#AL#1');
      dev.write(W3 + '\r\n');
      expect(await dev.readLine()).toBe('#AD#1');
      const stored = (await rows(store, '359633100458590')).map(rowToRecord);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ protocol: 'wialon-ips', deviceTime: Date.UTC(2023, 2, 22, 11, 41, 50), altitude: 59, satellites: 11, archive: false });
      expect(stored[0].latitude).toBeCloseTo(22.5800798, 6);
      expect(stored[0].longitude).toBeCloseTo(113.914631, 6);
      expect(stored[0].io).toEqual(expect.arrayContaining([{ id: 'd_battr', value: 94 }, { id: 'd_csq', value: 21 }, { id: 'di_light', value: 1 }]));
      dev.close();
    });

    it('refused black-box bodies (impossible minutes) are counted as FM_ERR_BODY_REFUSED, not lost silently', async () => {
      const refused = async () => (await gw.metrics.decodeErrors.get()).values.find((v) => v.labels.code === 'FM_ERR_BODY_REFUSED')?.value ?? 0;
      const before = await refused();
      const dev = await TcpDevice.connect(gw.ports.wialonTcp!);
      dev.write('#L#861230043907627;NA\r\n');
      expect(await dev.readLine()).toBe('#AL#1');
      // W6 v1.1 bodies with 60.5 minutes of latitude: answer code 10 each (§10), nothing stored.
      dev.write('#B#270413;205601;5560.5025;N;03739.6834;E;1;2;3;4|270413;205701;5560.6100;N;03739.7000;E;5;90;3;6\r\n');
      expect(await dev.readLine()).toBe('#AB#0');
      expect((await refused()) - before).toBe(2);
      dev.close();
    });

    it('a v1.1 black box with Cyrillic params: #AB#2, archived records, text kept exactly', async () => {
      const dev = await TcpDevice.connect(gw.ports.wialonTcp!);
      dev.write('#L#861230043907626;NA\r\n');
      expect(await dev.readLine()).toBe('#AL#1');
      dev.write(W6_V11 + '\r\n');
      expect(await dev.readLine()).toBe('#AB#2');
      const stored = (await rows(store, '861230043907626')).map(rowToRecord);
      expect(stored).toHaveLength(2);
      expect(stored.every((r) => r.archive)).toBe(true);
      expect(stored[0].io).toContainEqual({ id: 'Батарея', value: '100 %' });
      expect(stored[0].deviceTime).toBe(Date.UTC(2014, 8, 8, 7, 32, 35));
      dev.close();
    });

    it('pipelined packets split and merged across segments: answers in order, all stored once', async () => {
      const device = '861230043900001';
      const dev = await TcpDevice.connect(gw.ports.wialonTcp!);
      const lines = [`#L#${device};NA`];
      for (let i = 0; i < 200; i++) {
        const mm = String(Math.floor(i / 60)).padStart(2, '0');
        const ss = String(i % 60).padStart(2, '0');
        lines.push(`#SD#270413;20${mm}${ss};5544.6025;N;03739.6834;E;${i};2;3;4`);
      }
      lines.push(W6_V20.replace(/\|7981$/, '|')); // v1.1 session: the v2.0 body without its CRC
      const stream = Buffer.from(lines.map((l) => l + '\r\n').join(''));
      for (let i = 0; i < stream.length; i += 7) dev.write(stream.subarray(i, i + 7));
      expect(await dev.readLine()).toBe('#AL#1');
      for (let i = 0; i < 200; i++) expect(await dev.readLine()).toBe('#ASD#1');
      expect(await dev.readLine()).toBe('#AB#2');
      await eventually(async () => (await rows(store, device)).length, (n) => n === 202);
      dev.close();
    });

    it('the compressed container (W7) carries a login', async () => {
      const dev = await TcpDevice.connect(gw.ports.wialonTcp!);
      dev.write(Buffer.from(W7, 'hex'));
      expect(await dev.readLine()).toBe('#AL#1');
      dev.close();
    });

    it('bad CRC on a data packet gets #AD#16 and stores nothing; the session goes on', async () => {
      const device = '359633100458591';
      const dev = await TcpDevice.connect(gw.ports.wialonTcp!);
      dev.write(encodeLogin('2.0', device, null));
      expect(await dev.readLine()).toBe('#AL#1');
      dev.write(W3.replace(/E7C9$/, 'E7C8') + '\r\n');
      expect(await dev.readLine()).toBe('#AD#16');
      dev.write(W3 + '\r\n');
      expect(await dev.readLine()).toBe('#AD#1');
      expect(await rows(store, device)).toHaveLength(1);
      dev.close();
    });

    it('a registered device with a password: wrong password #AL#01, right one #AL#1', async () => {
      const wrong = await TcpDevice.connect(gw.ports.wialonTcp!);
      wrong.write(encodeLogin('2.0', '777000111', 'guess'));
      expect(await wrong.readLine()).toBe('#AL#01');
      expect(await wrong.waitClosed()).toBe(true);
      const right = await TcpDevice.connect(gw.ports.wialonTcp!);
      right.write(encodeLogin('2.0', '777000111', 'секрет'));
      expect(await right.readLine()).toBe('#AL#1');
      right.close();
    });

    it('data before login: nothing answered, connection closed (§12)', async () => {
      const dev = await TcpDevice.connect(gw.ports.wialonTcp!);
      dev.write(W3 + '\r\n');
      expect(await dev.waitClosed()).toBe(true);
      expect(dev.pending).toBe(0);
    });

    it('UDP v2.0 datagram (W4 form) answered #AD#1 after commit; a resend stored once', async () => {
      const body = Buffer.from(W3 + '\r\n');
      const datagram = encodeUdp('2.0', '99999999', body);
      const answer = await udpExchange(gw.ports.wialonUdp!, datagram);
      expect(answer?.toString()).toBe('#AD#1\r\n');
      await udpExchange(gw.ports.wialonUdp!, datagram);
      expect(await rows(store, '99999999')).toHaveLength(1);
    });
  });
}
