/**
 * The suspension policy. Pure: an account's balance (see allocation.ts), its settings, its current
 * state and manual override in; the decisions to record now out (none when nothing changes, so
 * re-evaluating is idempotent by construction). Dates are local dates in the account's zone.
 *
 * Triggers (the earliest suspension date wins):
 * - overdue: the oldest statement with money left; suspension when it is more than `graceDays`
 *   past due, i.e. on dueDate + graceDays + 1 (so its warning may come before the due date when
 *   warningDays > graceDays);
 * - credit limit (when set): the unpaid balance exceeds it; the breach starts on the closing date
 *   of the statement that tipped it over, and suspension follows `warningDays` later.
 * A warning is recorded `warningDays` before the suspension date, and the suspension never comes
 * sooner than `warningDays` after the warning actually recorded (a warning issued late — a
 * statement closed late, an evaluation missed — still gives the customer the full notice).
 * `warningDays` 0: no warning, suspension on the date.
 *
 * Leaving: when no trigger holds any more (a payment cleared the overdue amount, or brought the
 * balance under the limit), a suspended account is reactivated and a warning is cleared, at once.
 * A trigger whose dates moved later (the oldest statement paid, the next one still in grace) also
 * reactivates or clears; a new warning follows when its date has come.
 *
 * A manual override (state active or suspended, with a reason, until it expires) beats the policy.
 */
import { Dec } from '../rating/pricing/money.ts';
import { addDays, daysBetween, type IsoDate } from '../rating/time.ts';
import { type Balance, spacedMoney } from './allocation.ts';

export const SUSPENSION_STATES = ['active', 'warning', 'suspended'] as const;
export type SuspensionState = (typeof SUSPENSION_STATES)[number];

export const DECISION_KINDS = ['warning', 'suspended', 'reactivated', 'cleared'] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

export const DECISION_SOURCES = ['policy', 'override'] as const;
export type DecisionSource = (typeof DECISION_SOURCES)[number];

export const SUSPENSION_MODES = ['store', 'reject'] as const;
export type SuspensionMode = (typeof SUSPENSION_MODES)[number];

export interface PolicySettings {
  readonly graceDays: number;
  readonly warningDays: number;
  /** Decimal text, or null for no limit. */
  readonly creditLimit: string | null;
}

export interface OverrideInput {
  readonly state: 'active' | 'suspended';
  readonly reason: string;
  /** Epoch ms; the caller passes only an override still in force. */
  readonly expiresAt: number;
}

export interface CurrentState {
  readonly state: SuspensionState;
  /** The local date of the warning in force (state 'warning'), else null. */
  readonly warnedOn: IsoDate | null;
}

export interface Trigger {
  readonly rule: 'overdue' | 'credit_limit';
  readonly suspendOn: IsoDate;
  readonly warnOn: IsoDate;
  /** The figures behind it, for the record. */
  readonly facts: { readonly [key: string]: string | number };
  /** In words: 'statement 2026-10, 12 345.67 RUB, 12 days past due, grace 10 days'. */
  readonly words: string;
}

export interface Decision {
  readonly kind: DecisionKind;
  readonly source: DecisionSource;
  /** Local date it takes effect (today). */
  readonly on: IsoDate;
  /** Words and figures: 'suspended 2026-12-12: statement 2026-10, 12 345.67 RUB, 12 days past due, grace 10 days'. */
  readonly reason: string;
  readonly facts: { readonly [key: string]: string | number | null };
}

