/**
 * Payment discipline end to end, on each storage backend: real devices over real sockets, the API
 * over HTTP, an injected API clock (the gateway keeps the real one: device times are history).
 *
 * Two accounts (Europe/Moscow = UTC+3, RUB), terms 10 days, grace 5, warning 2; tariff "minute":
 * 1.00 RUB per online minute, VAT 0.
 *   "rej" (mode reject): Teltonika device R and Wialon IPS device W;  "sto" (mode store): Teltonika S.
 * September 2024: R and S each online 60 minutes on 09-10 → each statement 60.00 RUB, closed on
 * 2024-10-01 → due 10-11; suspension when more than 5 days past due = 10-17; warning 10-15.
 *   10-05 each pays 20.00 (partially paid) · 10-12 overdue (40.00) · 10-15 warning · 10-17 suspended:
 *   R's and W's next logins are refused (Teltonika 00, Wialon #AL#0, Teltonika UDP unanswered);
 *   S keeps sending (10-18: 60 minutes, stored, not billed).
 *   10-20 each pays the 40.00 left: reactivated at once; R logs in again.
 * October for "sto": 30 minutes on 10-10 + 45 on 10-21 billed = 75.00; 10-18's 60 minutes are not
 * (suspension [10-17, 10-20) in whole local days).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAvlPacket, encodeImei, encodeUdpDatagram, type AvlRecordInput } from '../protocols/teltonika/index.ts';
import { backends } from './support/backends.ts';
import { TcpDevice, eventually, udpExchange } from './support/device.ts';
import { startTestApi, type TestApi } from './api-support.ts';

const R = '352093086400001';
const S = '352093086400002';
const W = '861230043900003';
const at = (d: string) => Date.parse(`${d}T09:00:00Z`); // noon in Moscow
const minutes = (startUtc: number, n: number): AvlRecordInput[] => Array.from({ length: n }, (_, i) => ({ deviceTime: startUtc + i * 60_000 + 5_000, latitude: 55.75, longitude: 37.62, satellites: 9, speed: 30, course: 90 }));

/** Logs in over Teltonika TCP: the one-byte answer (1 accepted, 0 refused), and the open device. */
async function teltonikaLogin(port: number, imei: string): Promise<{ answer: number; device: TcpDevice }> {
  const device = await TcpDevice.connect(port);
  device.write(encodeImei(imei));
  return { answer: (await device.read(1))[0], device };
}

async function sendMinutes(port: number, imei: string, recs: AvlRecordInput[]): Promise<void> {
  const { answer, device } = await teltonikaLogin(port, imei);
  expect(answer).toBe(1);
  for (let i = 0; i < recs.length; i += 50) {
    const p = recs.slice(i, i + 50);
    device.write(encodeAvlPacket(0x8e, p));
    expect((await device.read(4)).readUInt32BE(0)).toBe(p.length);
  }
  device.close();
}

