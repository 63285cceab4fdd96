/** Statements: list (closed snapshots and live drafts, with totals), one in JSON or CSV, close. */
import type { BillingEvents } from '../../billing/events.ts';
import { statementClosedEvent } from '../../billing/period-close.ts';
import type { Period } from '../../rating/calendar.ts';
import type { RatingService, StatementResult } from '../../rating/service.ts';
import { monthOf } from '../../rating/time.ts';
import { notFound, rated } from '../errors.ts';
import type { Actor, AuditLog } from './audit.ts';
import { type ListParams, type Page, paginate } from './list.ts';
import { localToday, parsePeriod, periodText } from './period.ts';
import type { SnapshotSource } from './snapshot.ts';

export interface StatementSummary {
  readonly accountId: string;
  readonly accountName: string;
  readonly period: Period;
  readonly status: 'draft' | 'closed';
  readonly closedAt: string | null;
  readonly currency: string;
  readonly totals: { amount: string; vat: string; total: string };
  readonly lines: number;
  readonly adjustments: number;
  readonly hash: string;
}

export function summaryOf(r: StatementResult): StatementSummary {
  const d = r.doc;
  return { accountId: d.accountId, accountName: d.accountName, period: d.period, status: r.status, closedAt: d.closedAt, currency: d.currency, totals: d.totals, lines: d.lines.length, adjustments: d.adjustments.length, hash: r.hash };
}

/** Monthly periods from `from`'s month through `to`'s month, inclusive. */
function monthsBetween(from: string, to: string): Period[] {
  const out: Period[] = [];
  for (let m = monthOf(from); m.from <= to; m = monthOf(m.to)) out.push(m);
  return out;
}

export class StatementsService {
  constructor(
    private readonly rating: RatingService,
    private readonly snapshots: SnapshotSource,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
    /** statement.closed is published here on every close (webhooks, e-mail, the change feed). */
    private readonly events?: BillingEvents,
    /** Runs after every close: the suspension policy, so a credit limit the close breaches acts at once. */
    private readonly afterClose?: (accountId: string) => Promise<unknown>,
  ) {}

  private async requireAccount(accountId: string): Promise<void> {
    const snap = await this.snapshots.get();
    if (!snap.hasAccount(accountId)) throw notFound('account', accountId);
  }

  /**
   * Closed statements, and a draft for each month from the end of the last closed period (or the
   * current month when none is closed) through the current month.
   */
  async list(accountId: string, filter: { status?: string; from?: string; to?: string }, params: ListParams): Promise<Page<StatementSummary>> {
    await this.requireAccount(accountId);
    const snap = await this.snapshots.get();
    const zone = snap.index.account(accountId).timeZone;
    const closed = (await this.rating.statements.listClosed([accountId])).get(accountId) ?? [];
    const items: StatementSummary[] = [];
    if (filter.status !== 'draft') for (const c of closed) items.push(summaryOf({ status: 'closed', json: c.json, hash: c.hash, doc: c.doc }));
    if (filter.status !== 'closed') {
      const today = localToday(zone, this.now());
      const start = closed.length > 0 ? closed[closed.length - 1].period.to : monthOf(today).from;
      for (const p of monthsBetween(start, today)) {
        if ((filter.from !== undefined && p.from < filter.from) || (filter.to !== undefined && p.from >= filter.to)) continue;
        items.push(summaryOf(await rated(() => this.rating.statement(accountId, p))));
      }
    }
    const kept = items.filter((s) => (filter.from === undefined || s.period.from >= filter.from) && (filter.to === undefined || s.period.from < filter.to));
    return paginate(kept, params, { period: (s) => s.period.from }, (s) => s.period.to, '-period');
  }

  async get(accountId: string, period: string): Promise<StatementResult> {
    await this.requireAccount(accountId);
    const p = parsePeriod(period);
    return rated(() => this.rating.statement(accountId, p));
  }

  async close(accountId: string, period: string, actor: Actor): Promise<StatementResult> {
    await this.requireAccount(accountId);
    const p = parsePeriod(period);
    const r = await rated(() => this.rating.close(accountId, p));
    await this.audit.record(actor, 'statement.close', 'account', accountId, null, { period: periodText(p), hash: r.hash, totals: r.doc.totals });
    // Should this fail, the period-close job publishes it on its next run (recent closes are republished).
    await this.events?.publish([statementClosedEvent(accountId, r)]);
    await this.afterClose?.(accountId);
    return r;
  }

  /** Every account's statement for one period (a billing run), a page of accounts at a time. */
  async run(period: string, status: string | undefined, params: ListParams): Promise<Page<StatementSummary>> {
    const p = parsePeriod(period);
    const snap = await this.snapshots.get();
    let ids = snap.accountIds();
    if (status !== undefined) {
      const closed = await this.rating.statements.listClosed(ids);
      const isClosed = (id: string) => (closed.get(id) ?? []).some((c) => c.period.from === p.from && c.period.to === p.to);
      ids = ids.filter((id) => isClosed(id) === (status === 'closed'));
    }
    const page = paginate(ids, params, { accountId: (id) => id }, (id) => id, 'accountId', 'accountId');
    const out: StatementSummary[] = [];
    for await (const r of this.rating.billingRun(p, page.items)) out.push(summaryOf(r));
    const byId = new Map(out.map((s) => [s.accountId, s]));
    return { items: page.items.map((id) => byId.get(id)!), nextCursor: page.nextCursor };
  }
}
