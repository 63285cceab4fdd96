/**
 * Payments posted by the billing system, their reversals, and the account balance.
 *
 * Idempotent on the external id (bank statement line, 1C document): a payment's id derives from
 * (account, external id); posting the same body again answers with the payment already recorded
 * (`created: false`), a different body under the same external id is refused
 * (FM_BILLING_EXTERNAL_ID_REUSED). Safe without transactions: the (account, external id) is
 * claimed for the body (store/claims.ts) before the payment row is written, and only the claim's
 * winner writes it; postings racing with the same body get the winner's payment, with another body
 * 409 (see post()).
 * A reversal is a separate append, claimed and idempotent the same way (same reason → replay).
 */
import { createHash } from 'node:crypto';
import { Dec, currency as currencyOf, formatMoney } from '../rating/pricing/money.ts';
import { localDateOf } from '../rating/calendar.ts';
import { isIsoDate, type IsoDate } from '../rating/time.ts';
import type { Claims } from '../store/claims.ts';
import { sqlString } from '../store/sql.ts';
import type { Store } from '../store/types.ts';
import { allocate, type Balance, type PostedPayment } from './allocation.ts';
import { type BillingAccount, type BillingAccounts, billedStatement } from './accounts.ts';
import { billingError } from './errors.ts';
import { PAYMENTS_TABLE, REVERSALS_TABLE } from './schema.ts';

export interface PaymentInput {
  /** Decimal text > 0, at most the currency's minor digits. */
  readonly amount: string;
  readonly currency: string;
  /** Value date YYYY-MM-DD. */
  readonly date: IsoDate;
  readonly externalId: string;
}

export interface Payment {
  readonly id: string;
  readonly accountId: string;
  readonly externalId: string;
  readonly amount: string;
  readonly currency: string;
  readonly date: IsoDate;
  /** Epoch ms it was first posted. */
  readonly postedAt: number;
  readonly reversal: { readonly at: number; readonly reason: string } | null;
}

/** A payment's id: the same (account, external id) always gets the same id. */
export function paymentId(accountId: string, externalId: string): string {
  return 'pay_' + createHash('sha256').update(accountId).update('\0').update(externalId).digest('hex').slice(0, 24);
}

