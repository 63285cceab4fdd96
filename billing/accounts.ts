/**
 * What billing needs to know of an account and its closed statements, behind a small interface
 * (the API implements it from its configuration snapshot; tests may pass their own).
 */
import type { Period } from '../rating/calendar.ts';
import { localDateOf } from '../rating/calendar.ts';
import type { ClosedStatement } from '../rating/statement-store.ts';
import { monthOf } from '../rating/time.ts';
import type { BilledStatement } from './allocation.ts';
import type { SuspensionMode } from './policy.ts';

export interface BillingTerms {
  /** Due this many days after the local closing date. */
  readonly paymentTermDays: number;
  readonly graceDays: number;
  readonly warningDays: number;
  readonly creditLimit: string | null;
  readonly suspensionMode: SuspensionMode;
}

export interface BillingAccount {
  readonly id: string;
  readonly timeZone: string;
  readonly currency: string;
  readonly terms: BillingTerms;
}

export interface BillingAccounts {
  account(id: string): Promise<BillingAccount | undefined>;
  accountIds(): Promise<string[]>;
  /** Closed statements per account, by period start (rating's StatementStore.listClosed). */
  closedStatements(accountIds: readonly string[]): Promise<Map<string, ClosedStatement[]>>;
}

/** '2026-10' for a calendar month, else '2026-10-01..2026-10-16' (the API's period text). */
export function statementId(p: Period): string {
  const m = monthOf(p.from);
  return m.from === p.from && m.to === p.to ? p.from.slice(0, 7) : `${p.from}..${p.to}`;
}

export function billedStatement(c: ClosedStatement, zone: string): BilledStatement {
  return { id: statementId(c.period), period: c.period, closedOn: localDateOf(c.closedAt, zone), total: c.doc.totals.total };
}
