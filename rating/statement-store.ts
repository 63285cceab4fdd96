/**
 * Closed statements: the frozen snapshot text and its SHA-256, inserted once, never updated.
 * Should two instances close the same period concurrently, the earliest close (then the smaller
 * hash) is the statement, for every reader.
 */
import { sqlString } from '../store/sql.ts';
import type { Store } from '../store/types.ts';
import type { Period } from './calendar.ts';
import { ratingError } from './errors.ts';
import { type StatementDoc, statementHash } from './statement.ts';

export interface ClosedStatement {
  readonly accountId: string;
  readonly period: Period;
  readonly closedAt: number;
  readonly hash: string;
  /** The snapshot exactly as stored and served. */
  readonly json: string;
  readonly doc: StatementDoc;
}

export function selectClosedSql(accountIds: readonly string[]): string {
  return `SELECT account_id, period_from, period_to, closed_at, content_hash, snapshot FROM rating_statements WHERE account_id IN (${accountIds.map(sqlString).join(', ')})`;
}

export class StatementStore {
  constructor(private readonly store: Store) {}

  /** Closed statements per account, by period start. Verifies every hash. */
  async listClosed(accountIds: readonly string[]): Promise<Map<string, ClosedStatement[]>> {
    const out = new Map<string, ClosedStatement[]>();
    if (accountIds.length === 0) return out;
    const rows = await this.store.query<{ account_id: string; period_from: string; period_to: string; closed_at: string; content_hash: string; snapshot: string }>(selectClosedSql(accountIds));
    const best = new Map<string, ClosedStatement>();
    for (const r of rows) {
      if (statementHash(r.snapshot) !== r.content_hash) {
        throw ratingError('FM_RATING_SNAPSHOT_CORRUPT', `closed statement ${r.account_id} ${r.period_from}..${r.period_to}: stored hash ${r.content_hash} does not match its snapshot`);
      }
      const c: ClosedStatement = { accountId: r.account_id, period: { from: r.period_from, to: r.period_to }, closedAt: Number(r.closed_at), hash: r.content_hash, json: r.snapshot, doc: JSON.parse(r.snapshot) as StatementDoc };
      const key = `${r.account_id}|${r.period_from}`;
      const cur = best.get(key);
      if (cur === undefined || c.closedAt < cur.closedAt || (c.closedAt === cur.closedAt && c.hash < cur.hash)) best.set(key, c);
    }
    for (const c of [...best.values()].sort((a, b) => (a.period.from < b.period.from ? -1 : a.period.from > b.period.from ? 1 : 0))) {
      const list = out.get(c.accountId);
      if (list) list.push(c);
      else out.set(c.accountId, [c]);
    }
    return out;
  }

  async insert(c: Omit<ClosedStatement, 'doc'>): Promise<void> {
    await this.store.insert('rating_statements', [
      { account_id: c.accountId, period_from: c.period.from, period_to: c.period.to, closed_at: c.closedAt, content_hash: c.hash, snapshot: c.json },
    ]);
  }
}