for (const backend of backends) {
  describe(`billing: payment → overdue → warning → suspension → payment → reactivation on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    let clock = at('2024-10-01');
    let tcp = 0;
    let udp = 0;
    let wialon = 0;
    const post = async (url: string, body: unknown) => {
      const r = await t.http('POST', url, { key: t.keys.write, body });
      expect(r.status, `${url}: ${r.text}`).toBeLessThan(300);
      return r.json;
    };
    const evaluate = async () => (await t.http('POST', '/v1/billing/suspension/evaluate', { body: {} })).json.decisions.map((d: { accountId: string; kind: string }) => `${d.accountId} ${d.kind}`).sort();

    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store, { gateway: true, now: () => clock });
      tcp = t.gateway!.ports.teltonikaTcp!;
      udp = t.gateway!.ports.teltonikaUdp!;
      wialon = t.gateway!.ports.wialonTcp!;
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('accounts, tariff and devices; September online over TCP; statements closed', async () => {
      const billing = { paymentTermDays: 10, graceDays: 5, warningDays: 2 };
      await post('/v1/accounts', { id: 'rej', name: 'Reject Ltd', timeZone: 'Europe/Moscow', currency: 'RUB', billing: { ...billing, suspensionMode: 'reject' } });
      await post('/v1/accounts', { id: 'sto', name: 'Store Ltd', timeZone: 'Europe/Moscow', currency: 'RUB', billing });
      await post('/v1/tariffs', { id: 'minute', effectiveFrom: '2024-01-01', definition: { name: 'Поминутный', unit: 'minute', price: { model: 'per-unit', unitPrice: '1.00' }, vatRate: '0', currency: 'RUB' } });
      // From September: it is the first period to close (periods close in order from the first assignment).
      for (const a of ['rej', 'sto']) await post(`/v1/accounts/${a}/tariff-assignments`, { tariffId: 'minute', effectiveFrom: '2024-09-01' });
      await post('/v1/devices', { id: R, protocol: 'teltonika', account: { accountId: 'rej', effectiveFrom: '2024-09-01' } });
      await post('/v1/devices', { id: W, protocol: 'wialon-ips', account: { accountId: 'rej', effectiveFrom: '2024-09-01' } });
      await post('/v1/devices', { id: S, protocol: 'teltonika', account: { accountId: 'sto', effectiveFrom: '2024-09-01' } });
      await sendMinutes(tcp, R, minutes(Date.UTC(2024, 8, 10, 6), 60));
      await sendMinutes(tcp, S, minutes(Date.UTC(2024, 8, 10, 6), 60));
      // S is also online 30 minutes on 10-10 (before any suspension).
      await sendMinutes(tcp, S, minutes(Date.UTC(2024, 9, 10, 6), 30));
      for (const a of ['rej', 'sto']) {
        const draft = await eventually(() => t.http('GET', `/v1/accounts/${a}/statements/2024-09`), (r) => r.json?.totals?.total === '60.00');
        expect(draft.headers['x-statement-status']).toBe('draft');
        const closed = await post(`/v1/accounts/${a}/statements/2024-09/close`, undefined);
        expect(closed.totals.total).toBe('60.00');
      }
    });

    let closedHash = '';
    it('a partial payment; overdue after the due date; no decision yet', async () => {
      closedHash = (await t.http('GET', '/v1/accounts/sto/statements/2024-09')).headers.etag as string;
      clock = at('2024-10-05');
      for (const a of ['rej', 'sto']) await post(`/v1/accounts/${a}/payments`, { amount: '20.00', currency: 'RUB', date: '2024-10-04', externalId: `${a}-1` });
      expect((await t.http('GET', '/v1/accounts/rej/balance')).json.statements[0]).toMatchObject({ period: '2024-09', state: 'partially_paid', paid: '20.00', remaining: '40.00', dueDate: '2024-10-11' });
      clock = at('2024-10-12');
      expect(await evaluate()).toEqual([]);
      const b = await t.http('GET', '/v1/accounts/rej/balance');
      expect(b.json).toMatchObject({ balance: '40.00', overdue: '40.00' });
      expect(b.json.statements[0]).toMatchObject({ state: 'overdue', daysPastDue: 1 });
    });

    it('a warning two days ahead, then the suspension, each with its reason', async () => {
      clock = at('2024-10-15');
      expect(await evaluate()).toEqual(['rej warning', 'sto warning']);
      clock = at('2024-10-16');
      expect(await evaluate()).toEqual([]);
      clock = at('2024-10-17');
      expect(await evaluate()).toEqual(['rej suspended', 'sto suspended']);
      const d = await t.http('GET', '/v1/accounts/rej/suspension-decisions', { key: t.keys.read });
      expect(d.json.items.map((x: { reason: string }) => x.reason)).toEqual([
        'suspended 2024-10-17: statement 2024-09, 40.00 RUB, 6 days past due, grace 5 days',
        'warning 2024-10-15: suspension on 2024-10-17 unless paid: statement 2024-09, 40.00 RUB, 4 days past due, grace 5 days',
      ]);
      const events = await t.api.services.events.after(null, { limit: 100, accountId: 'rej' });
      expect(events.filter((e) => e.type.startsWith('account.')).map((e) => e.type)).toEqual(['account.suspension_warning', 'account.suspended']);
    });

    it('reject mode: the devices are refused at their next login, in each protocol\'s words', async () => {
      // The registry sees the change on its next refresh (200 ms here).
      await eventually(
        async () => {
          const { answer, device } = await teltonikaLogin(tcp, R);
          const closed = await device.waitClosed(2000);
          device.close();
          return { answer, closed };
        },
        (x) => x.answer === 0 && x.closed,
        5000,
      );
      const w = await TcpDevice.connect(wialon);
      w.write(`#L#${W};NA\r\n`);
      expect(await w.readLine()).toBe('#AL#0');
      expect(await w.waitClosed()).toBe(true);
      // Teltonika UDP: no negative answer exists; the datagram is not acknowledged.
      const datagram = encodeUdpDatagram({ packetId: 1, avlPacketId: 1, imei: R, codec: 0x8e, records: minutes(Date.UTC(2024, 9, 18, 6), 2) });
      expect(await udpExchange(udp, datagram, 800)).toBeNull();
    });

    it('store mode: the device is still accepted and its data stored while suspended', async () => {
      await sendMinutes(tcp, S, minutes(Date.UTC(2024, 9, 18, 6), 60));
      const rows = await t.api.services.store.query<{ n: string }>(`SELECT toString(count()) AS n FROM records WHERE device_id = '${S}' AND device_ts >= ${Date.UTC(2024, 9, 18)} AND device_ts < ${Date.UTC(2024, 9, 19)}`);
      expect(rows[0].n).toBe('60');
      const st = await t.http('GET', '/v1/accounts/sto/suspension');
      expect(st.json).toMatchObject({ state: 'suspended', mode: 'store' });
    });

    it('a payment that clears the overdue amount reactivates at once; the reject device is accepted again', async () => {
      clock = at('2024-10-20');
      for (const a of ['rej', 'sto']) {
        const r = await t.http('POST', `/v1/accounts/${a}/payments`, { key: t.keys.write, body: { amount: '40.00', currency: 'RUB', date: '2024-10-20', externalId: `${a}-2` } });
        expect(r.status, r.text).toBe(201);
        const st = await t.http('GET', `/v1/accounts/${a}/suspension`);
        expect(st.json).toMatchObject({ state: 'active', since: { kind: 'reactivated', on: '2024-10-20' } });
        expect((await t.http('GET', `/v1/accounts/${a}/balance`)).json.statements[0]).toMatchObject({ state: 'paid', remaining: '0.00' });
      }
      await eventually(
        async () => {
          const { answer, device } = await teltonikaLogin(tcp, R);
          device.close();
          return answer;
        },
        (a) => a === 1,
        5000,
      );
      const w = await TcpDevice.connect(wialon);
      w.write(`#L#${W};NA\r\n`);
      expect(await w.readLine()).toBe('#AL#1');
      w.close();
      expect(await evaluate()).toEqual([]);
    });

    it('store mode: the suspended days are not billed; the closed period did not change', async () => {
      await sendMinutes(tcp, S, minutes(Date.UTC(2024, 9, 21, 6), 45));
      const r = await eventually(() => t.http('GET', '/v1/accounts/sto/statements/2024-10'), (x) => x.json?.totals?.total === '75.00');
      expect(r.headers['x-statement-status']).toBe('draft');
      expect(r.json.lines.map((l: { quantity: string; amount: string }) => [l.quantity, l.amount])).toEqual([['75', '75.00']]);
      // 135 minutes online in October, 75 billable: 10-18's 60 fall in the suspension.
      expect(r.json.devices[0]).toMatchObject({ deviceId: S });
      expect(r.json.devices[0].units).toEqual([expect.objectContaining({ quantity: '75' })]);
      // "rej" was online in October only while refused (nothing stored): nothing billed.
      expect((await t.http('GET', '/v1/accounts/rej/statements/2024-10')).json.totals.total).toBe('0.00');
      const closed = await t.http('GET', '/v1/accounts/sto/statements/2024-09');
      expect(closed.headers['x-statement-status']).toBe('closed');
      expect(closed.headers.etag).toBe(closedHash);
      // The statement list shows each closed statement's payment state and each period's suspended days.
      const list = await t.http('GET', '/v1/accounts/sto/statements', { key: t.keys.read });
      expect(list.status, list.text).toBe(200);
      expect(list.json.items.map((s: { period: { from: string }; status: string; totals: { total: string }; payment?: unknown; suspensions?: unknown }) => [s.period.from, s.status, s.totals.total, s.payment ?? null, s.suspensions ?? null])).toEqual([
        ['2024-10-01', 'draft', '75.00', null, [{ from: '2024-10-17', to: '2024-10-20' }]],
        ['2024-09-01', 'closed', '60.00', { state: 'paid', dueDate: '2024-10-11', paid: '60.00', remaining: '0.00' }, null],
      ]);
    });
  });
}
