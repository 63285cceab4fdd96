/**
 * E-mail over SMTP (nodemailer): each closed statement to the account's billing e-mail with the
 * statement attached as CSV and JSON (and the invoice as PDF when the provider is configured), and each suspension warning. Mail is one more delivery
 * consumer (`mail`, see deliveries.ts) of the billing events, so it is sent at least once and
 * recorded once delivered: a statement is mailed once, a failure (server down, 4xx/5xx reply) is
 * retried with backoff by the `mail-dispatch` job, and nothing is lost across restarts. The
 * Message-ID derives from the event id, so a resend after a crash is recognisable downstream.
 *
 * Off unless an SMTP server is configured. The consumer starts at the first run with mail on:
 * statements closed while mail was off are not mailed afterwards.
 */
import nodemailer from 'nodemailer';
import type { AttemptOutcome, Consumer } from './deliveries.ts';
import type { BillingEvent } from './events.ts';

export interface SmtpSettings {
  /** smtp(s)://user:pass@host:port — wins over host/port/secure/user/pass when set. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
  readonly secure: boolean;
  readonly user: string;
  readonly pass: string;
  readonly from: string;
  /** Connection, greeting and socket timeouts (ms). */
  readonly timeoutMs: number;
}

export const smtpEnabled = (s: Pick<SmtpSettings, 'url' | 'host'>) => s.url !== '' || s.host !== '';

export interface MailAttachment {
  readonly filename: string;
  readonly content: string | Buffer;
  readonly contentType: string;
}

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly messageId: string;
  readonly attachments: readonly MailAttachment[];
}

export interface Mailer {
  /** Resolves once the server accepted the message; rejects with the server's error. */
  send(m: MailMessage): Promise<void>;
  close(): void;
}

export function smtpMailer(s: SmtpSettings): Mailer {
  const common = { connectionTimeout: s.timeoutMs, greetingTimeout: s.timeoutMs, socketTimeout: s.timeoutMs };
  const transport =
    s.url !== ''
      ? nodemailer.createTransport({ url: s.url, ...common })
      : nodemailer.createTransport({ host: s.host, port: s.port, secure: s.secure, auth: s.user === '' ? undefined : { user: s.user, pass: s.pass }, ...common });
  return {
    async send(m) {
      await transport.sendMail({
        from: s.from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        messageId: m.messageId,
        attachments: m.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
      });
    },
    close() {
      transport.close();
    },
  };
}

/** What the mail consumer needs to know about accounts and statements (wired from the API services). */
export interface MailSources {
  /** The account's display name and billing e-mail (null: none set). */
  account(accountId: string): Promise<{ name: string; email: string | null } | null>;
  /** A closed statement as its canonical JSON, as CSV and its invoice PDF (null: no provider configured); null if not closed. */
  closedStatement(
    accountId: string,
    period: { from: string; to: string },
  ): Promise<{ json: string; csv: string; currency: string; total: string; invoice?: { filename: string; content: Buffer } | null } | null>;
}

export const MAIL_EVENT_TYPES = ['statement.closed', 'account.suspension_warning'] as const;
export const MAIL_CONSUMER = 'mail';

const periodLabel = (p: { from: string; to: string }) => {
  const [y, m, d] = p.from.split('-');
  const next = new Date(Date.UTC(Number(y), Number(m), 1)).toISOString().slice(0, 10);
  return d === '01' && p.to === next ? `${y}-${m}` : `${p.from}..${p.to}`;
};

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/** The message for an event; null when there is nobody to send it to (recorded as skipped). */
export async function composeMail(e: BillingEvent, src: MailSources): Promise<MailMessage | { skip: string }> {
  const account = await src.account(e.accountId);
  if (account === null) return { skip: `account ${e.accountId} not found` };
  if (account.email === null) return { skip: `account ${e.accountId} has no billing e-mail` };
  const messageId = `<${e.id}@fleetmeter>`;
  if (e.type === 'statement.closed') {
    const period = e.data.period as { from: string; to: string };
    const st = await src.closedStatement(e.accountId, period);
    if (st === null) throw new Error(`statement ${e.accountId} ${period.from}..${period.to} is not closed`);
    const label = periodLabel(period);
    const base = safeName(`statement-${e.accountId}-${label}`);
    return {
      to: account.email,
      subject: `Statement ${label} - ${account.name}: ${st.total} ${st.currency}`,
      text: `Dear customer,\n\nyour statement for ${label} (${period.from} to ${period.to}, end exclusive) is closed: ${st.total} ${st.currency} including VAT.\n${st.invoice ? 'The invoice is attached as PDF, the statement as CSV and as JSON.' : 'The statement is attached as CSV and as JSON.'}\n\nAccount: ${account.name} (${e.accountId})\n`,
      messageId,
      attachments: [
        { filename: `${base}.csv`, content: st.csv, contentType: 'text/csv; charset=utf-8' },
        { filename: `${base}.json`, content: st.json, contentType: 'application/json' },
        ...(st.invoice ? [{ filename: st.invoice.filename, content: st.invoice.content, contentType: 'application/pdf' }] : []),
      ],
    };
  }
  if (e.type === 'account.suspension_warning') {
    const d = e.data as { reason?: unknown; suspendOn?: unknown; effectiveAt?: unknown; at?: unknown };
    const when = [d.suspendOn, d.effectiveAt, d.at].find((v) => typeof v === 'string');
    const reason = typeof d.reason === 'string' ? d.reason : JSON.stringify(e.data);
    return {
      to: account.email,
      subject: `Payment overdue - ${account.name}: service will be suspended${when ? ` on ${String(when)}` : ''}`,
      text: `Dear customer,\n\n${reason}\n\nPlease pay the overdue amount to keep the service running.\n\nAccount: ${account.name} (${e.accountId})\n`,
      messageId,
      attachments: [],
    };
  }
  return { skip: `no mail for ${e.type}` };
}

/** SMTP reply code of a nodemailer error (0 when the server never answered). */
const smtpCode = (err: unknown) => {
  const c = (err as { responseCode?: unknown }).responseCode;
  return typeof c === 'number' ? c : 0;
};

export function mailConsumer(mailer: Mailer, src: MailSources, startAt: number): Consumer {
  return {
    id: MAIL_CONSUMER,
    types: MAIL_EVENT_TYPES,
    startAt,
    async deliver(e): Promise<AttemptOutcome> {
      const m = await composeMail(e, src);
      if ('skip' in m) return { ok: true, skipped: true, status: 0, error: m.skip };
      try {
        await mailer.send(m);
        return { ok: true, status: 250, error: '' };
      } catch (err) {
        return { ok: false, status: smtpCode(err), error: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}
