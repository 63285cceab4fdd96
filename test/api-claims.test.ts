/**
 * Exactly one winner for every create that promises 409 (docs/api.md "How uniqueness is
 * decided"): the same create fired several times at once — at one API instance, and spread over
 * two instances on one ClickHouse database — gives exactly one 201; the others get 409, or the
 * replay answer where the contract has one (a payment posted again with the same body: 200 with
 * the recorded payment; a tariff version or assignment sent again with the same content: 200
 * `unchanged`). Exactly one row is stored.
 *
 * Two instances: two app objects with their own services, caches and claim clients; on the server
 * backend each has its own store connection to the same database, on chDB (one embedded engine per
 * process) they share the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postingIntent } from '../billing/payments.ts';
import { Claims } from '../store/claims.ts';
import { openStore, type Store } from '../store/index.ts';
import { sqlString } from '../store/sql.ts';
import { backends } from './support/backends.ts';
import { startTestApi, type Reply, type TestApi } from './api-support.ts';

const N = 4;
const daily = (price: string) => ({ name: 'Daily', unit: 'day', price: { model: 'per-unit', unitPrice: price }, currency: 'EUR' });

for (const backend of backends) {
  describe(`one winner per create on ${backend.name}`, () => {
    let a: TestApi;
    let b: TestApi;
    let store: Store;
    let second: Store | null = null;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      store = opened.store;
      if (backend.name === 'server') {
        second = await openStore({ backend: 'server', url: process.env.CLICKHOUSE_URL!, database: store.database, username: process.env.CLICKHOUSE_USER, password: process.env.CLICKHOUSE_PASSWORD });
      }
      // The default settle time: the races below are real (one event loop, two HTTP clients).
      a = await startTestApi(store, { claimSettleMs: 250 });
      b = await startTestApi(second ?? store, { claimSettleMs: 250 });
      expect((await a.call('POST', '/v1/accounts', { body: { id: 'eu', name: 'EU', timeZone: 'Europe/Berlin', currency: 'EUR' } })).status).toBe(201);
      expect((await a.call('POST', '/v1/accounts', { body: { id: 'eu2', name: 'EU 2', timeZone: 'Europe/Berlin', currency: 'EUR' } })).status).toBe(201);
      expect((await a.call('POST', '/v1/tariffs', { body: { id: 'base', effectiveFrom: '2024-01-01', definition: daily('1.00') } })).status).toBe(201);
      expect((await a.call('POST', '/v1/tariffs', { body: { id: 'other', effectiveFrom: '2024-01-01', definition: daily('2.00') } })).status).toBe(201);
    }, 60_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await second?.close();
      await cleanup?.();
    });

    const count = async (sql: string) => Number((await store.query<{ n: string }>(sql))[0].n);
    /** `bodies[i]` posted at once: all to instance A, or alternately to A and B. */
    const fire = (where: 'one' | 'two', url: string, bodies: readonly unknown[]): Promise<Reply[]> =>
      Promise.all(bodies.map((body, i) => (where === 'two' && i % 2 === 1 ? b : a).http('POST', url, { body })));
    const statuses = (rs: readonly Reply[]) => rs.map((r) => r.status).sort();
    /** Waits until both instances' configuration snapshots (~1 s behind the other's writes) show `url`. */
    const seenByB = async (url: string) => {
      for (const x of [a, b]) for (let i = 0; i < 100 && (await x.call('GET', url)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
    };
    const many = <T>(f: (i: number) => T) => Array.from({ length: N }, (_, i) => f(i));

    for (const where of ['one', 'two'] as const) {
      const tag = `${where}-${backend.name}`;
      const on = where === 'one' ? 'at one instance' : 'over two instances';

      it(`accounts: one id, ${on}: one 201, the rest 409, one row`, async () => {
        const rs = await fire(where, '/v1/accounts', many((i) => ({ id: `acc-${tag}`, name: `Name ${i}`, timeZone: 'Europe/Berlin', currency: 'EUR' })));
        expect(statuses(rs), rs.map((r) => r.text).join('\n')).toEqual([201, ...many(() => 409).slice(1)]);
        expect(await count(`SELECT count() AS n FROM api_accounts WHERE account_id = ${sqlString(`acc-${tag}`)}`)).toBe(1);
        expect(await count(`SELECT count() AS n FROM rating_accounts WHERE account_id = ${sqlString(`acc-${tag}`)}`)).toBe(1);
        // Identical bodies too: a create is not a replay.
        const same = { id: `same-${tag}`, name: 'Same', timeZone: 'Europe/Berlin', currency: 'EUR' };
        const rs2 = await fire(where, '/v1/accounts', many(() => same));
        expect(statuses(rs2), rs2.map((r) => r.text).join('\n')).toEqual([201, ...many(() => 409).slice(1)]);
        expect(await count(`SELECT count() AS n FROM api_accounts WHERE account_id = ${sqlString(same.id)}`)).toBe(1);
      });

      it(`accounts: one externalId, ${on}: one 201, the rest 409`, async () => {
        const rs = await fire(where, '/v1/accounts', many((i) => ({ id: `ext-${tag}-${i}`, externalId: `1C-${tag}`, name: `Ext ${i}`, timeZone: 'Europe/Berlin', currency: 'EUR' })));
        expect(statuses(rs), rs.map((r) => r.text).join('\n')).toEqual([201, ...many(() => 409).slice(1)]);
        expect(await count(`SELECT count() AS n FROM api_accounts WHERE external_id = ${sqlString(`1C-${tag}`)}`)).toBe(1);
        // The losers' ids stay free: their claims on the id were withdrawn.
        const loser = many((i) => i).find((i) => rs[i].status === 409)!;
        const again = await a.http('POST', '/v1/accounts', { body: { id: `ext-${tag}-${loser}`, name: 'Free', timeZone: 'Europe/Berlin', currency: 'EUR' } });
        expect(again.status, again.text).toBe(201);
      });

      it(`PATCHing several accounts to one externalId, ${on}: one 200, the rest 409; the id it leaves is free again`, async () => {
        for (const i of many((k) => k)) expect((await a.call('POST', '/v1/accounts', { body: { id: `p-${tag}-${i}`, name: 'P', timeZone: 'UTC', currency: 'EUR' } })).status).toBe(201);
        await seenByB(`/v1/accounts/p-${tag}-${N - 1}`);
        const rs = await Promise.all(many((i) => (where === 'two' && i % 2 === 1 ? b : a).http('PATCH', `/v1/accounts/p-${tag}-${i}`, { body: { externalId: `X-${tag}` } })));
        expect(statuses(rs), rs.map((r) => r.text).join('\n')).toEqual([200, ...many(() => 409).slice(1)]);
        const holder = rs.find((r) => r.status === 200)!.json.id;
        const moved = await a.http('PATCH', `/v1/accounts/${holder}`, { body: { externalId: `Y-${tag}` } });
        expect(moved.status, moved.text).toBe(200);
        const other = many((i) => `p-${tag}-${i}`).find((id) => id !== holder)!;
        const taken = await a.http('PATCH', `/v1/accounts/${other}`, { body: { externalId: `X-${tag}` } });
        expect(taken.status, taken.text).toBe(200);
      });

      it(`tariffs and versions, ${on}: one 201 each; a version with the same content is 200 unchanged`, async () => {
        const rs = await fire(where, '/v1/tariffs', many((i) => ({ id: `t-${tag}`, effectiveFrom: '2024-01-01', definition: daily(`1.0${i}`) })));
        expect(statuses(rs), rs.map((r) => r.text).join('\n')).toEqual([201, ...many(() => 409).slice(1)]);
        expect(await count(`SELECT count() AS n FROM rating_tariff_versions WHERE tariff_id = ${sqlString(`t-${tag}`)}`)).toBe(1);
        await seenByB(`/v1/tariffs/t-${tag}`);
        const vs = await fire(where, `/v1/tariffs/t-${tag}/versions`, many((i) => ({ effectiveFrom: '2025-01-01', definition: daily(`3.0${i}`) })));
        expect(statuses(vs), vs.map((r) => r.text).join('\n')).toEqual([201, ...many(() => 409).slice(1)]);
        await seenByB(`/v1/tariffs/t-${tag}/versions/2`);
        const same = await fire(where, `/v1/tariffs/t-${tag}/versions`, many(() => ({ version: 3, effectiveFrom: '2026-01-01', definition: daily('4.00') })));
        expect(statuses(same), same.map((r) => r.text).join('\n')).toEqual([200, 200, 200, 201].slice(4 - N));
        expect(same.every((r) => r.json.version.version === 3)).toBe(true);
        expect(await count(`SELECT count() AS n FROM rating_tariff_versions WHERE tariff_id = ${sqlString(`t-${tag}`)}`)).toBe(3);
      });

      it(`devices: one id, ${on}: one 201, the rest 409, one row`, async () => {
        const rs = await fire(where, '/v1/devices', many((i) => ({ id: `dev-${tag}`, protocol: i % 2 === 0 ? 'teltonika' : 'wialon-ips' })));
        expect(statuses(rs), rs.map((r) => r.text).join('\n')).toEqual([201, ...many(() => 409).slice(1)]);
        expect(await count(`SELECT count() AS n FROM devices WHERE device_id = ${sqlString(`dev-${tag}`)}`)).toBe(1);
      });

      it(`device → account on one date, ${on}: one 201; the same account again is 200 unchanged, another 409`, async () => {
        expect((await a.call('POST', '/v1/devices', { body: { id: `da-${tag}`, protocol: 'teltonika' } })).status).toBe(201);
        await seenByB(`/v1/devices/da-${tag}`);
        const rs = await fire(where, `/v1/devices/da-${tag}/assignments`, many((i) => ({ accountId: i % 2 === 0 ? 'eu' : 'eu2', effectiveFrom: '2025-03-01' })));
        const ok = rs.filter((r) => r.status === 201);
        expect(ok.length, rs.map((r) => r.text).join('\n')).toBe(1);
        const won = ok[0].json.items[0].accountId;
        // Losers that sent the winner's account replay it; the others conflict.
        for (const [i, r] of rs.entries()) if (r.status !== 201) expect(r.status, r.text).toBe((i % 2 === 0 ? 'eu' : 'eu2') === won ? 200 : 409);
        expect(await count(`SELECT count() AS n FROM rating_device_accounts WHERE device_id = ${sqlString(`da-${tag}`)}`)).toBe(1);
      });

      it(`tariff → account on one date, ${on}: one 201, one assignment`, async () => {
        const account = where === 'one' ? 'eu' : 'eu2';
        const rs = await fire(where, `/v1/accounts/${account}/tariff-assignments`, many((i) => ({ tariffId: i % 2 === 0 ? 'base' : 'other', effectiveFrom: '2025-05-01' })));
        const ok = rs.filter((r) => r.status === 201);
        expect(ok.length, rs.map((r) => r.text).join('\n')).toBe(1);
        const won = ok[0].json.assignment.tariffId;
        for (const [i, r] of rs.entries()) if (r.status !== 201) expect(r.status, r.text).toBe((i % 2 === 0 ? 'base' : 'other') === won ? 200 : 409);
        expect(await count(`SELECT count() AS n FROM rating_tariff_assignments WHERE account_id = ${sqlString(account)} AND effective_from = '2025-05-01'`)).toBe(1);
      });

      it(`payments and reversals: one externalId, ${on}: same body → one 201 and 200 replays; other bodies → 409`, async () => {
        const body = { amount: '10.00', currency: 'EUR', date: '2026-02-05', externalId: `pay-${tag}` };
        const rs = await fire(where, '/v1/accounts/eu/payments', many(() => body));
        expect(statuses(rs), rs.map((r) => r.text).join('\n')).toEqual([...many(() => 200).slice(1), 201]);
        expect(new Set(rs.map((r) => r.json.id)).size).toBe(1);
        const other = await fire(where, '/v1/accounts/eu/payments', many((i) => ({ ...body, externalId: `pay2-${tag}`, amount: `1${i}.00` })));
        expect(statuses(other), other.map((r) => r.text).join('\n')).toEqual([201, ...many(() => 409).slice(1)]);
        expect(await count(`SELECT count() AS n FROM billing_payments WHERE external_id IN (${sqlString(`pay-${tag}`)}, ${sqlString(`pay2-${tag}`)})`)).toBe(2);
        // Reversals of one payment: one 201; the winner's reason again 200, another 409.
        const id = rs[0].json.id;
        const rev = await fire(where, `/v1/accounts/eu/payments/${id}/reversal`, many((i) => ({ reason: i % 2 === 0 ? 'bank recall' : 'duplicate' })));
        const won = rev.filter((r) => r.status === 201);
        expect(won.length, rev.map((r) => r.text).join('\n')).toBe(1);
        for (const [i, r] of rev.entries()) if (r.status !== 201) expect(r.status, r.text).toBe((i % 2 === 0 ? 'bank recall' : 'duplicate') === won[0].json.reversal.reason ? 200 : 409);
        expect(await count(`SELECT count() AS n FROM billing_payment_reversals WHERE payment_id = ${sqlString(id)}`)).toBe(1);
      });
    }
  });
}

