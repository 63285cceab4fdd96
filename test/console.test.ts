/**
 * The staff console in a real browser (Debian's chromium driven by playwright-core): sign-in with
 * a key kept server-side, every page's figures equal to the JSON API's for the same key, a
 * download, a write refused for a read key (on the page and by the server), a payment, a close and
 * a registration with a write key. On failure a screenshot goes to .tmp/console-failures/.
 * FLEETMETER_CONSOLE_SHOTS=<dir> writes each page at 1366×768 there (docs/img/console-*.png).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Locator, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { backends } from './support/backends.ts';
import { presenceRecord, startTestApi, type TestApi } from './api-support.ts';
import type { TelemetryRecord } from '../protocols/record.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.FLEETMETER_REQUIRE_SERVER === '1') throw new Error(`FLEETMETER_REQUIRE_SERVER=1 but ${CHROMIUM} is missing: the console's browser test would be skipped (apt-get install chromium)`);
const SHOTS = process.env.FLEETMETER_CONSOLE_SHOTS;
const FAILURES = join(process.cwd(), '.tmp', 'console-failures');

const DAY = 86_400_000;
const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const thisMonth = new Date(now).toISOString().slice(0, 7);
const prevStart = (() => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
})();
const prevMonth = iso(prevStart).slice(0, 7);

const fix = (deviceId: string, at: number): TelemetryRecord => ({
  protocol: 'teltonika', deviceId, deviceTime: at - 1000, receivedAt: at, latitude: 55.75, longitude: 37.62, altitude: 150, speed: 30, course: 90,
  satellites: 9, hdop: 1, valid: true, priority: null, eventId: null, io: [], archive: false,
});

/** The figure shown: its exact value (data-value) — and the text on the page (Russian: "1 234,50") says the same number. */
async function shown(l: Locator): Promise<string> {
  const value = (await l.getAttribute('data-value'))!;
  const text = (await l.textContent())!.replace(/[\s\u00a0\u202f]/g, '').replace('−', '-').replace(',', '.');
  expect(text, `shown text of ${value}`).toBe(value);
  return value;
}

