/**
 * /v1/devices and /v1/discovered-devices against a running gateway that shares the registry:
 * registration and blocking reach the ingest path at once, discovered devices are registered and
 * assigned in one call, and the effective-dated account history follows the conflict rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../ingest/device-registry.ts';
import { encodeImei } from '../protocols/teltonika/index.ts';
import { encodeLogin } from '../protocols/wialon-ips/index.ts';
import { AssignmentResult, Device, DevicePage } from '../api/schemas/devices.ts';
import { backends } from './support/backends.ts';
import { TcpDevice, eventually } from './support/device.ts';
import { expectError, expectSchema, startTestApi, type TestApi } from './api-support.ts';

async function handshake(port: number, imei: string): Promise<string> {
  const d = await TcpDevice.connect(port);
  d.write(encodeImei(imei));
  const answer = (await d.read(1)).toString('hex');
  d.close();
  return answer;
}

for (const backend of backends) {
  describe(`/v1/devices on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store, { gateway: true });
      for (const id of ['north', 'south']) await t.call('POST', '/v1/accounts', { body: { id, name: id, timeZone: id === 'north' ? 'Europe/Berlin' : 'Asia/Vladivostok', currency: 'EUR' } });
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('registers a device with its account; the gateway knows it at once', async () => {
      const r = await t.http('POST', '/v1/devices', { key: t.keys.write, body: { id: '356307042441001', protocol: 'teltonika', account: { accountId: 'north', effectiveFrom: '2024-01-01' } } });
      expect(r.status).toBe(201);
      expect(r.headers.location).toBe('/v1/devices/356307042441001');
      expectSchema(Device, r.json);
      expect(r.json).toMatchObject({ id: '356307042441001', protocol: 'teltonika', status: 'active', hasPassword: false, account: { accountId: 'north', since: '2024-01-01' }, lastSeen: null });
      expect(t.gateway!.context.registry.get('356307042441001')).toMatchObject({ protocol: 'teltonika', status: 'active' });
      expect((await t.call('GET', '/v1/devices/356307042441001', { key: t.keys.read })).json).toEqual(r.json);
    });

    it('a blocked device is refused at its next login; unblocked, accepted again', async () => {
      const port = t.gateway!.ports.teltonikaTcp!;
      expect(await handshake(port, '356307042441001')).toBe('01');
      const blocked = await t.http('PATCH', '/v1/devices/356307042441001', { key: t.keys.write, body: { status: 'blocked' } });
      expect(blocked.json.status).toBe('blocked');
      expect(await handshake(port, '356307042441001')).toBe('00');
      await t.call('PATCH', '/v1/devices/356307042441001', { body: { status: 'active' } });
      expect(await handshake(port, '356307042441001')).toBe('01');
    });

    it('the registered protocol is enforced at login; protocols lists several explicitly', async () => {
      const wialonLogin = async (id: string) => {
        const d = await TcpDevice.connect(t.gateway!.ports.wialonTcp!);
        d.write(encodeLogin('2.0', id, null));
        const line = await d.readLine();
        d.close();
        return line;
      };
      const tport = t.gateway!.ports.teltonikaTcp!;
      const r = await t.call('POST', '/v1/devices', { body: { id: '356307042441077', protocol: 'teltonika' } });
      expect(r.json).toMatchObject({ protocol: 'teltonika', protocols: ['teltonika'] });
      expect(await handshake(tport, '356307042441077')).toBe('01');
      expect(await wialonLogin('356307042441077')).toBe('#AL#0'); // was #AL#1: its id and no password sufficed
      const both = await t.call('PATCH', '/v1/devices/356307042441077', { body: { protocols: ['teltonika', 'wialon-ips'] } });
      expectSchema(Device, both.json);
      expect(both.json).toMatchObject({ protocol: 'teltonika', protocols: ['teltonika', 'wialon-ips'] });
      expect(await wialonLogin('356307042441077')).toBe('#AL#1');
      // A new protocol alone keeps the others listed; protocols replaces the list.
      const moved = await t.call('PATCH', '/v1/devices/356307042441077', { body: { protocol: 'wialon-ips', protocols: ['wialon-ips'] } });
      expect(moved.json).toMatchObject({ protocol: 'wialon-ips', protocols: ['wialon-ips'] });
      expect(await handshake(tport, '356307042441077')).toBe('00');
      expect((await t.http('POST', '/v1/devices', { key: t.keys.write, body: { id: 'x-1', protocol: 'teltonika', protocols: ['nope'] } })).status).toBe(400);
    });

    it('a password is stored hashed and kept when other fields change; null removes it', async () => {
      const reg = t.gateway!.context.registry;
      const r = await t.call('POST', '/v1/devices', { body: { id: 'wialon-7', protocol: 'wialon-ips', password: 'secret' } });
      expect(r.json).toMatchObject({ hasPassword: true, account: null });
      expect(reg.authorize('wialon-7', 'wialon-ips', 'tcp', 'wrong', 'test')).toBe('bad-password');
      await t.call('PATCH', '/v1/devices/wialon-7', { body: { status: 'active', protocol: 'wialon-ips' } });
      expect(reg.get('wialon-7')?.passwordHash).toBe(hashPassword('secret'));
      expect(reg.authorize('wialon-7', 'wialon-ips', 'tcp', 'secret', 'test')).toBe('accepted');
      const cleared = await t.call('PATCH', '/v1/devices/wialon-7', { body: { password: null } });
      expect(cleared.json.hasPassword).toBe(false);
      expect(reg.authorize('wialon-7', 'wialon-ips', 'tcp', null, 'test')).toBe('accepted');
    });

    it('validation and conflicts: 400 naming the field, 404 unknown account, 409 already registered', async () => {
      const bad = await t.call('POST', '/v1/devices', { body: { id: '35630704244100X!', protocol: 'teltonika' } });
      expectError(bad, 400, 'FM_ERR_VALIDATION');
      expect(bad.json.details.field).toBe('body.id');
      const proto = await t.call('POST', '/v1/devices', { body: { id: '1', protocol: 'gt06' } });
      expect(proto.json.details.field).toBe('body.protocol');
      const date = await t.call('POST', '/v1/devices', { body: { id: '2', protocol: 'teltonika', account: { accountId: 'north', effectiveFrom: '2024-02-30' } } });
      expectError(date, 400, 'FM_ERR_VALIDATION');
      expect(date.json.details.field).toBe('body.account.effectiveFrom');
      expectError(await t.call('POST', '/v1/devices', { body: { id: '3', protocol: 'teltonika', account: { accountId: 'nowhere', effectiveFrom: '2024-01-01' } } }), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('POST', '/v1/devices', { body: { id: '356307042441001', protocol: 'teltonika' } }), 409, 'FM_ERR_CONFLICT');
      expectError(await t.call('GET', '/v1/devices/unknown-device'), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('PATCH', '/v1/devices/unknown-device', { body: { status: 'blocked' } }), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('GET', '/v1/devices/unknown-device/assignments'), 404, 'FM_ERR_NOT_FOUND');
    });

    it('effective-dated moves: append, no-op, 409 with what conflicts, correction', async () => {
      const id = '356307042441001';
      const move = await t.http('POST', `/v1/devices/${id}/assignments`, { key: t.keys.write, body: { accountId: 'south', effectiveFrom: '2024-06-11' } });
      expect(move.status).toBe(201);
      expectSchema(AssignmentResult, move.json);
      expect(move.json).toMatchObject({ result: 'created', current: { accountId: 'south', since: '2024-06-11' } });
      expect(move.json.items.map((i: { accountId: string; effectiveFrom: string }) => [i.accountId, i.effectiveFrom])).toEqual([
        ['north', '2024-01-01'],
        ['south', '2024-06-11'],
      ]);
      const same = await t.call('POST', `/v1/devices/${id}/assignments`, { body: { accountId: 'south', effectiveFrom: '2024-06-11' } });
      expect(same.status).toBe(200);
      expect(same.json.result).toBe('unchanged');
      const stale = await t.call('POST', `/v1/devices/${id}/assignments`, { body: { accountId: 'north', effectiveFrom: '2024-03-01' } });
      expectError(stale, 409, 'FM_ERR_EFFECTIVE_DATE_CONFLICT');
      expect(stale.json.details.conflicts).toEqual([{ effectiveFrom: '2024-06-11', value: 'south', recordedAt: expect.any(String) }]);
      const fixed = await t.call('POST', `/v1/devices/${id}/assignments`, { body: { accountId: 'north', effectiveFrom: '2024-03-01', correction: true } });
      expect(fixed.status).toBe(201);
      expect(fixed.json.items).toHaveLength(3);
      expectError(await t.call('POST', `/v1/devices/${id}/assignments`, { body: { accountId: 'nowhere', effectiveFrom: '2025-01-01' } }), 404, 'FM_ERR_NOT_FOUND');
      expectError(await t.call('POST', `/v1/devices/${id}/assignments`, { key: t.keys.read, body: { accountId: null, effectiveFrom: '2025-01-01' } }), 403, 'FM_ERR_FORBIDDEN');
      const off = await t.call('POST', `/v1/devices/${id}/assignments`, { body: { accountId: null, effectiveFrom: '2025-01-01' } });
      expect(off.json.current).toBeNull();
      const hist = await t.call('GET', `/v1/devices/${id}/assignments`, { key: t.keys.read });
      expect(hist.json.items.map((i: { accountId: string | null }) => i.accountId)).toEqual(['north', 'north', 'south', null]);
      const audit = await t.call('GET', `/v1/audit?entityType=device&entityId=${id}`);
      expect(audit.json.items.filter((a: { action: string }) => a.action === 'device.assign')).toHaveLength(3);
    });

    it('a device that connects unregistered is listed as discovered and registered + assigned in one call', async () => {
      const imei = '359633100000042';
      expect(await handshake(t.gateway!.ports.teltonikaTcp!, imei)).toBe('01');
      const listed = await eventually(
        () => t.call('GET', '/v1/discovered-devices', { key: t.keys.read }),
        (r) => r.json.items.some((d: { id: string }) => d.id === imei),
      );
      expect(listed.json.items.find((d: { id: string }) => d.id === imei)).toMatchObject({ protocol: 'teltonika', transport: 'tcp' });
      expectError(await t.call('POST', '/v1/discovered-devices/000000000000000/register', { body: { accountId: 'north', effectiveFrom: '2024-01-01' } }), 404, 'FM_ERR_NOT_FOUND');
      const r = await t.http('POST', `/v1/discovered-devices/${imei}/register`, { key: t.keys.write, body: { accountId: 'north', effectiveFrom: '2024-01-01' } });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ id: imei, protocol: 'teltonika', account: { accountId: 'north', since: '2024-01-01' } });
      const after = await t.call('GET', '/v1/discovered-devices');
      expect(after.json.items.some((d: { id: string }) => d.id === imei)).toBe(false);
      expectError(await t.call('POST', `/v1/discovered-devices/${imei}/register`, { body: { accountId: 'north', effectiveFrom: '2024-01-01' } }), 409, 'FM_ERR_CONFLICT');
    });

    it('lists with filters, paging and sorting', async () => {
      for (let i = 0; i < 4; i++) await t.call('POST', '/v1/devices', { body: { id: `8600000000000${i}`, protocol: i < 2 ? 'wialon-ips' : 'teltonika', status: i === 3 ? 'blocked' : 'active', account: { accountId: 'south', effectiveFrom: '2024-01-01' } } });
      const south = await t.call('GET', '/v1/devices?accountId=south', { key: t.keys.read });
      expectSchema(DevicePage, south.json);
      expect(south.json.items.map((d: { id: string }) => d.id)).toEqual(['86000000000000', '86000000000001', '86000000000002', '86000000000003']);
      expect((await t.call('GET', '/v1/devices?status=blocked')).json.items.map((d: { id: string }) => d.id)).toEqual(['86000000000003']);
      expect((await t.call('GET', '/v1/devices?protocol=wialon-ips&idPrefix=86')).json.items).toHaveLength(2);
      expectError(await t.call('GET', '/v1/devices?status=lost'), 400, 'FM_ERR_VALIDATION');
      expectError(await t.call('GET', '/v1/discovered-devices?protocol=gt06'), 400, 'FM_ERR_VALIDATION');
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const r = await t.call('GET', `/v1/devices?limit=3&sort=-id${cursor ? `&cursor=${cursor}` : ''}`);
        ids.push(...r.json.items.map((d: { id: string }) => d.id));
        cursor = r.json.nextCursor;
      } while (cursor);
      expect(ids).toEqual([...ids].sort().reverse());
      expect(new Set(ids).size).toBe(ids.length);
      // No device has sent a record here (handshakes only): lastSeen ties, the id breaks them.
      const seen = await t.call('GET', '/v1/devices?sort=-lastSeen&limit=2');
      expect(seen.json.items.map((d: { lastSeen: string | null }) => d.lastSeen)).toEqual([null, null]);
      expect(seen.json.items.map((d: { id: string }) => d.id)).toEqual([ids[0], ids[1]]);
    });
  });
}
