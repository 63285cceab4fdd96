/**
 * The suspension policy, day by day with an injected date. Account in RUB, terms 10 days, grace 10
 * days, warning 3 days. Statement 2026-10 closed 2026-11-01 → due 2026-11-11; more than 10 days
 * past due from 11-22 → suspension on 2026-11-22, warning on 2026-11-19.
 */
import { describe, expect, it } from 'vitest';
import { addDays } from '../rating/time.ts';
import { allocate, type PostedPayment } from './allocation.ts';
import { type CurrentState, type Decision, decide, type OverrideInput, type PolicySettings, stateAfter, trigger } from './policy.ts';

const settings: PolicySettings = { graceDays: 10, warningDays: 3, creditLimit: null };
const statements = [{ id: '2026-10', period: { from: '2026-10-01', to: '2026-11-01' }, closedOn: '2026-11-01', total: '12345.67' }];
const balanceOn = (today: string, payments: PostedPayment[] = [], s = statements) => allocate({ currency: 'RUB', today, dueDays: 10, statements: s, payments });

/** Runs the policy every day from `from` to `to` (exclusive), carrying the state; returns what was decided. */
function days(from: string, to: string, opts: { payments?: (d: string) => PostedPayment[]; settings?: PolicySettings; override?: (d: string) => OverrideInput | null; start?: CurrentState } = {}) {
  let cur: CurrentState = opts.start ?? { state: 'active', warnedOn: null };
  const out: Decision[] = [];
  for (let d = from; d < to; d = addDays(d, 1)) {
    const ds = decide({ today: d, settings: opts.settings ?? settings, balance: balanceOn(d, opts.payments?.(d) ?? []), current: cur, override: opts.override?.(d) ?? null });
    for (const x of ds) {
      out.push(x);
      cur = { state: stateAfter(x.kind), warnedOn: x.kind === 'warning' ? x.on : null };
    }
    // Evaluating again the same day changes nothing.
    expect(decide({ today: d, settings: opts.settings ?? settings, balance: balanceOn(d, opts.payments?.(d) ?? []), current: cur, override: opts.override?.(d) ?? null })).toEqual([]);
  }
  return { decisions: out, state: cur };
}
const brief = (ds: Decision[]) => ds.map((d) => `${d.on} ${d.kind}/${d.source}`);