for (const backend of backends) {
  describe.skipIf(!hasChromium)(`staff console in chromium on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let base: string;

    const api = async (url: string, key: string) => {
      const r = await t.http('GET', url, { key });
      expect(r.status, `${url}: ${r.text}`).toBe(200);
      return r.json;
    };
    const screenshotOnFailure = (name: string) =>
      onTestFailed(async () => {
        mkdirSync(FAILURES, { recursive: true });
        await page?.screenshot({ path: join(FAILURES, `${backend.name}-${name}.png`), fullPage: true }).catch(() => undefined);
      });
    const shot = async (name: string, fullPage = false) => {
      if (SHOTS === undefined || backend.name !== 'chdb') return;
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage });
    };
    const signIn = async (key: string) => {
      await page.goto(`${base}/console/login`);
      await page.getByTestId('key').fill(key);
      await page.getByTestId('sign-in').click();
      await page.waitForURL(`${base}/console/`);
    };

    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store);
      base = `http://127.0.0.1:${t.api.port}`;
      await t.post('/v1/accounts', { id: 'acme', name: 'ООО «Ромашка»', externalId: '7701234567', timeZone: 'Europe/Moscow', currency: 'RUB', billing: { paymentTermDays: 10 } });
      await t.post('/v1/accounts', { id: 'beta', name: 'Beta Logistics', timeZone: 'UTC', currency: 'RUB' });
      await t.post('/v1/tariffs', { id: 'daily', effectiveFrom: '2020-01-01', definition: { name: 'Daily', unit: 'day', price: { model: 'per-unit', unitPrice: '1234.5' }, currency: 'RUB' } });
      await t.post('/v1/accounts/acme/tariff-assignments', { tariffId: 'daily', effectiveFrom: iso(prevStart) });
      await t.post('/v1/accounts/beta/tariff-assignments', { tariffId: 'daily', effectiveFrom: iso(prevStart) });
      const on = (account: string) => ({ accountId: account, effectiveFrom: iso(prevStart) });
      await t.post('/v1/devices', { id: 'trk-online', protocol: 'teltonika', account: on('acme') });
      await t.post('/v1/devices', { id: 'trk-quiet', protocol: 'teltonika', account: on('acme') });
      await t.post('/v1/devices', { id: 'trk-never', protocol: 'teltonika', account: on('acme') });
      await t.post('/v1/devices', { id: 'trk-beta', protocol: 'teltonika', account: on('beta') });
      await t.post('/v1/devices', { id: 'trk-loose', protocol: 'teltonika' });
      // beta is suspended by hand: the accounts page shows the state and its reason
      await t.post('/v1/accounts/beta/suspension-override', { state: 'suspended', reason: 'договор на перезаключении', expiresAt: new Date(now + 30 * DAY).toISOString() });
      const past = [2, 3, 9].map((d) => prevStart + d * DAY + 10 * 3_600_000);
      await t.live.ingest([
        ...past.flatMap((at) => [presenceRecord('trk-online', at), presenceRecord('trk-online', at + 60_000), presenceRecord('trk-quiet', at), presenceRecord('trk-beta', at)]),
        fix('trk-online', now - 60_000),
        fix('trk-quiet', now - 30 * 3_600_000),
        fix('trk-beta', now - 5 * 60_000),
        fix('trk-loose', now - 120_000),
        fix('stranger-1', now - 30_000),
      ]);
      await t.api.services.store.insert('discovered_devices', [{ device_id: 'stranger-1', protocol: 'teltonika', transport: 'tcp', remote: '203.0.113.7:50412', seen_ts: now - 30_000 }]);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true, locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
      page = await context.newPage();
    });
    afterAll(async () => {
      await browser?.close();
      await t?.close();
      await cleanup?.();
    });

    it('a page needs a session: /console/ leads to the sign-in form; a wrong key is refused', async () => {
      screenshotOnFailure('sign-in');
      await page.goto(`${base}/console/`);
      expect(new URL(page.url()).pathname).toBe('/console/login');
      expect(await page.locator('html').getAttribute('lang')).toBe('ru');
      await shot('login');
      await page.getByTestId('key').fill('fmk_0000000000000000_' + 'x'.repeat(43));
      await page.getByTestId('sign-in').click();
      expect(await page.getByTestId('login-error').textContent()).toContain('Ключ не подходит');
      expect((await context.cookies()).filter((c) => c.name === 'fm_console')).toEqual([]);
      // The JSON API never takes the session: its routes still want the key.
      expect((await t.http('GET', '/v1/fleet/summary', { key: null })).status).toBe(401);
    });

    it('sign-in keeps the key on the server: the cookie is an opaque httpOnly, SameSite=Strict id for /console', async () => {
      screenshotOnFailure('cookie');
      await signIn(t.keys.read);
      const [c] = (await context.cookies()).filter((x) => x.name === 'fm_console');
      expect(c).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
      expect(c.value).not.toContain(t.keys.read.slice(4, 20));
      expect(c.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await page.evaluate(() => document.cookie)).not.toContain('fm_console');
      const r = await page.request.get(`${base}/console/`);
      expect(r.headers()['content-security-policy']).toContain("script-src 'self'");
      expect(r.headers()['cache-control']).toBe('no-store');
    });

    it('fleet health: each count and each list equals GET /v1/fleet/summary and /v1/fleet/devices', async () => {
      screenshotOnFailure('fleet');
      await page.goto(`${base}/console/`);
      const summary = await api('/v1/fleet/summary', t.keys.read);
      for (const k of ['onlineNow', 'silent', 'unbilled', 'neverSeen', 'registered', 'billed', 'unregistered', 'blocked']) {
        expect(Number(await shown(page.locator(`[data-field="${k}"]`))), k).toBe(summary.counts[k]);
      }
      expect(summary.counts).toMatchObject({ onlineNow: 4, silent: 2, unbilled: 3, neverSeen: 1 }); // trk-beta: its account is suspended
      for (const list of ['online', 'silent', 'unbilled', 'never-seen']) {
        await page.locator(`a[data-list="${list}"]`).click();
        await page.waitForURL(`${base}/console/?list=${list}`);
        const rows = await page.locator('table[data-testid=devices] tbody tr[data-row]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-row')));
        const ids = (await api(`/v1/fleet/devices?state=${list}&limit=1000`, t.keys.read)).items.map((d: { deviceId: string }) => d.deviceId);
        expect(rows, list).toEqual(ids);
        if (list === 'unbilled') await shot('fleet');
      }
      // every device links to its page
      await page.goto(`${base}/console/?list=unbilled`);
      await page.locator('a[data-device="stranger-1"]').first().click();
      expect(new URL(page.url()).pathname).toBe('/console/devices/stranger-1');
      expect(await page.getByTestId('device').textContent()).toContain('не зарегистрирован');
      await page.goto(`${base}/console/devices/trk-online`);
      const usage = await api('/v1/devices/trk-online/usage', t.keys.read);
      expect(Number(await shown(page.getByTestId('device').locator('[data-field=onlineMinutes]')))).toBe(usage.onlineMinutes);
      await shot('device');
    });

    it('accounts: balance, state and devices equal the API', async () => {
      screenshotOnFailure('accounts');
      await page.goto(`${base}/console/accounts`);
      const accounts = (await api('/v1/accounts', t.keys.read)).items;
      expect(await page.locator('table[data-testid=accounts] tbody tr[data-row]').count()).toBe(accounts.length);
      for (const a of accounts) {
        const row = page.locator(`table[data-testid=accounts] tr[data-row="${a.id}"]`);
        const balance = await api(`/v1/accounts/${a.id}/balance`, t.keys.read);
        const susp = await api(`/v1/accounts/${a.id}/suspension`, t.keys.read);
        expect(await shown(row.locator('[data-field=balance]'))).toBe(balance.balance);
        expect(await shown(row.locator('[data-field=overdue]'))).toBe(balance.overdue);
        expect(await row.locator('[data-field=state]').getAttribute('data-value')).toBe(susp.state);
        expect(Number(await shown(row.locator('[data-field=devices]')))).toBe(a.devices);
      }
      expect(await page.locator('tr[data-row=beta]').textContent()).toContain('договор на перезаключении');
    });

    it('account page: this month, statements, payments, devices equal the API; the CSV download is the API\'s', async () => {
      screenshotOnFailure('account');
      await page.goto(`${base}/console/accounts/acme`);
      const usage = await api('/v1/accounts/acme/usage', t.keys.read);
      const u = page.getByTestId('usage');
      expect(Number(await shown(u.locator('[data-field=onlineMinutes]')))).toBe(usage.onlineMinutes);
      for (const k of ['amount', 'vat', 'total']) expect(await shown(u.locator(`[data-field=${k}]`)), k).toBe(usage.totals[k]);
      const balance = await api('/v1/accounts/acme/balance', t.keys.read);
      for (const k of ['billed', 'paid', 'balance', 'overdue', 'credit']) expect(await shown(page.getByTestId('balance').locator(`[data-field=${k}]`)), k).toBe(balance[k]);
      const statements = (await api('/v1/accounts/acme/statements', t.keys.read)).items;
      expect(statements.map((s: { period: { from: string } }) => s.period.from.slice(0, 7))).toEqual([thisMonth]);
      for (const s of statements) {
        const row = page.locator(`table[data-testid=statements] tr[data-row="${s.period.from.slice(0, 7)}"]`);
        for (const k of ['amount', 'vat', 'total']) expect(await shown(row.locator(`[data-field=${k}]`)), k).toBe(s.totals[k]);
      }
      // the period to close next is last month (periods close in order), with its draft total
      const draft = await api(`/v1/accounts/acme/statements/${prevMonth}`, t.keys.read);
      expect(await page.getByTestId('close-form').getAttribute('data-period')).toBe(prevMonth);
      expect(await shown(page.getByTestId('close-form').locator('[data-field=closeTotal]'))).toBe(draft.totals.total);
      expect(draft.totals.total).not.toBe('0.00');
      const devices = await api('/v1/fleet/devices?accountId=acme', t.keys.read);
      const rows = await page.locator('table[data-testid=account-devices] tbody tr[data-row]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-row')));
      expect(rows).toEqual(devices.items.map((d: { deviceId: string }) => d.deviceId));
      for (const d of usage.devices) expect(Number(await shown(page.locator(`table[data-testid=account-devices] tr[data-row="${d.deviceId}"] [data-field=minutes]`)))).toBe(d.onlineMinutes);
      // download: the bytes of GET /v1/…/statements/{period}?format=csv with the same key
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`tr[data-row="${thisMonth}"] a[data-dl=csv]`).click()]);
      const got = readFileSync((await download.path())!);
      const want = await fetch(`${base}/v1/accounts/acme/statements/${thisMonth}?format=csv`, { headers: { authorization: `Bearer ${t.keys.read}` } });
      expect(download.suggestedFilename()).toBe(`statement-acme-${thisMonth}.csv`);
      expect(got.equals(Buffer.from(await want.arrayBuffer()))).toBe(true);
      expect(got.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    });

    it('a read key: writes are disabled on the page and refused by the server (403, nothing written)', async () => {
      screenshotOnFailure('read-refused');
      await page.goto(`${base}/console/accounts/acme`);
      expect(await page.getByTestId('read-only-note').isVisible()).toBe(true);
      const form = page.getByTestId('payment-form');
      expect(await form.locator('button[type=submit]').isDisabled()).toBe(true);
      expect(await page.getByTestId('close').isDisabled()).toBe(true);
      // Forced past the page: the server refuses.
      await form.evaluate((f) => {
        for (const el of f.querySelectorAll('input,button')) el.removeAttribute('disabled');
        (f.querySelector('[name=amount]') as HTMLInputElement).value = '100';
        (f.querySelector('[name=externalId]') as HTMLInputElement).value = 'PP-READ';
      });
      const [resp] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), form.locator('button[type=submit]').click()]);
      expect(resp.status()).toBe(403);
      expect(await page.getByTestId('error-text').textContent()).toContain('требует ключа с правом записи');
      expect((await api('/v1/accounts/acme/payments', t.keys.read)).items).toEqual([]);
      await page.goto(`${base}/console/discovered`);
      expect(await page.getByTestId('read-only-note').isVisible()).toBe(true);
    });

    it('a form without this session\'s token is refused (CSRF), even with a write key', async () => {
      screenshotOnFailure('csrf');
      await page.getByTestId('sign-out').click();
      await page.waitForURL(`${base}/console/login`);
      await signIn(t.keys.write);
      const r = await page.request.post(`${base}/console/accounts/acme/payments`, { form: { _csrf: 'forged', amount: '1', currency: 'RUB', date: iso(now), externalId: 'PP-CSRF' }, headers: { origin: base } });
      expect(r.status()).toBe(403);
      // With this session's token, but from another site: refused; through a proxy naming this host: let through (here to a validation error).
      await page.goto(`${base}/console/accounts/acme`);
      const token = await page.locator('[data-testid=payment-form] input[name=_csrf]').inputValue();
      const form = { _csrf: token, amount: 'abc', currency: 'RUB', date: iso(now), externalId: 'PP-X' };
      const cross = await page.request.post(`${base}/console/accounts/acme/payments`, { form, headers: { origin: 'https://evil.example' }, maxRedirects: 0 });
      expect(cross.status()).toBe(403);
      const proxied = await page.request.post(`${base}/console/accounts/acme/payments`, { form, headers: { origin: 'https://billing.example', 'x-forwarded-host': 'billing.example' }, maxRedirects: 0 });
      expect(proxied.status()).toBe(303);
      expect((await api('/v1/accounts/acme/payments', t.keys.read)).items).toEqual([]);
    });

    it('a write key closes the period and posts a payment; the page then shows the API\'s figures', async () => {
      screenshotOnFailure('write');
      await page.goto(`${base}/console/accounts/acme`);
      page.once('dialog', (d) => void d.accept());
      await page.getByTestId('close').click();
      await page.waitForLoadState();
      expect(await page.getByTestId('flash').textContent()).toContain(`Период ${prevMonth} закрыт`);
      const closed = await api(`/v1/accounts/acme/statements/${prevMonth}`, t.keys.read);
      expect(closed.status).toBe('closed');
      const form = page.getByTestId('payment-form');
      await form.locator('[name=amount]').fill('1 500,50');
      await form.locator('[name=externalId]').fill('ПП-17');
      const date = await form.locator('[name=date]').inputValue(); // today in the account's zone
      await form.locator('button[type=submit]').click();
      await page.waitForLoadState();
      expect(await page.getByTestId('flash').textContent()).toContain('Платёж ПП-17 проведён');
      const payments = (await api('/v1/accounts/acme/payments', t.keys.read)).items;
      expect(payments).toMatchObject([{ externalId: 'ПП-17', amount: '1500.50', currency: 'RUB', date }]);
      expect(await shown(page.locator('table[data-testid=payments] tr[data-row="ПП-17"] [data-field=amount]'))).toBe('1500.50');
      const balance = await api('/v1/accounts/acme/balance', t.keys.read);
      for (const k of ['billed', 'paid', 'balance', 'overdue']) expect(await shown(page.getByTestId('balance').locator(`[data-field=${k}]`)), k).toBe(balance[k]);
      expect(balance.paid).toBe('1500.50');
      const row = page.locator(`table[data-testid=statements] tr[data-row="${prevMonth}"]`);
      expect(await shown(row.locator('[data-field=total]'))).toBe(closed.totals.total);
      expect(await shown(row.locator('[data-field=remaining]'))).toBe(balance.statements[0].remaining);
      await shot('account-full', true);
      // A bad amount is the API's validation error, shown on the page.
      await form.locator('[name=amount]').fill('abc');
      await form.locator('[name=externalId]').fill('ПП-18');
      await form.locator('button[type=submit]').click();
      await page.waitForLoadState();
      expect(await page.getByTestId('flash').getAttribute('class')).toContain('error');
      expect(await page.getByTestId('flash').textContent()).toContain('body.amount');
    });

    it('a discovered device is registered and assigned from its row', async () => {
      screenshotOnFailure('discovered');
      await page.goto(`${base}/console/discovered`);
      const ids = await page.locator('table[data-testid=discovered] tbody tr[data-row]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-row')));
      expect(ids).toEqual((await api('/v1/discovered-devices', t.keys.read)).items.map((d: { id: string }) => d.id));
      await shot('discovered');
      const form = page.getByTestId('register-stranger-1');
      await form.locator('select[name=accountId]').selectOption('beta');
      await form.locator('button[type=submit]').click();
      await page.waitForLoadState();
      expect(await page.getByTestId('flash').textContent()).toContain('stranger-1');
      expect((await api('/v1/devices/stranger-1', t.keys.read)).account).toMatchObject({ accountId: 'beta' });
    });

    it('English on request, kept in a cookie; a revoked key ends the session', async () => {
      screenshotOnFailure('lang');
      await page.goto(`${base}/console/accounts`);
      await shot('accounts');
      await page.goto(`${base}/console/accounts/beta`);
      await shot('account-suspended');
      await page.goto(`${base}/console/accounts?lang=en`);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      expect(await page.locator('h1').textContent()).toBe('Accounts');
      await page.goto(`${base}/console/`);
      expect(await page.locator('h1').textContent()).toBe('Fleet health');
      await shot('fleet-en');
      await page.goto(`${base}/console/?lang=ru`);
      const keyId = t.keys.write.split('_')[1];
      await t.api.services.keys.revoke(keyId);
      await page.goto(`${base}/console/accounts`);
      expect(new URL(page.url()).pathname).toBe('/console/login');
    });
  });
}