export interface PolicyInput {
  readonly today: IsoDate;
  readonly settings: PolicySettings;
  readonly balance: Balance;
  readonly current: CurrentState;
  readonly override: OverrideInput | null;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The trigger with the earliest suspension date, or null when the account is in good standing. */
export function trigger(today: IsoDate, settings: PolicySettings, balance: Balance): Trigger | null {
  const found: Trigger[] = [];
  const cur = balance.currency;
  // The oldest statement with money left has the earliest due date (statements close in order).
  const oldest = balance.statements.find((s) => s.remaining !== '0' && new Dec(s.remaining).greaterThan(0));
  if (oldest !== undefined) {
    const suspendOn = addDays(oldest.dueDate, settings.graceDays + 1);
    const pastDue = Math.max(0, daysBetween(oldest.dueDate, today));
    const when = pastDue > 0 ? `${plural(pastDue, 'day')} past due` : `due ${oldest.dueDate}`;
    found.push({
      rule: 'overdue',
      suspendOn,
      warnOn: addDays(suspendOn, -settings.warningDays),
      facts: { statement: oldest.id, remaining: oldest.remaining, currency: cur, dueDate: oldest.dueDate, daysPastDue: pastDue, graceDays: settings.graceDays },
      words: `statement ${oldest.id}, ${spacedMoney(oldest.remaining)} ${cur}, ${when}, grace ${plural(settings.graceDays, 'day')}`,
    });
  }
  if (settings.creditLimit !== null) {
    const limit = new Dec(settings.creditLimit);
    if (new Dec(balance.balance).greaterThan(limit)) {
      // FIFO leaves the unpaid money on the newest statements: the breach began when the statement
      // that took the running unpaid sum over the limit was closed.
      let sum = new Dec(0);
      let since = balance.asOf;
      for (const s of balance.statements) {
        sum = sum.plus(s.remaining);
        if (sum.greaterThan(limit)) {
          since = s.closedOn;
          break;
        }
      }
      found.push({
        rule: 'credit_limit',
        suspendOn: addDays(since, settings.warningDays),
        warnOn: since,
        facts: { balance: balance.balance, creditLimit: settings.creditLimit, currency: cur, since },
        words: `balance ${spacedMoney(balance.balance)} ${cur} exceeds the credit limit ${spacedMoney(new Dec(settings.creditLimit).toFixed())} ${cur} since ${since}`,
      });
    }
  }
  if (found.length === 0) return null;
  found.sort((a, b) => (a.suspendOn < b.suspendOn ? -1 : a.suspendOn > b.suspendOn ? 1 : 0));
  return found[0];
}

/** The decisions to record on `today` (0, 1 or 2: a reactivation may be followed by a new warning). */
export function decide(input: PolicyInput): Decision[] {
  const { today, settings, balance, current, override } = input;
  const t = trigger(today, settings, balance);
  const standing = `balance ${spacedMoney(balance.balance)} ${balance.currency}, overdue ${spacedMoney(balance.overdue)} ${balance.currency}`;
  const figures = { balance: balance.balance, overdue: balance.overdue, currency: balance.currency };

  if (override !== null) {
    const until = new Date(override.expiresAt).toISOString();
    const facts = { ...figures, override: override.state, overrideReason: override.reason, expiresAt: until };
    const words = `manual override until ${until}: ${override.reason}`;
    if (override.state === 'suspended') {
      return current.state === 'suspended' ? [] : [{ kind: 'suspended', source: 'override', on: today, reason: `suspended ${today}: ${words}`, facts }];
    }
    if (current.state === 'suspended') return [{ kind: 'reactivated', source: 'override', on: today, reason: `reactivated ${today}: ${words}`, facts }];
    if (current.state === 'warning') return [{ kind: 'cleared', source: 'override', on: today, reason: `warning cleared ${today}: ${words}`, facts }];
    return [];
  }

  const warning = (tr: Trigger): Decision => {
    const suspendOn = settings.warningDays === 0 ? tr.suspendOn : [tr.suspendOn, addDays(today, settings.warningDays)].sort()[1];
    return {
      kind: 'warning',
      source: 'policy',
      on: today,
      reason: `warning ${today}: suspension on ${suspendOn} unless paid: ${tr.words}`,
      facts: { ...figures, rule: tr.rule, ...tr.facts, suspendOn },
    };
  };
  const suspension = (tr: Trigger): Decision => ({
    kind: 'suspended',
    source: 'policy',
    on: today,
    reason: `suspended ${today}: ${tr.words}`,
    facts: { ...figures, rule: tr.rule, ...tr.facts },
  });

  if (t === null) {
    if (current.state === 'suspended') return [{ kind: 'reactivated', source: 'policy', on: today, reason: `reactivated ${today}: nothing overdue beyond grace; ${standing}`, facts: figures }];
    if (current.state === 'warning') return [{ kind: 'cleared', source: 'policy', on: today, reason: `warning cleared ${today}: nothing overdue beyond grace; ${standing}`, facts: figures }];
    return [];
  }

  switch (current.state) {
    case 'active':
      if (today < t.warnOn) return [];
      return settings.warningDays === 0 ? [suspension(t)] : [warning(t)];
    case 'warning': {
      const warnedOn = current.warnedOn ?? today;
      const suspendOn = [t.suspendOn, addDays(warnedOn, settings.warningDays)].sort()[1];
      if (today >= suspendOn) return [suspension(t)];
      if (today < t.warnOn) return [{ kind: 'cleared', source: 'policy', on: today, reason: `warning cleared ${today}: next suspension date ${t.suspendOn} (${t.words}); ${standing}`, facts: { ...figures, ...t.facts } }];
      return [];
    }
    case 'suspended': {
      if (today >= t.suspendOn) return [];
      const back: Decision = { kind: 'reactivated', source: 'policy', on: today, reason: `reactivated ${today}: next suspension date ${t.suspendOn} (${t.words}); ${standing}`, facts: { ...figures, ...t.facts } };
      return today >= t.warnOn && settings.warningDays > 0 ? [back, warning(t)] : [back];
    }
  }
}

/** The state after a decision. */
export function stateAfter(kind: DecisionKind): SuspensionState {
  return kind === 'warning' ? 'warning' : kind === 'suspended' ? 'suspended' : 'active';
}
