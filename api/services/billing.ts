/**
 * Payments, balances and suspension for the API: billing's domain services (billing/) wired to the
 * API's configuration snapshot, the audit log and billing events, with views shaped for the
 * response schemas. Every payment and reversal is followed by an evaluation of the account's
 * suspension policy, so a payment that clears the overdue amount reactivates at once.
 */
import type { BillingAccount, BillingAccounts } from '../../billing/accounts.ts';
import type { Balance, StatementPaymentState } from '../../billing/allocation.ts';
import { BillingError, type BillingErrorCode } from '../../billing/errors.ts';
import type { BillingEvents } from '../../billing/events.ts';
import { type Payment, PaymentLedger, type PaymentInput } from '../../billing/payments.ts';
import { type DecisionRecord, type EvaluateAllResult, type Override, SuspensionService } from '../../billing/suspension.ts';
import { type Period, periodDates } from '../../rating/calendar.ts';
import { RatingConfigStore } from '../../rating/config-store.ts';
import { addDays } from '../../rating/time.ts';
import type { StatementStore } from '../../rating/statement-store.ts';
import type { Claims } from '../../store/claims.ts';
import type { Store } from '../../store/types.ts';
import { ApiError, type ApiErrorCode } from '../errors.ts';
import type { Actor, AuditLog } from './audit.ts';
import { type ListParams, type Page, paginate } from './list.ts';
import type { SnapshotSource } from './snapshot.ts';

const STATUS_OF: { readonly [K in BillingErrorCode]: ApiErrorCode } = {
  FM_BILLING_UNKNOWN_ACCOUNT: 'FM_ERR_NOT_FOUND',
  FM_BILLING_UNKNOWN_PAYMENT: 'FM_ERR_NOT_FOUND',
  FM_BILLING_NO_OVERRIDE: 'FM_ERR_NOT_FOUND',
  FM_BILLING_BAD_AMOUNT: 'FM_ERR_VALIDATION',
  FM_BILLING_BAD_DATE: 'FM_ERR_VALIDATION',
  FM_BILLING_CURRENCY_MISMATCH: 'FM_ERR_CONFLICT',
  FM_BILLING_EXTERNAL_ID_REUSED: 'FM_ERR_CONFLICT',
  FM_BILLING_ALREADY_REVERSED: 'FM_ERR_CONFLICT',
};

/** Runs `fn`, turning billing errors into API errors (the billing code kept in `details.reason`). */
export async function billed<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof BillingError) throw new ApiError(STATUS_OF[err.code], err.message, { reason: err.code, ...err.details });
    throw err;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export function paymentView(p: Payment) {
  return {
    id: p.id,
    accountId: p.accountId,
    externalId: p.externalId,
    amount: p.amount,
    currency: p.currency,
    date: p.date,
    postedAt: iso(p.postedAt),
    status: p.reversal === null ? ('received' as const) : ('reversed' as const),
    reversal: p.reversal === null ? null : { at: iso(p.reversal.at), reason: p.reversal.reason },
  };
}
export type PaymentView = ReturnType<typeof paymentView>;

export function decisionView(d: DecisionRecord) {
  return { id: d.id, accountId: d.accountId, seq: d.seq, kind: d.kind, source: d.source, at: iso(d.at), on: d.on, reason: d.reason, facts: d.facts };
}
export type DecisionView = ReturnType<typeof decisionView>;

const overrideView = (o: Override) => ({ state: o.state, reason: o.reason, expiresAt: iso(o.expiresAt), setAt: iso(o.setAt), keyId: o.keyId });

/** Billing's view of accounts, from the API's snapshot (profiles carry the billing settings). */
export class SnapshotBillingAccounts implements BillingAccounts {
  constructor(
    private readonly snapshots: SnapshotSource,
    private readonly statements: StatementStore,
  ) {}

  async account(id: string): Promise<BillingAccount | undefined> {
    const snap = await this.snapshots.get();
    const p = snap.profile(id);
    if (p === undefined) return undefined;
    const b = p.billing;
    return { id, timeZone: p.timeZone, currency: p.currency, terms: { paymentTermDays: b.paymentTermDays, graceDays: b.graceDays, warningDays: b.warningDays, creditLimit: b.creditLimit, suspensionMode: b.suspensionMode } };
  }

  async accountIds(): Promise<string[]> {
    return (await this.snapshots.get()).accountIds();
  }

  closedStatements(accountIds: readonly string[]) {
    return this.statements.listClosed(accountIds);
  }
}

export class BillingService {
  readonly accounts: SnapshotBillingAccounts;
  readonly ledger: PaymentLedger;
  readonly suspension: SuspensionService;

  constructor(
    store: Store,
    private readonly snapshots: SnapshotSource,
    statements: StatementStore,
    private readonly events: BillingEvents,
    private readonly audit: AuditLog,
    claims: Claims,
    private readonly now: () => number,
  ) {
    this.accounts = new SnapshotBillingAccounts(snapshots, statements);
    this.ledger = new PaymentLedger(store, this.accounts, claims);
    this.suspension = new SuspensionService({ store, accounts: this.accounts, ledger: this.ledger, events, ratingConfig: new RatingConfigStore(store), onRatingChange: () => snapshots.invalidate() });
  }

  async postPayment(accountId: string, input: PaymentInput, actor: Actor): Promise<{ payment: PaymentView; created: boolean }> {
    const now = this.now();
    const r = await billed(() => this.ledger.post(accountId, input, actor.keyId, now));
    const view = paymentView(r.payment);
    if (r.created) await this.audit.record(actor, 'payment.create', 'account', accountId, null, view);
    // Published and evaluated on replays too: a crash after the insert is repaired by the retry.
    await this.events.publish([{ type: 'payment.received', key: r.payment.id, accountId, subject: r.payment.id, data: { payment: view } }]);
    await billed(() => this.suspension.evaluate(accountId, now));
    return { payment: view, created: r.created };
  }