/**
 * A create that dies between its claim and its write: a retry with the same body completes it
 * once the claim is stale (`claimStaleMs`), a different body stays refused. The API clock is
 * injected (it dates the claims); waits are real.
 */
for (const backend of backends) {
  describe(`a create that died between claim and write, on ${backend.name}`, () => {
    let t: TestApi;
    let store: Store;
    let cleanup: () => Promise<void>;
    let clock = Date.parse('2026-02-05T09:00:00Z');
    beforeAll(async () => {
      const opened = await backend.open();
      ({ store, cleanup } = opened);
      t = await startTestApi(store, { now: () => clock, claimStaleMs: 60_000 });
      expect((await t.call('POST', '/v1/accounts', { body: { id: 'eu', name: 'EU', timeZone: 'Europe/Berlin', currency: 'EUR' } })).status).toBe(201);
    }, 60_000);
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
    });

    it('an account whose profile write failed after its claim and rating row: the same body completes it after claimStaleMs', async () => {
      const body = { id: 'half', name: 'Half', timeZone: 'Europe/Berlin', currency: 'EUR', externalId: '1C-half' };
      // The profile table gone for a moment: the create claims, writes rating's row, then fails.
      // (A configuration reload falling into that moment fails the request before its claim, with
      // nothing written: then the fault is repeated.)
      const claims = new Claims(store);
      for (let i = 0; i < 5 && (await claims.live('account:half')).length === 0; i++) {
        // The snapshot loaded while the table is there, past the poller's next look (200 ms).
        await t.api.services.snapshots.get();
        await new Promise((r) => setTimeout(r, 500));
        await t.api.services.snapshots.get();
        await store.command('RENAME TABLE api_accounts TO api_accounts_away');
        const failed = await t.call('POST', '/v1/accounts', { body });
        await store.command('RENAME TABLE api_accounts_away TO api_accounts');
        expect(failed.status, failed.text).toBe(500);
      }
      expect(await claims.live('account:half')).toHaveLength(1);
      expect(Number((await store.query<{ n: string }>("SELECT count() AS n FROM rating_accounts WHERE account_id = 'half'"))[0].n)).toBe(1);
      t.api.services.snapshots.invalidate();
      clock += 1_000;
      // Within claimStaleMs the dead attempt may still be alive: 409, in progress.
      const early = await t.call('POST', '/v1/accounts', { body });
      expect(early.status, early.text).toBe(409);
      expect(early.json.details).toMatchObject({ inProgress: true });
      clock += 60_000;
      expectConflict(await t.call('POST', '/v1/accounts', { body: { ...body, name: 'Another' } }));
      const retry = await t.call('POST', '/v1/accounts', { body });
      expect(retry.status, retry.text).toBe(201);
      expect(retry.json).toMatchObject({ id: 'half', name: 'Half', externalId: '1C-half' });
      expectConflict(await t.call('POST', '/v1/accounts', { body }));
      expect(Number((await store.query<{ n: string }>("SELECT count() AS n FROM api_accounts WHERE account_id = 'half'"))[0].n)).toBe(1);
    });

    it('a payment whose row was never written after its claim: the same body posts it after claimStaleMs, another body is 409', async () => {
      const body = { amount: '10', currency: 'EUR', date: '2026-02-05', externalId: 'crash-1' };
      // The attempt that died: the claim taken through the same mechanism, no row.
      const dead = await new Claims(store, { now: () => clock, settleMs: 25 }).decide('payment:eu:crash-1', postingIntent('10.00', 'EUR', '2026-02-05'), async () => false);
      expect(dead.kind).toBe('write');
      clock += 1_000;
      const early = await t.call('POST', '/v1/accounts/eu/payments', { body });
      expect(early.status, early.text).toBe(409);
      expect(early.json.details).toMatchObject({ reason: 'FM_BILLING_EXTERNAL_ID_REUSED', inProgress: true });
      clock += 60_000;
      const other = await t.call('POST', '/v1/accounts/eu/payments', { body: { ...body, amount: '11' } });
      expect(other.status, other.text).toBe(409);
      expect(other.json.details.reason).toBe('FM_BILLING_EXTERNAL_ID_REUSED');
      const retry = await t.call('POST', '/v1/accounts/eu/payments', { body });
      expect(retry.status, retry.text).toBe(201);
      expect(retry.json).toMatchObject({ amount: '10.00', externalId: 'crash-1' });
      const again = await t.call('POST', '/v1/accounts/eu/payments', { body });
      expect(again.status, again.text).toBe(200);
      expect(again.json).toEqual(retry.json);
    });
  });
}

function expectConflict(r: Reply): void {
  expect(r.status, r.text).toBe(409);
  expect(r.json.code).toBe('FM_ERR_CONFLICT');
}
