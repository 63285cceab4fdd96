/**
 * Period close: on day `closeDay` of each month (local to each account's time zone) the previous
 * month is closed with rating's own close (`RatingService.close`: frozen snapshot, hash,
 * adjustments) and `statement.closed` is published; the e-mail and webhooks follow from the event.
 *
 * Idempotent by construction: a period already closed is not closed again (the job looks at the
 * closed statements first, and rating refuses a second close), and the event id derives from the
 * account and period, so a run that crashed between closing and publishing publishes on the next
 * run (statements closed in the last `republishDays` are published again; publishing a published
 * fact is a no-op). An account behind by several months is closed month by month, in order, from
 * the period rating says must close next — the first month with an assignment when none is closed,
 * even one backdated to before the account was created — so no month is left open behind a closed one.
 */
import { type Period, localDateOf, localMidnight } from '../rating/calendar.ts';
import type { RatingService, StatementResult } from '../rating/service.ts';
import { type IsoDate, addDays, monthOf } from '../rating/time.ts';
import type { BillingEventInput, BillingEvents } from './events.ts';

export interface CloseAccount {
  readonly id: string;
  readonly timeZone: string;
  /** Epoch ms the account was created (0: unknown). Without any assignment, a month that ended before it is not closed. */
  readonly createdAt: number;
}

export interface PeriodCloseOptions {
  /** Day of the month (1–28, local) from which the previous month is closed. */
  readonly closeDay: number;
  /** Most periods closed per account per run (catching up). Default 12. */
  readonly maxPerAccount?: number;
  /** Statements closed this recently get their event published again (crash recovery). Default 7. */
  readonly republishDays?: number;
  /**
   * Run for each account once its periods of this run are closed: the suspension policy, so a credit
   * limit a close breaches acts at once, not at the next hourly evaluation.
   */
  readonly afterClose?: (accountId: string, now: number) => Promise<unknown>;
}

export interface PeriodCloseResult {
  readonly closed: { accountId: string; period: Period }[];
  readonly failed: { accountId: string; period: Period; error: string }[];
  published: number;
  /** With `afterClose`: the accounts it ran for, and those where it failed (their periods stay closed). */
  readonly evaluated?: { accounts: number; readonly failed: { accountId: string; error: string }[] };
}

export const periodKey = (p: Period) => `${p.from}..${p.to}`;

/** The `statement.closed` event of a closed statement. */
export function statementClosedEvent(accountId: string, r: Pick<StatementResult, 'doc' | 'hash'>): BillingEventInput {
  const d = r.doc;
  return {
    type: 'statement.closed',
    key: `${accountId}:${periodKey(d.period)}`,
    accountId,
    subject: `${accountId}:${periodKey(d.period)}`,
    data: { accountId, accountName: d.accountName, period: d.period, currency: d.currency, totals: d.totals, lines: d.lines.length, adjustments: d.adjustments.length, hash: r.hash, closedAt: d.closedAt },
  };
}

/** The last month that should be closed at `now` in `zone`: the previous month from day `closeDay` on, else the one before. */
export function closeTarget(now: number, zone: string, closeDay: number): Period {
  const today = localDateOf(now, zone);
  const current = monthOf(today);
  const previous = monthOf(addDays(current.from, -1));
  const day = Number(today.slice(8, 10));
  return day >= closeDay ? previous : monthOf(addDays(previous.from, -1));
}

/**
 * Periods to close for one account, oldest first, through the target: from `next` — the first date
 * not closed that must close next (rating's `nextToClose`: the end of the last closed period, or the
 * first month in which the account had an assignment, even one backdated to before the account was
 * created) — month by month. `next` null (nothing closed, never any assignment): the target alone,
 * unless it ended before the account was created.
 */
export function periodsToClose(next: IsoDate | null, target: Period, account: CloseAccount, max: number): Period[] {
  if (next === null) {
    const ended = localMidnight(target.to, account.timeZone);
    return account.createdAt === 0 || account.createdAt < ended ? [target] : [];
  }
  const out: Period[] = [];
  let from = next;
  while (out.length < max) {
    const p = { from, to: monthOf(from).to };
    if (p.to > target.to) break;
    out.push(p);
    from = p.to;
  }
  return out;
}

export async function closePeriods(
  rating: RatingService,
  events: BillingEvents,
  accounts: readonly CloseAccount[],
  now: number,
  o: PeriodCloseOptions,
): Promise<PeriodCloseResult> {
  const result: PeriodCloseResult = { closed: [], failed: [], published: 0, ...(o.afterClose === undefined ? {} : { evaluated: { accounts: 0, failed: [] } }) };
  const ids = accounts.map((a) => a.id);
  const closed = await rating.statements.listClosed(ids);
  const next = await rating.nextToClose(ids);
  const toPublish: BillingEventInput[] = [];
  const since = now - (o.republishDays ?? 7) * 86_400_000;
  for (const a of accounts) {
    const list = closed.get(a.id) ?? [];
    for (const c of list) if (c.closedAt >= since) toPublish.push(statementClosedEvent(a.id, c));
    const target = closeTarget(now, a.timeZone, o.closeDay);
    let closedAny = false;
    for (const p of periodsToClose(next.get(a.id) ?? null, target, a, o.maxPerAccount ?? 12)) {
      try {
        const r = await rating.close(a.id, p);
        result.closed.push({ accountId: a.id, period: p });
        closedAny = true;
        // Published per statement at once: a crash later in the run loses no event.
        result.published += (await events.publish([statementClosedEvent(a.id, r)])).length;
      } catch (err) {
        // Another instance closed it meanwhile, or rating refuses (the error says why): next account.
        result.failed.push({ accountId: a.id, period: p, error: err instanceof Error ? err.message : String(err) });
        break;
      }
    }
    if (closedAny && o.afterClose !== undefined && result.evaluated !== undefined) {
      result.evaluated.accounts++;
      try {
        await o.afterClose(a.id, now);
      } catch (err) {
        // The periods are closed; the hourly suspension-evaluate job applies the policy later.
        result.evaluated.failed.push({ accountId: a.id, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  result.published += (await events.publish(toPublish)).length;
  return result;
}