  async reversePayment(accountId: string, paymentId: string, reason: string, actor: Actor): Promise<{ payment: PaymentView; created: boolean }> {
    const now = this.now();
    const r = await billed(() => this.ledger.reverse(accountId, paymentId, reason, actor.keyId, now));
    const view = paymentView(r.payment);
    if (r.created) await this.audit.record(actor, 'payment.reverse', 'account', accountId, null, view);
    await this.events.publish([{ type: 'payment.reversed', key: r.payment.id, accountId, subject: r.payment.id, data: { payment: view } }]);
    await billed(() => this.suspension.evaluate(accountId, now));
    return { payment: view, created: r.created };
  }

  async payment(accountId: string, paymentId: string): Promise<PaymentView> {
    return paymentView(await billed(() => this.ledger.get(accountId, paymentId)));
  }

  async listPayments(accountId: string, filter: { status?: string }, params: ListParams): Promise<Page<PaymentView>> {
    const all = (await billed(() => this.ledger.list(accountId))).map(paymentView).filter((p) => filter.status === undefined || p.status === filter.status);
    return paginate(all, params, { date: (p) => p.date, postedAt: (p) => p.postedAt }, (p) => p.id, '-date');
  }

  async balance(accountId: string) {
    const now = this.now();
    const b: Balance = await billed(() => this.ledger.balance(accountId, now));
    const status = await billed(() => this.suspension.status(accountId, now));
    return {
      accountId,
      currency: b.currency,
      asOf: b.asOf,
      billed: b.billed,
      paid: b.paid,
      balance: b.balance,
      overdue: b.overdue,
      credit: b.credit,
      statements: b.statements.map((s) => ({ period: s.id, range: s.period, closedOn: s.closedOn, dueDate: s.dueDate, total: s.total, paid: s.paid, remaining: s.remaining, state: s.state, daysPastDue: s.daysPastDue, allocations: s.allocations })),
      suspension: { state: status.state, mode: status.mode },
    };
  }

  /**
   * Statement list items with their payment state (closed ones) and the local dates in which the
   * account was suspended (any period): what a statement list shows next to the totals.
   */
  async annotateStatements<T extends { period: Period; status: string }>(accountId: string, items: readonly T[]): Promise<(T & { payment?: { state: StatementPaymentState; dueDate: string; paid: string; remaining: string }; suspensions?: Period[] })[]> {
    if (items.length === 0) return [];
    const balance = await billed(() => this.ledger.balance(accountId, this.now()));
    const states = new Map(balance.statements.map((s) => [`${s.period.from}..${s.period.to}`, { state: s.state, dueDate: s.dueDate, paid: s.paid, remaining: s.remaining }]));
    const index = (await this.snapshots.get()).index;
    return items.map((it) => {
      const payment = it.status === 'closed' ? states.get(`${it.period.from}..${it.period.to}`) : undefined;
      const suspensions: { from: string; to: string }[] = [];
      for (const d of periodDates(it.period)) {
        if (!index.suspended(accountId, null, d)) continue;
        const last = suspensions[suspensions.length - 1];
        const next = addDays(d, 1);
        if (last !== undefined && last.to === d) last.to = next;
        else suspensions.push({ from: d, to: next });
      }
      return { ...it, ...(payment === undefined ? {} : { payment }), ...(suspensions.length === 0 ? {} : { suspensions }) };
    });
  }

  async status(accountId: string) {
    const s = await billed(() => this.suspension.status(accountId, this.now()));
    return {
      accountId,
      state: s.state,
      mode: s.mode,
      since: s.since === null ? null : decisionView(s.since),
      override: s.override === null ? null : overrideView(s.override),
      suspendedAt: s.state === 'suspended' && s.since !== null ? iso(s.since.at) : null,
    };
  }

  async decisions(accountId: string, params: ListParams): Promise<Page<DecisionView>> {
    const all = (await billed(() => this.suspension.listDecisions(accountId))).map(decisionView);
    return paginate(all, params, { seq: (d) => d.seq }, (d) => d.id, '-seq');
  }

  async setOverride(accountId: string, body: { state: 'active' | 'suspended'; reason: string; expiresAt: string }, actor: Actor) {
    const r = await billed(() => this.suspension.setOverride(accountId, { state: body.state, reason: body.reason, expiresAt: Date.parse(body.expiresAt) }, actor.keyId, this.now()));
    const view = { override: overrideView(r.override), decisions: r.decisions.map(decisionView) };
    await this.audit.record(actor, 'suspension.override', 'account', accountId, null, view.override);
    return view;
  }

  async clearOverride(accountId: string, actor: Actor) {
    const r = await billed(() => this.suspension.clearOverride(accountId, actor.keyId, this.now()));
    const view = { cleared: overrideView(r.cleared), decisions: r.decisions.map(decisionView) };
    await this.audit.record(actor, 'suspension.override.clear', 'account', accountId, view.cleared, null);
    return view;
  }

  /** Runs the policy now for one account or all (what a schedule calls). */
  async evaluate(accountId?: string): Promise<{ accounts: number; decisions: DecisionView[]; failed: { accountId: string; error: string }[] }> {
    const now = this.now();
    if (accountId !== undefined) return { accounts: 1, decisions: (await billed(() => this.suspension.evaluate(accountId, now))).map(decisionView), failed: [] };
    const r: EvaluateAllResult = await this.suspension.evaluateAll(now);
    return { accounts: r.accounts, decisions: r.decisions.map(decisionView), failed: r.failed };
  }
}
