/**
 * Period close and e-mail, end to end with injected time: the `period-close` job closes last month
 * from the configured day on (each account in its own zone), once — even triggered twice and by
 * two instances — and publishes `statement.closed`; `mail-dispatch` sends the statement to the
 * account's billing e-mail, received by a real SMTP server (`smtp-server`) on loopback with the
 * CSV and JSON attached; an SMTP failure is retried, the mail sent once; a suspension warning is
 * mailed too; an account without a billing e-mail is skipped, recorded.
 *
 * Account "acme" (UTC, EUR), tariff 2.00 per active day, VAT 22 %; d1 online May 3–5, 2024 →
 * May: 6.00 + 1.32 VAT = 7.32.
 */
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBillingOps } from '../app/billing-ops.ts';
import type { BillingOps, BillingOpsOptions } from '../billing/ops.ts';
import { MAIL_CONSUMER } from '../billing/mail.ts';
import { closeTarget, periodsToClose } from '../billing/period-close.ts';
import type { TelemetryRecord } from '../protocols/record.ts';
import { backends } from './support/backends.ts';
import { startTestApi, type TestApi, presenceRecord } from './api-support.ts';
import { pdfPages, squash } from './support/pdf.ts';
import { TEST_PROVIDER } from './support/provider.ts';

const rec = presenceRecord;

interface Mail {
  readonly to: string[];
  readonly raw: string;
}

/** The decoded body of the MIME part whose filename is `name` (base64 or quoted-printable or plain). */
/** An attachment's bytes, decoded from its transfer encoding. */
function attachmentBytes(raw: string, name: string): Buffer | null {
  const parts = raw.split(/\r?\n--[^\r\n]+\r?\n/);
  for (const p of parts) {
    const split = p.search(/\r?\n\r?\n/);
    if (split < 0) continue;
    const head = p.slice(0, split);
    if (!new RegExp(`filename="?${name.replace(/\./g, '\\.')}"?`).test(head.replace(/\r?\n\s+/g, ' '))) continue;
    const body = p.slice(split).replace(/^\r?\n\r?\n/, '').replace(/\r?\n--[^\r\n]*--\s*$/, '');
    const enc = /content-transfer-encoding:\s*(\S+)/i.exec(head)?.[1].toLowerCase();
    if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64');
    if (enc === 'quoted-printable') return Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return Buffer.from(body, 'utf8');
  }
  return null;
}

function attachment(raw: string, name: string): string | null {
  return attachmentBytes(raw, name)?.toString('utf8') ?? null;
}

describe('period close: which months', () => {
  it('the previous month from the close day on (local date), else the one before', () => {
    expect(closeTarget(Date.UTC(2024, 5, 2, 23), 'UTC', 3)).toEqual({ from: '2024-04-01', to: '2024-05-01' });
    expect(closeTarget(Date.UTC(2024, 5, 3, 0), 'UTC', 3)).toEqual({ from: '2024-05-01', to: '2024-06-01' });
    // 2024-06-02T23:00Z is already June 3 in Moscow.
    expect(closeTarget(Date.UTC(2024, 5, 2, 23), 'Europe/Moscow', 3)).toEqual({ from: '2024-05-01', to: '2024-06-01' });
    const a = { id: 'a', timeZone: 'UTC', createdAt: 0 };
    // From the next date to close (rating's nextToClose: the end of the last closed period, or the first assigned month).
    expect(periodsToClose('2024-03-01', { from: '2024-05-01', to: '2024-06-01' }, a, 12).map((p) => p.from)).toEqual(['2024-03-01', '2024-04-01', '2024-05-01']);
    expect(periodsToClose('2024-05-16', { from: '2024-05-01', to: '2024-06-01' }, a, 12)).toEqual([{ from: '2024-05-16', to: '2024-06-01' }]);
    expect(periodsToClose('2024-03-01', { from: '2024-05-01', to: '2024-06-01' }, a, 2).map((p) => p.from)).toEqual(['2024-03-01', '2024-04-01']);
    // A backdated assignment: months that ended before the account was created close too, oldest first.
    expect(periodsToClose('2024-03-01', { from: '2024-05-01', to: '2024-06-01' }, { ...a, createdAt: Date.UTC(2024, 5, 2) }, 12).map((p) => p.from)).toEqual(['2024-03-01', '2024-04-01', '2024-05-01']);
    // Never any assignment: the target alone, unless it ended before the account was created.
    expect(periodsToClose(null, { from: '2024-05-01', to: '2024-06-01' }, { ...a, createdAt: Date.UTC(2024, 5, 2) }, 12)).toEqual([]);
    expect(periodsToClose(null, { from: '2024-05-01', to: '2024-06-01' }, { ...a, createdAt: Date.UTC(2024, 4, 2) }, 12)).toEqual([{ from: '2024-05-01', to: '2024-06-01' }]);
  });
});