describe('suspension policy', () => {
  it('warning 3 days before, then suspended; reasons in words and figures', () => {
    const { decisions, state } = days('2026-11-01', '2026-12-01');
    expect(brief(decisions)).toEqual(['2026-11-19 warning/policy', '2026-11-22 suspended/policy']);
    expect(decisions[0].reason).toBe('warning 2026-11-19: suspension on 2026-11-22 unless paid: statement 2026-10, 12 345.67 RUB, 8 days past due, grace 10 days');
    expect(decisions[1].reason).toBe('suspended 2026-11-22: statement 2026-10, 12 345.67 RUB, 11 days past due, grace 10 days');
    expect(decisions[1].facts).toMatchObject({ rule: 'overdue', statement: '2026-10', remaining: '12345.67', daysPastDue: 11, graceDays: 10, dueDate: '2026-11-11' });
    expect(state.state).toBe('suspended');
  });

  it('a partial payment does not help; one that clears the overdue amount reactivates at once', () => {
    const payments = (d: string) => [
      ...(d >= '2026-11-05' ? [{ id: 'p1', amount: '5000', date: '2026-11-05', postedAt: 1, reversed: false }] : []),
      ...(d >= '2026-11-25' ? [{ id: 'p2', amount: '7345.67', date: '2026-11-25', postedAt: 2, reversed: false }] : []),
    ];
    const { decisions } = days('2026-11-01', '2026-12-01', { payments });
    expect(brief(decisions)).toEqual(['2026-11-19 warning/policy', '2026-11-22 suspended/policy', '2026-11-25 reactivated/policy']);
    expect(decisions[1].reason).toContain('7 345.67 RUB');
    expect(decisions[2].reason).toBe('reactivated 2026-11-25: nothing overdue beyond grace; balance 0.00 RUB, overdue 0.00 RUB');
  });

  it('a reversed payment brings the suspension back (with a fresh warning first)', () => {
    const payments = (d: string) => (d >= '2026-11-20' ? [{ id: 'p', amount: '12345.67', date: '2026-11-20', postedAt: 1, reversed: d >= '2026-11-26' }] : []);
    const { decisions } = days('2026-11-01', '2026-12-05', { payments });
    // Warned 11-19, paid 11-20 (cleared); reversed 11-26: the trigger's dates are past, but the
    // suspension waits 3 days after the new warning.
    expect(brief(decisions)).toEqual(['2026-11-19 warning/policy', '2026-11-20 cleared/policy', '2026-11-26 warning/policy', '2026-11-29 suspended/policy']);
    expect(decisions[2].reason).toContain('suspension on 2026-11-29 unless paid');
  });

  it('a warning issued late still gives the full notice; warningDays 0 suspends without warning', () => {
    // First evaluation only on 11-25 (already past 11-22): warn, suspend 3 days later.
    expect(brief(days('2026-11-25', '2026-12-01').decisions)).toEqual(['2026-11-25 warning/policy', '2026-11-28 suspended/policy']);
    expect(brief(days('2026-11-01', '2026-12-01', { settings: { ...settings, warningDays: 0 } }).decisions)).toEqual(['2026-11-22 suspended/policy']);
  });

  it('grace 0: suspension the day after the due date', () => {
    expect(brief(days('2026-11-01', '2026-11-20', { settings: { ...settings, graceDays: 0, warningDays: 1 } }).decisions)).toEqual(['2026-11-11 warning/policy', '2026-11-12 suspended/policy']);
  });

  it('credit limit: a balance beyond it warns on the closing date and suspends warningDays later', () => {
    const s = { ...settings, creditLimit: '10000', graceDays: 60 };
    const { decisions } = days('2026-11-01', '2026-11-10', { settings: s });
    expect(brief(decisions)).toEqual(['2026-11-01 warning/policy', '2026-11-04 suspended/policy']);
    expect(decisions[1].reason).toBe('suspended 2026-11-04: balance 12 345.67 RUB exceeds the credit limit 10 000 RUB since 2026-11-01');
    // Paying down to the limit (balance 10 000.00 is not beyond it) reactivates.
    const paid = days('2026-11-01', '2026-11-10', { settings: s, payments: (d) => (d >= '2026-11-06' ? [{ id: 'p', amount: '2345.67', date: d, postedAt: 1, reversed: false }] : []) });
    expect(brief(paid.decisions)).toEqual(['2026-11-01 warning/policy', '2026-11-04 suspended/policy', '2026-11-06 reactivated/policy']);
    // What remains is the statement itself, due 11-11, suspension only after 60 days of grace.
    expect(trigger('2026-11-06', s, balanceOn('2026-11-06', [{ id: 'p', amount: '2345.67', date: '2026-11-06', postedAt: 1, reversed: false }]))).toMatchObject({ rule: 'overdue', suspendOn: '2027-01-11' });
    expect(trigger('2026-11-06', s, balanceOn('2026-11-06', [{ id: 'p', amount: '12345.67', date: '2026-11-06', postedAt: 1, reversed: false }]))).toBeNull();
  });

  it('the oldest overdue statement paid, the next still in grace: reactivated now, warned again later', () => {
    const two = [...statements, { id: '2026-11', period: { from: '2026-11-01', to: '2026-12-01' }, closedOn: '2026-12-01', total: '100' }];
    // 2026-11 due 12-11, suspension 12-22, warning 12-19.
    const run = (from: string, to: string, start: CurrentState) => {
      let cur = start;
      const out: Decision[] = [];
      for (let d = from; d < to; d = addDays(d, 1)) {
        const bal = balanceOn(d, [{ id: 'p', amount: '12345.67', date: '2026-12-15', postedAt: 1, reversed: false }].filter((p) => d >= p.date), two);
        for (const x of decide({ today: d, settings, balance: bal, current: cur, override: null })) {
          out.push(x);
          cur = { state: stateAfter(x.kind), warnedOn: x.kind === 'warning' ? x.on : null };
        }
      }
      return out;
    };
    const out = run('2026-12-10', '2026-12-31', { state: 'suspended', warnedOn: null });
    expect(brief(out)).toEqual(['2026-12-15 reactivated/policy', '2026-12-19 warning/policy', '2026-12-22 suspended/policy']);
    expect(out[0].reason).toContain('next suspension date 2026-12-22 (statement 2026-11, 100.00 RUB, 4 days past due, grace 10 days)');
  });

  it('a manual override beats the policy until it expires', () => {
    const expires = Date.UTC(2026, 10, 28);
    const override = (d: string): OverrideInput | null => (d >= '2026-11-21' && Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10)) < expires ? { state: 'active', reason: 'promised to pay, call of 21.11', expiresAt: expires } : null);
    const { decisions } = days('2026-11-01', '2026-12-05', { override });
    // Warned 11-19; override from 11-21 clears it; expired 11-28 → a fresh warning, suspension 3 days later.
    expect(brief(decisions)).toEqual(['2026-11-19 warning/policy', '2026-11-21 cleared/override', '2026-11-28 warning/policy', '2026-12-01 suspended/policy']);
    expect(decisions[1].reason).toBe('warning cleared 2026-11-21: manual override until 2026-11-28T00:00:00.000Z: promised to pay, call of 21.11');
    // A suspending override on a clean account; reactivated by the policy when it ends.
    const clean = (d: string) => [{ id: 'p', amount: '12345.67', date: '2026-11-02', postedAt: 1, reversed: false }].filter((p) => d >= p.date);
    const manual = (d: string): OverrideInput | null => (d >= '2026-11-03' && d < '2026-11-06' ? { state: 'suspended', reason: 'fraud check', expiresAt: Date.UTC(2026, 10, 6) } : null);
    expect(brief(days('2026-11-01', '2026-11-10', { payments: clean, override: manual }).decisions)).toEqual(['2026-11-03 suspended/override', '2026-11-06 reactivated/policy']);
  });
});
