/**
 * The API's rule for effective-dated writes (device → account, account/device → tariff, tariff
 * versions): history is appended at the end. A date on or before an existing entry of the same
 * key, or inside an account's closed period, is a conflict (409, listing what it conflicts with)
 * unless the client says it is a `correction` — then it is recorded, the later record wins for
 * its date (docs/rating.md §9), and a change to a closed period reaches the customer as an
 * adjustment on the next open statement (§12). Re-sending what is already in effect is a no-op.
 */
import type { StatementStore } from '../../rating/statement-store.ts';
import { dateConflict } from '../errors.ts';

export interface DatedEntry<V> {
  readonly effectiveFrom: string;
  readonly value: V;
  readonly recordedAt: number;
}

export type DatedDecision = 'create' | 'unchanged';

/**
 * Decides a new entry (`value` from `date`) against the key's effective timeline (one entry per
 * date, ascending). Throws FM_ERR_EFFECTIVE_DATE_CONFLICT, or returns what to do.
 */
export function decideDated<V>(timeline: readonly DatedEntry<V>[], date: string, value: V, correction: boolean, describe: string): DatedDecision {
  const same = timeline.find((e) => e.effectiveFrom === date);
  if (same !== undefined && same.value === value) return 'unchanged';
  const later = timeline.filter((e) => e.effectiveFrom >= date);
  if (later.length === 0) {
    const inEffect = timeline[timeline.length - 1];
    if (inEffect !== undefined && inEffect.value === value) return 'unchanged';
    return 'create';
  }
  if (correction) return 'create';
  throw dateConflict(
    `${describe}: effectiveFrom ${date} is on or before ${later.length === 1 ? 'an existing entry' : `${later.length} existing entries`} (${later.map((e) => e.effectiveFrom).join(', ')}); send correction: true to rewrite history`,
    later.map((e) => ({ effectiveFrom: e.effectiveFrom, value: e.value, recordedAt: new Date(e.recordedAt).toISOString() })),
  );
}

/** For each account, the end of its last closed period (dates before it are frozen). */
export async function closedThrough(statements: StatementStore, accountIds: readonly string[]): Promise<Map<string, { from: string; to: string }>> {
  const closed = await statements.listClosed([...new Set(accountIds)]);
  const out = new Map<string, { from: string; to: string }>();
  for (const [id, list] of closed) if (list.length > 0) out.set(id, list[list.length - 1].period);
  return out;
}

/** Throws unless `date` lies after every listed account's closed periods (or it is a correction). */
export async function assertOpen(statements: StatementStore, accountIds: readonly string[], date: string, correction: boolean, describe: string): Promise<void> {
  if (correction || accountIds.length === 0) return;
  const closed = await closedThrough(statements, accountIds);
  const hit = [...closed].filter(([, p]) => date < p.to);
  if (hit.length === 0) return;
  throw dateConflict(
    `${describe}: effectiveFrom ${date} falls in a closed period (${hit.map(([id, p]) => `${id} closed through ${p.to}`).join('; ')}); closed statements never change — send correction: true to record it and bill the difference as an adjustment on the next open statement`,
    hit.map(([accountId, p]) => ({ accountId, closedPeriod: p })),
  );
}