const hashOf = (parts: readonly string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');

/** What a posting's claim is for (store/claims.ts): its normalized amount, currency and value date. */
export const postingIntent = (amount: string, currency: string, date: string) => hashOf([amount, currency, date]);

interface PaymentRow {
  external_id: string;
  payment_id: string;
  amount: string;
  currency: string;
  value_day: string;
  request_hash: string;
  posted: string;
  confirmed: number;
}
interface ReversalRow {
  payment_id: string;
  reason: string;
  request_hash: string;
  reversed: string;
}

/** First row wins: earliest time, then smaller hash (what every reader picks). */
function firstBy<R>(rows: readonly R[], key: (r: R) => string, ts: (r: R) => number, hash: (r: R) => string): Map<string, R> {
  const out = new Map<string, R>();
  for (const r of rows) {
    const k = key(r);
    const cur = out.get(k);
    if (cur === undefined || ts(r) < ts(cur) || (ts(r) === ts(cur) && hash(r) < hash(cur))) out.set(k, r);
  }
  return out;
}

export class PaymentLedger {
  constructor(
    private readonly store: Store,
    private readonly accounts: BillingAccounts,
    private readonly claims: Claims,
  ) {}

  private async requireAccount(accountId: string): Promise<BillingAccount> {
    const a = await this.accounts.account(accountId);
    if (a === undefined) throw billingError('FM_BILLING_UNKNOWN_ACCOUNT', `account ${JSON.stringify(accountId)} not found`, { accountId });
    return a;
  }

  /** Every payment of the account (reversed ones included), by value date, then posting time. */
  async list(accountId: string): Promise<Payment[]> {
    await this.requireAccount(accountId);
    return this.read(accountId);
  }

  private async read(accountId: string): Promise<Payment[]> {
    const [prows, rrows] = await Promise.all([
      this.store.query<PaymentRow>(`SELECT external_id, payment_id, amount, currency, toString(value_date) AS value_day, request_hash, toString(posted_ts) AS posted, confirmed FROM ${PAYMENTS_TABLE} WHERE account_id = ${sqlString(accountId)}`),
      this.store.query<ReversalRow>(`SELECT payment_id, reason, request_hash, toString(reversed_ts) AS reversed FROM ${REVERSALS_TABLE} WHERE account_id = ${sqlString(accountId)}`),
    ]);
    // Rows with confirmed = 0 are abandoned attempts of the scheme before claims: never payments.
    const payments = firstBy(prows.filter((r) => Number(r.confirmed) === 1), (r) => r.external_id, (r) => Number(r.posted), (r) => r.request_hash);
    const reversals = firstBy(rrows, (r) => r.payment_id, (r) => Number(r.reversed), (r) => r.request_hash);
    const out: Payment[] = [];
    for (const r of payments.values()) {
      const rev = reversals.get(r.payment_id);
      out.push({
        id: r.payment_id,
        accountId,
        externalId: r.external_id,
        amount: r.amount,
        currency: r.currency,
        date: r.value_day,
        postedAt: Number(r.posted),
        reversal: rev === undefined ? null : { at: Number(rev.reversed), reason: rev.reason },
      });
    }
    return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.postedAt - b.postedAt || (a.id < b.id ? -1 : 1)));
  }

  async get(accountId: string, id: string): Promise<Payment> {
    const p = (await this.list(accountId)).find((x) => x.id === id);
    if (p === undefined) throw billingError('FM_BILLING_UNKNOWN_PAYMENT', `payment ${JSON.stringify(id)} not found on account ${accountId}`, { accountId, paymentId: id });
    return p;
  }

  /** Posts a payment; `created` false when this external id was already posted with the same body. */
  async post(accountId: string, input: PaymentInput, keyId: string, now: number): Promise<{ payment: Payment; created: boolean }> {
    const account = await this.requireAccount(accountId);
    if (input.currency !== account.currency) {
      throw billingError('FM_BILLING_CURRENCY_MISMATCH', `currency: account ${accountId} is billed in ${account.currency}, the payment is in ${input.currency}`, { field: 'currency', expected: account.currency });
    }
    if (!isIsoDate(input.date) || input.date < '2000-01-01' || input.date > '2099-12-31') {
      throw billingError('FM_BILLING_BAD_DATE', `date: expected a calendar date YYYY-MM-DD in 2000…2099, got ${JSON.stringify(input.date)}`, { field: 'date' });
    }
    const cur = currencyOf(account.currency);
    const text = /^(0|[1-9]\d*)(\.\d+)?$/.test(input.amount) ? input.amount : null;
    const amount = text === null ? null : new Dec(text);
    if (amount === null || !amount.greaterThan(0) || amount.decimalPlaces() > cur.minorUnit) {
      throw billingError('FM_BILLING_BAD_AMOUNT', `amount: expected a decimal > 0 with at most ${cur.minorUnit} decimals in ${cur.code}, got ${JSON.stringify(input.amount)}`, { field: 'amount' });
    }
    const normalized = formatMoney(amount, cur);
    const id = paymentId(accountId, input.externalId);
    const requestHash = postingIntent(normalized, input.currency, input.date);
    const match = (p: Payment) => p.amount === normalized && p.currency === input.currency && p.date === input.date;
    const existing = (await this.read(accountId)).find((p) => p.externalId === input.externalId);
    if (existing !== undefined) return { payment: this.sameOrConflict(existing, match), created: false };
    // The claim decides a race (store/claims.ts); only its winner writes the payment's row.
    const claimed = await this.claims.decide(`payment:${accountId}:${input.externalId}`, requestHash, async () => {
      const rows = await this.store.query(`SELECT payment_id FROM ${PAYMENTS_TABLE} WHERE account_id = ${sqlString(accountId)} AND external_id = ${sqlString(input.externalId)} AND confirmed = 1 LIMIT 1`);
      return rows.length > 0;
    });
    if (claimed.kind === 'write') {
      const row = { account_id: accountId, external_id: input.externalId, payment_id: id, amount: normalized, currency: input.currency, value_date: input.date, request_hash: requestHash, posted_ts: now, key_id: keyId, confirmed: 1 };
      await this.store.insert(PAYMENTS_TABLE, [row]);
    }
    const payment = (await this.read(accountId)).find((p) => p.externalId === input.externalId);
    if (payment === undefined) {
      // Lost to another body not stored yet, or the same body still being written elsewhere.
      throw billingError('FM_BILLING_EXTERNAL_ID_REUSED', `externalId ${JSON.stringify(input.externalId)} is being posted at the same time${claimed.kind === 'other' ? ' with another body' : ''}; retry to learn which one stands`, {
        field: 'externalId',
        paymentId: id,
        inProgress: true,
      });
    }
    if (claimed.kind === 'write' && match(payment)) return { payment, created: true };
    return { payment: this.sameOrConflict(payment, match), created: false };
  }

  private sameOrConflict(p: Payment, match: (p: Payment) => boolean): Payment {
    if (match(p)) return p;
    throw billingError('FM_BILLING_EXTERNAL_ID_REUSED', `externalId ${JSON.stringify(p.externalId)} was already posted as payment ${p.id} with another body (amount ${p.amount} ${p.currency}, date ${p.date})`, {
      field: 'externalId',
      paymentId: p.id,
    });
  }

  /** Reverses a payment; `created` false when it was already reversed with the same reason. */
  async reverse(accountId: string, id: string, reason: string, keyId: string, now: number): Promise<{ payment: Payment; created: boolean }> {
    const p = await this.get(accountId, id);
    const sameOrConflict = (q: Payment) => {
      if (q.reversal !== null && q.reversal.reason === reason) return q;
      throw billingError('FM_BILLING_ALREADY_REVERSED', `payment ${id} was already reversed at ${new Date(q.reversal!.at).toISOString()} (reason ${JSON.stringify(q.reversal!.reason)})`, { paymentId: id });
    };
    if (p.reversal !== null) return { payment: sameOrConflict(p), created: false };
    // The claim decides a race (store/claims.ts); only its winner writes the reversal.
    const claimed = await this.claims.decide(`payment-reversal:${accountId}:${id}`, hashOf([reason]), async () => {
      const rows = await this.store.query(`SELECT payment_id FROM ${REVERSALS_TABLE} WHERE account_id = ${sqlString(accountId)} AND payment_id = ${sqlString(id)} LIMIT 1`);
      return rows.length > 0;
    });
    if (claimed.kind === 'write') {
      await this.store.insert(REVERSALS_TABLE, [{ account_id: accountId, payment_id: id, reason, request_hash: hashOf([reason]), reversed_ts: now, key_id: keyId }]);
    }
    const after = await this.get(accountId, id);
    if (after.reversal === null) {
      throw billingError('FM_BILLING_ALREADY_REVERSED', `payment ${id} is being reversed at the same time${claimed.kind === 'other' ? ' with another reason' : ''}; retry to learn which reversal stands`, { paymentId: id, inProgress: true });
    }
    if (claimed.kind === 'write' && after.reversal.reason === reason) return { payment: after, created: true };
    return { payment: sameOrConflict(after), created: false };
  }

  /** The account's balance and every closed statement's state on the local date of `now`. */
  async balance(accountId: string, now: number): Promise<Balance> {
    const account = await this.requireAccount(accountId);
    return (await this.balances([account], now)).get(accountId)!;
  }

  /** Balances of several accounts (closed statements read in one query). */
  async balances(accounts: readonly BillingAccount[], now: number): Promise<Map<string, Balance>> {
    const closed = await this.accounts.closedStatements(accounts.map((a) => a.id));
    const out = new Map<string, Balance>();
    for (const a of accounts) {
      const payments: PostedPayment[] = (await this.read(a.id)).map((p) => ({ id: p.id, amount: p.amount, date: p.date, postedAt: p.postedAt, reversed: p.reversal !== null && p.reversal.at <= now }));
      // Only what was posted by `now` counts (an evaluation "as of" a time sees that time's ledger).
      const live = payments.filter((p) => p.postedAt <= now);
      const statements = (closed.get(a.id) ?? []).filter((c) => c.closedAt <= now).map((c) => billedStatement(c, a.timeZone));
      out.set(a.id, allocate({ currency: a.currency, today: localDateOf(now, a.timeZone), dueDays: a.terms.paymentTermDays, statements, payments: live }));
    }
    return out;
  }
}
