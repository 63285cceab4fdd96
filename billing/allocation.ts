/**
 * Allocation of payments to closed statements, and each statement's state. Pure: statements and
 * payments in, balances out; recomputed from the whole payment list on every read, so it is always
 * exact and never drifts (there is no stored "paid so far" to get out of step).
 *
 * Rules (docs/billing.md §Payments and balances):
 * - Money is decimal.js (rating's `Dec`), rounded to the currency's minor unit.
 * - Payments are applied in order of value date, then the time they were posted, then id; each
 *   fills the oldest closed statement that still has something to pay, then the next (FIFO).
 *   A reversed payment is left out entirely (as if it had never been posted).
 * - A statement with a negative total (a credit from adjustments) is paid by definition and its
 *   amount joins the money to allocate, on its closing date.
 * - Due date = the local date the statement was closed + the account's payment terms (days).
 *   State on a local date `today`: `paid` (nothing left), `overdue` (something left and
 *   today > due date), `partially_paid` (something paid, something left, not yet due),
 *   `unpaid` (nothing paid, not yet due).
 * - Money paid beyond every statement is `credit`; it is allocated to the next statement closed.
 */
import { Dec, currency as currencyOf, formatMoney, roundMoney } from '../rating/pricing/money.ts';
import type { Period } from '../rating/calendar.ts';
import { addDays, daysBetween, type IsoDate } from '../rating/time.ts';

export const STATEMENT_PAYMENT_STATES = ['unpaid', 'partially_paid', 'paid', 'overdue'] as const;
export type StatementPaymentState = (typeof STATEMENT_PAYMENT_STATES)[number];

export interface BilledStatement {
  /** The period as text ('2026-10'): the statement's id within its account. */
  readonly id: string;
  readonly period: Period;
  /** Local date (account zone) the statement was closed. */
  readonly closedOn: IsoDate;
  /** Total with VAT, decimal text. */
  readonly total: string;
}

export interface PostedPayment {
  readonly id: string;
  readonly amount: string;
  /** Value date (from the bank statement / 1C document). */
  readonly date: IsoDate;
  /** When it was posted (epoch ms): orders payments of one date. */
  readonly postedAt: number;
  readonly reversed: boolean;
}

export interface Allocation {
  /** A payment id, or `statement:<id>` for a credit from a negative statement. */
  readonly source: string;
  readonly amount: string;
}

export interface StatementBalance {
  readonly id: string;
  readonly period: Period;
  readonly closedOn: IsoDate;
  readonly dueDate: IsoDate;
  readonly total: string;
  readonly paid: string;
  readonly remaining: string;
  readonly state: StatementPaymentState;
  /** Days since the due date (0 unless overdue). */
  readonly daysPastDue: number;
  /** Which payments paid it, and how much of each. */
  readonly allocations: readonly Allocation[];
}

export interface Balance {
  readonly currency: string;
  /** The local date the states are computed for. */
  readonly asOf: IsoDate;
  /** Sum of closed statements' totals. */
  readonly billed: string;
  /** Sum of payments not reversed. */
  readonly paid: string;
  /** billed − paid: positive = owed, negative = paid in advance. */
  readonly balance: string;
  /** Sum of what remains on overdue statements. */
  readonly overdue: string;
  /** Money not allocated to any statement (paid in advance). */
  readonly credit: string;
  readonly statements: readonly StatementBalance[];
}

export interface AllocationInput {
  readonly currency: string;
  readonly today: IsoDate;
  /** Payment terms: due this many days after the closing date. */
  readonly dueDays: number;
  readonly statements: readonly BilledStatement[];
  readonly payments: readonly PostedPayment[];
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function allocate(input: AllocationInput): Balance {
  const cur = currencyOf(input.currency);
  const money = (x: Dec) => formatMoney(x, cur);
  const statements = [...input.statements].sort((a, b) => byText(a.period.from, b.period.from));

  // The money to allocate: live payments, and credits from negative statements.
  interface Source {
    readonly id: string;
    readonly date: IsoDate;
    readonly postedAt: number;
    left: Dec;
  }
  const sources: Source[] = [];
  let paid = new Dec(0);
  for (const p of input.payments) {
    if (p.reversed) continue;
    const amount = roundMoney(new Dec(p.amount), cur);
    paid = paid.plus(amount);
    sources.push({ id: p.id, date: p.date, postedAt: p.postedAt, left: amount });
  }
  let billed = new Dec(0);
  for (const s of statements) {
    const total = roundMoney(new Dec(s.total), cur);
    billed = billed.plus(total);
    if (total.isNegative()) sources.push({ id: `statement:${s.id}`, date: s.closedOn, postedAt: 0, left: total.negated() });
  }
  sources.sort((a, b) => byText(a.date, b.date) || a.postedAt - b.postedAt || byText(a.id, b.id));

  let k = 0;
  let overdue = new Dec(0);
  const out: StatementBalance[] = [];
  for (const s of statements) {
    const total = roundMoney(new Dec(s.total), cur);
    const dueDate = addDays(s.closedOn, input.dueDays);
    let need = total.isNegative() ? new Dec(0) : total;
    const allocations: Allocation[] = [];
    while (need.greaterThan(0) && k < sources.length) {
      const src = sources[k];
      const take = Dec.min(need, src.left);
      if (take.greaterThan(0)) allocations.push({ source: src.id, amount: money(take) });
      need = need.minus(take);
      src.left = src.left.minus(take);
      if (src.left.lessThanOrEqualTo(0)) k++;
    }
    const positive = total.isNegative() ? new Dec(0) : total;
    const paidHere = positive.minus(need);
    const late = daysBetween(dueDate, input.today);
    const state: StatementPaymentState = need.isZero() ? 'paid' : late > 0 ? 'overdue' : paidHere.greaterThan(0) ? 'partially_paid' : 'unpaid';
    if (state === 'overdue') overdue = overdue.plus(need);
    out.push({
      id: s.id,
      period: s.period,
      closedOn: s.closedOn,
      dueDate,
      total: money(total),
      paid: money(paidHere),
      remaining: money(need),
      state,
      daysPastDue: state === 'overdue' ? late : 0,
      allocations,
    });
  }
  let credit = new Dec(0);
  for (; k < sources.length; k++) credit = credit.plus(sources[k].left);
  return {
    currency: cur.code,
    asOf: input.today,
    billed: money(billed),
    paid: money(paid),
    balance: money(billed.minus(paid)),
    overdue: money(overdue),
    credit: money(credit),
    statements: out,
  };
}

/** Money for people: groups of three digits separated by a space, '12 345.67'. */
export function spacedMoney(text: string): string {
  const neg = text.startsWith('-');
  const [int, frac] = (neg ? text.slice(1) : text).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return (neg ? '-' : '') + grouped + (frac === undefined ? '' : `.${frac}`);
}