for (const backend of backends) {
  describe(`period close and e-mail on ${backend.name}`, () => {
    let t: TestApi;
    let cleanup: () => Promise<void>;
    let smtp: SMTPServer;
    const mails: Mail[] = [];
    let rejectNext = 0;
    // Accounts are created in May: April, which ended before, is never closed for them.
    let clock = Date.UTC(2024, 4, 2, 9);
    const now = () => clock;
    let opts: BillingOpsOptions;
    let ops: BillingOps;

    beforeAll(async () => {
      smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onRcptTo(_address, _session, cb) {
          if (rejectNext > 0) {
            rejectNext--;
            const err = new Error('mailbox busy, try later') as Error & { responseCode: number };
            err.responseCode = 451;
            return cb(err);
          }
          cb();
        },
        onData(stream, session, cb) {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
            cb();
          });
        },
      });
      await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
      const port = (smtp.server.address() as AddressInfo).port;
      opts = {
        settleMs: 1000,
        leaseSettleMs: 100,
        periodCloseDay: 3,
        retry: { baseMs: 60_000, maxMs: 600_000, maxAttempts: 0 },
        random: () => 0,
        smtp: { url: '', host: '127.0.0.1', port, secure: false, user: '', pass: '', from: 'billing@provider.example', timeoutMs: 5000 },
      };
      const opened = await backend.open();
      cleanup = opened.cleanup;
      t = await startTestApi(opened.store, { now, billingOps: { ...opts, owner: 'inst-a' }, provider: TEST_PROVIDER });
      ops = t.api.services.ops;
      await t.post('/v1/accounts', { id: 'acme', name: 'Acme Fleet', timeZone: 'UTC', currency: 'EUR', billing: { invoiceEmail: 'billing@acme.example' } });
      await t.post('/v1/tariffs', { id: 'daily', effectiveFrom: '2020-01-01', definition: { name: 'Daily', unit: 'day', price: { model: 'per-unit', unitPrice: '2.00' }, currency: 'EUR' } });
      // From May 1 (a day before acme was created): May is acme's first period to close.
      await t.post('/v1/accounts/acme/tariff-assignments', { tariffId: 'daily', effectiveFrom: '2024-05-01' });
      await t.post('/v1/devices', { id: 'd1', protocol: 'teltonika', account: { accountId: 'acme', effectiveFrom: '2024-05-01' } });
      await t.live.ingest([3, 4, 5].map((d) => rec('d1', Date.UTC(2024, 4, d, 10))));
      clock = Date.UTC(2024, 5, 2, 12);
      // Created after May ended: May is not closed for it.
      await t.post('/v1/accounts', { id: 'newco', name: 'NewCo', timeZone: 'UTC', currency: 'EUR' });
    });
    afterAll(async () => {
      await t?.close();
      await cleanup?.();
      await new Promise<void>((r) => smtp?.close(() => r()));
    });

    const other = () => {
      const s = t.api.services;
      return createBillingOps({ store: s.store, events: s.events, rating: s.rating, snapshots: s.snapshots, fleetHealth: s.fleetHealth, log: pino({ level: 'silent' }), now }, { ...opts, owner: 'inst-b' });
    };
    const closedEvents = async () => (await t.api.services.events.after(null, { limit: 100, types: ['statement.closed'] })).filter((e) => e.accountId === 'acme');

    it('before the close day nothing closes; from it, May closes once for acme (triggered twice, two instances)', async () => {
      expect((await ops.scheduler.trigger('period-close')).result).toMatchObject({ closed: [] });
      clock = Date.UTC(2024, 5, 3, 0, 30);
      const b = other();
      const runs = await Promise.allSettled([ops.scheduler.trigger('period-close'), b.scheduler.trigger('period-close')]);
      const done = runs.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(done).toHaveLength(1);
      expect(done[0].result).toMatchObject({ closed: ['acme 2024-05-01..2024-06-01'], failed: [] });
      clock += 3_600_000;
      expect((await b.scheduler.trigger('period-close')).result).toMatchObject({ closed: [], failed: [] });
      const closed = (await t.api.services.rating.statements.listClosed(['acme', 'newco'])).get('acme') ?? [];
      expect(closed.map((c) => [c.period.from, c.doc.totals.total])).toEqual([['2024-05-01', '7.32']]);
      expect((await t.api.services.rating.statements.listClosed(['newco'])).get('newco')).toBeUndefined();
      const events = await closedEvents();
      expect(events).toHaveLength(1);
      expect(events[0].data).toMatchObject({ period: { from: '2024-05-01', to: '2024-06-01' }, totals: { total: '7.32' }, currency: 'EUR' });
      const jobs = await t.call('GET', '/v1/jobs');
      expect(jobs.json.items.find((j: { name: string }) => j.name === 'period-close').lastRun).toMatchObject({ status: 'ok' });
      await b.stop();
    });

    it('the statement is e-mailed once, CSV, JSON and the invoice PDF attached; an SMTP failure is retried, not lost', async () => {
      rejectNext = 1;
      clock += 5000;
      expect((await ops.scheduler.trigger('mail-dispatch')).result).toMatchObject({ attempted: 1, failed: 1 });
      expect(mails).toHaveLength(0);
      const [ev] = await closedEvents();
      const [pending] = await ops.deliveries.get(MAIL_CONSUMER, [ev.id]);
      expect(pending).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 451 });
      clock += 30_000; // retry due after base/2 with jitter 0
      expect((await ops.scheduler.trigger('mail-dispatch')).result).toMatchObject({ attempted: 1, delivered: 1 });
      expect(mails).toHaveLength(1);
      const m = mails[0];
      expect(m.to).toEqual(['billing@acme.example']);
      expect(m.raw).toContain('Subject: Statement 2024-05 - Acme Fleet: 7.32 EUR');
      expect(m.raw).toContain(`Message-ID: <${ev.id}@fleetmeter>`);
      const csv = attachment(m.raw, 'statement-acme-2024-05.csv');
      const own = await t.call('GET', '/v1/accounts/acme/statements/2024-05?format=csv');
      expect(csv).toBe(own.text);
      expect(csv).toContain('7.32');
      const json = attachment(m.raw, 'statement-acme-2024-05.json');
      expect(JSON.parse(json!)).toMatchObject({ accountId: 'acme', status: 'closed', totals: { total: '7.32' } });
      // The invoice as PDF, numbered: the very document a download gives, number and all.
      const invoice = await t.http('GET', '/v1/accounts/acme/statements/2024-05?format=pdf');
      const number = String(invoice.headers['x-document-number']);
      expect(Number(number)).toBeGreaterThan(0);
      const pdf = attachmentBytes(m.raw, `invoice-${number}-acme-2024-05.pdf`);
      expect(pdf, 'invoice PDF attached').not.toBeNull();
      expect(m.raw).toMatch(/Content-Type: application\/pdf/);
      const text = squash(pdfPages(pdf!).join('\n'));
      expect(text).toContain(`Счёт на оплату № ${number} от 3 июня 2024 г.`);
      expect(text).toContain(TEST_PROVIDER.settlementAccount);
      expect(text).toContain('Всего к оплате: 7,32 EUR');
      expect(text).toContain('Семь евро 32 евроцента');
      // Later passes, and a second instance, send nothing more.
      clock += 3_600_000;
      await ops.scheduler.trigger('mail-dispatch');
      const b = other();
      await expect(b.scheduler.trigger('mail-dispatch')).rejects.toThrow(/running on inst-a/);
      clock += 31_000; // a's lease expired
      await b.scheduler.trigger('mail-dispatch');
      await b.stop();
      expect(mails).toHaveLength(1);
    });

    it('a suspension warning is mailed; an account without a billing e-mail is skipped, recorded', async () => {
      const events = await t.api.services.events.publish([
        { type: 'account.suspension_warning', key: 'acme:w1', accountId: 'acme', subject: 'acme', data: { reason: 'statement 2024-05, 7.32 EUR, 5 days past due: suspension on 2024-06-20', suspendOn: '2024-06-20' } },
        { type: 'account.suspension_warning', key: 'newco:w1', accountId: 'newco', subject: 'newco', data: { reason: 'x' } },
      ]);
      clock += 2000;
      expect((await ops.scheduler.trigger('mail-dispatch')).result).toMatchObject({ attempted: 2, delivered: 2 });
      expect(mails).toHaveLength(2);
      expect(mails[1].to).toEqual(['billing@acme.example']);
      expect(mails[1].raw).toContain('suspension on 2024-06-20');
      const skipped = await ops.deliveries.get(MAIL_CONSUMER, [events[1].id]);
      expect(skipped[0]).toMatchObject({ status: 'skipped', lastError: 'account newco has no billing e-mail' });
    });

    it('an assignment backdated to before the account was created: every ended open month closes, oldest first', async () => {
      // Created on June 3, assigned from March 1: March (2 days), April (none) and May (1 day) all ended before.
      await t.post('/v1/accounts', { id: 'backco', name: 'BackCo', timeZone: 'UTC', currency: 'EUR' });
      await t.post('/v1/accounts/backco/tariff-assignments', { tariffId: 'daily', effectiveFrom: '2024-03-01' });
      await t.post('/v1/devices', { id: 'b1', protocol: 'teltonika', account: { accountId: 'backco', effectiveFrom: '2024-03-01' } });
      await t.live.ingest([rec('b1', Date.UTC(2024, 2, 10, 10)), rec('b1', Date.UTC(2024, 2, 11, 10)), rec('b1', Date.UTC(2024, 4, 20, 10))]);
      clock += 3_600_000;
      expect((await ops.scheduler.trigger('period-close')).result).toMatchObject({ closed: ['backco 2024-03-01..2024-04-01', 'backco 2024-04-01..2024-05-01', 'backco 2024-05-01..2024-06-01'], failed: [] });
      const closed = (await t.api.services.rating.statements.listClosed(['backco'])).get('backco') ?? [];
      expect(closed.map((c) => [c.period.from, c.doc.totals.total])).toEqual([['2024-03-01', '4.88'], ['2024-04-01', '0.00'], ['2024-05-01', '2.44']]);
      clock += 3_600_000;
      expect((await ops.scheduler.trigger('period-close')).result).toMatchObject({ closed: [], failed: [] });
    });
  });
}
