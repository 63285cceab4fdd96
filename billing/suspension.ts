/**
 * Automatic suspension: runs the policy (policy.ts) for an account on the balance of its closed
 * statements and payments, records each decision, and applies it.
 *
 * Recording: a decision is appended to `billing_suspension_decisions` with the next `seq` of the
 * account and a deterministic id (account, seq, kind, date), then read back; should two instances
 * evaluate at once, the earliest row per `seq` is the decision for every reader. The current state
 * is the fold of the log; re-evaluating with nothing changed decides nothing, so records nothing.
 *
 * Effects, derived from the whole log on every evaluation (so a crash between the record and its
 * effects is repaired by the next evaluation):
 * - rating: each suspension is a rating suspension of the whole account `[suspended on,
 *   reactivated on)` in local dates (id = the suspending decision's id): those days are not billed.
 *   Whole local days, like every effective-dated setting: the day of the suspension is not billed,
 *   the day of the reactivation is; a suspension lifted the same day it began excludes nothing.
 *   Days of a closed period never change: a suspension only ever starts or ends on the current
 *   local date, which no closed statement covers.
 * - ingest: the account's access state (`account_access`: suspended? which mode?), read by every
 *   gateway's device registry within ~1 s; `reject` mode refuses the devices at login.
 * - events: `account.suspension_warning`, `account.suspended`, `account.reactivated` (keyed by
 *   the decision id, so published once).
 *
 * Time is always passed in (`now`), never read from the clock.
 */
import { createHash } from 'node:crypto';
import { localDateOf } from '../rating/calendar.ts';
import type { RatingConfigStore } from '../rating/config-store.ts';
import { readAccess, writeAccess } from '../store/account-access.ts';
import { sqlString } from '../store/sql.ts';
import type { Store } from '../store/types.ts';
import type { BillingAccount, BillingAccounts } from './accounts.ts';
import type { Balance } from './allocation.ts';
import { billingError } from './errors.ts';
import type { BillingEventInput, BillingEvents, BillingEventType } from './events.ts';
import type { PaymentLedger } from './payments.ts';
import { type CurrentState, type DecisionKind, type DecisionSource, type OverrideInput, type SuspensionState, decide, stateAfter } from './policy.ts';
import { DECISIONS_TABLE, OVERRIDES_TABLE } from './schema.ts';

export interface DecisionRecord {
  readonly id: string;
  readonly accountId: string;
  readonly seq: number;
  readonly kind: DecisionKind;
  readonly source: DecisionSource;
  /** Epoch ms it was decided. */
  readonly at: number;
  /** Local date it took effect. */
  readonly on: string;
  readonly reason: string;
  readonly facts: { readonly [key: string]: unknown };
}

export interface Override {
  readonly accountId: string;
  readonly state: 'active' | 'suspended';
  readonly reason: string;
  readonly expiresAt: number;
  readonly setAt: number;
  readonly keyId: string;
}

export interface SuspensionStatus {
  readonly accountId: string;
  readonly state: SuspensionState;
  readonly mode: 'store' | 'reject';
  /** The decision that put the account in its state (null: never decided anything). */
  readonly since: DecisionRecord | null;
  /** The override in force at `now` (expired ones are not shown). */
  readonly override: Override | null;
}

export interface EvaluateAllResult {
  readonly accounts: number;
  readonly decisions: DecisionRecord[];
  readonly failed: { accountId: string; error: string }[];
}

const EVENT_OF: { readonly [K in DecisionKind]: BillingEventType | null } = {
  warning: 'account.suspension_warning',
  suspended: 'account.suspended',
  reactivated: 'account.reactivated',
  cleared: null,
};

export function decisionId(accountId: string, seq: number, kind: DecisionKind, on: string): string {
  return 'dec_' + createHash('sha256').update([accountId, String(seq), kind, on].join('\0')).digest('hex').slice(0, 24);
}

interface DecisionRow {
  seq: number;
  decision_id: string;
  kind: string;
  source: string;
  at_ms: string;
  on_day: string;
  reason: string;
  facts: string;
}

export interface SuspensionDeps {
  readonly store: Store;
  readonly accounts: BillingAccounts;
  readonly ledger: PaymentLedger;
  readonly events: BillingEvents;
  readonly ratingConfig: RatingConfigStore;
  /** Called after rating configuration changed (e.g. to refresh the API's snapshot at once). */
  readonly onRatingChange?: () => void;
}

export class SuspensionService {
  constructor(private readonly deps: SuspensionDeps) {}

  private async requireAccount(accountId: string): Promise<BillingAccount> {
    const a = await this.deps.accounts.account(accountId);
    if (a === undefined) throw billingError('FM_BILLING_UNKNOWN_ACCOUNT', `account ${JSON.stringify(accountId)} not found`, { accountId });
    return a;
  }

  /** The account's decisions in order (the earliest row per seq). */
  async decisions(accountId: string): Promise<DecisionRecord[]> {
    const rows = await this.deps.store.query<DecisionRow>(
      `SELECT seq, decision_id, kind, source, toString(ts) AS at_ms, toString(on_date) AS on_day, reason, facts FROM ${DECISIONS_TABLE} WHERE account_id = ${sqlString(accountId)} ORDER BY seq, ts, decision_id`,
    );
    const out: DecisionRecord[] = [];
    for (const r of rows) {
      const seq = Number(r.seq);
      if (out.length > 0 && out[out.length - 1].seq === seq) continue;
      out.push({ id: r.decision_id, accountId, seq, kind: r.kind as DecisionKind, source: r.source as DecisionSource, at: Number(r.at_ms), on: r.on_day, reason: r.reason, facts: JSON.parse(r.facts) as { [key: string]: unknown } });
    }
    return out;
  }

  /**
   * Every account's state, from the last decision of its log (the earliest row of its highest
   * `seq`, as `decisions` reads it), in one query; accounts never decided on are active.
   */
  async states(accountIds: readonly string[]): Promise<Map<string, SuspensionState>> {
    const out = new Map<string, SuspensionState>(accountIds.map((id) => [id, 'active']));
    const rows = await this.deps.store.query<{ account_id: string; kind: string }>(
      `SELECT account_id, kind FROM ${DECISIONS_TABLE} ORDER BY account_id, seq DESC, ts, decision_id LIMIT 1 BY account_id`,
    );
    for (const r of rows) if (out.has(r.account_id)) out.set(r.account_id, stateAfter(r.kind as DecisionKind));
    return out;
  }

  async listDecisions(accountId: string): Promise<DecisionRecord[]> {
    await this.requireAccount(accountId);
    return this.decisions(accountId);
  }

  /** The latest override row (cleared ones included), or null. */
  private async overrideRow(accountId: string): Promise<(Override & { cleared: boolean; version: number }) | null> {
    const rows = await this.deps.store.query<{ state: string; reason: string; expires: string; set_at: string; key_id: string; cleared: number; v: string }>(
      `SELECT state, reason, toString(expires_ts) AS expires, toString(set_ts) AS set_at, key_id, cleared, toString(version) AS v FROM ${OVERRIDES_TABLE} WHERE account_id = ${sqlString(accountId)} ORDER BY version DESC LIMIT 1`,
    );
    if (rows.length === 0) return null;
    const r = rows[0];
    return { accountId, state: r.state === 'suspended' ? 'suspended' : 'active', reason: r.reason, expiresAt: Number(r.expires), setAt: Number(r.set_at), keyId: r.key_id, cleared: Number(r.cleared) === 1, version: Number(r.v) };
  }

  /** The override in force at `now`, or null. */
  async override(accountId: string, now: number): Promise<Override | null> {
    const o = await this.overrideRow(accountId);
    if (o === null || o.cleared || o.expiresAt <= now) return null;
    const { cleared: _c, version: _v, ...rest } = o;
    return rest;
  }

  async status(accountId: string, now: number): Promise<SuspensionStatus> {
    const account = await this.requireAccount(accountId);
    const log = await this.decisions(accountId);
    const last = log.length > 0 ? log[log.length - 1] : null;
    return { accountId, state: last === null ? 'active' : stateAfter(last.kind), mode: account.terms.suspensionMode, since: last, override: await this.override(accountId, now) };
  }

  /** Sets a manual override (it beats the policy until `expiresAt`) and evaluates at once. */
  async setOverride(accountId: string, o: { state: 'active' | 'suspended'; reason: string; expiresAt: number }, keyId: string, now: number): Promise<{ override: Override; decisions: DecisionRecord[] }> {
    await this.requireAccount(accountId);
    if (o.expiresAt <= now) throw billingError('FM_BILLING_BAD_DATE', `expiresAt: must be in the future (now ${new Date(now).toISOString()}), got ${new Date(o.expiresAt).toISOString()}`, { field: 'expiresAt' });
    const prev = await this.overrideRow(accountId);
    const version = Math.max(now, (prev?.version ?? 0) + 1);
    await this.deps.store.insert(OVERRIDES_TABLE, [{ account_id: accountId, state: o.state, reason: o.reason, expires_ts: o.expiresAt, set_ts: now, key_id: keyId, cleared: 0, version }]);
    const decisions = await this.evaluate(accountId, now);
    return { override: { accountId, state: o.state, reason: o.reason, expiresAt: o.expiresAt, setAt: now, keyId }, decisions };
  }

  /** Clears the override in force (FM_BILLING_NO_OVERRIDE when none) and evaluates at once. */
  async clearOverride(accountId: string, keyId: string, now: number): Promise<{ cleared: Override; decisions: DecisionRecord[] }> {
    await this.requireAccount(accountId);
    const cur = await this.override(accountId, now);
    if (cur === null) throw billingError('FM_BILLING_NO_OVERRIDE', `account ${accountId} has no override in force`, { accountId });
    const prev = await this.overrideRow(accountId);
    const version = Math.max(now, (prev?.version ?? 0) + 1);
    await this.deps.store.insert(OVERRIDES_TABLE, [{ account_id: accountId, state: cur.state, reason: cur.reason, expires_ts: cur.expiresAt, set_ts: cur.setAt, key_id: keyId, cleared: 1, version }]);
    return { cleared: cur, decisions: await this.evaluate(accountId, now) };
  }

  /**
   * Runs the policy for one account at `now`: records what changed (nothing when nothing did) and
   * applies the effects. Returns the decisions recorded by this call.
   */
  async evaluate(accountId: string, now: number): Promise<DecisionRecord[]> {
    const account = await this.requireAccount(accountId);
    const balance = await this.deps.ledger.balance(accountId, now);
    return this.evaluateWith(account, balance, now);
  }

  /** Every account (one failing does not stop the others). */
  async evaluateAll(now: number): Promise<EvaluateAllResult> {
    const ids = await this.deps.accounts.accountIds();
    const decisions: DecisionRecord[] = [];
    const failed: { accountId: string; error: string }[] = [];
    const chunk = 200;
    for (let i = 0; i < ids.length; i += chunk) {
      const accounts: BillingAccount[] = [];
      for (const id of ids.slice(i, i + chunk)) {
        const a = await this.deps.accounts.account(id);
        if (a !== undefined) accounts.push(a);
      }
      const balances = await this.deps.ledger.balances(accounts, now);
      for (const a of accounts) {
        try {
          decisions.push(...(await this.evaluateWith(a, balances.get(a.id)!, now)));
        } catch (err) {
          failed.push({ accountId: a.id, error: (err as Error).message });
        }
      }
    }
    return { accounts: ids.length, decisions, failed };
  }

  private async evaluateWith(account: BillingAccount, balance: Balance, now: number): Promise<DecisionRecord[]> {
    const accountId = account.id;
    const log = await this.decisions(accountId);
    const last = log.length > 0 ? log[log.length - 1] : null;
    const current: CurrentState = { state: last === null ? 'active' : stateAfter(last.kind), warnedOn: last?.kind === 'warning' ? last.on : null };
    const o = await this.override(accountId, now);
    const override: OverrideInput | null = o === null ? null : { state: o.state, reason: o.reason, expiresAt: o.expiresAt };
    const today = localDateOf(now, account.timeZone);
    const made = decide({ today, settings: account.terms, balance, current, override });
    const recorded: DecisionRecord[] = [];
    let seq = last?.seq ?? 0;
    for (const d of made) {
      seq += 1;
      const rec: DecisionRecord = { id: decisionId(accountId, seq, d.kind, d.on), accountId, seq, kind: d.kind, source: d.source, at: now, on: d.on, reason: d.reason, facts: d.facts };
      await this.deps.store.insert(DECISIONS_TABLE, [{ account_id: accountId, seq, decision_id: rec.id, kind: rec.kind, source: rec.source, ts: now, on_date: rec.on, reason: rec.reason, facts: JSON.stringify(rec.facts) }]);
      const winner = (await this.decisions(accountId)).find((x) => x.seq === seq);
      if (winner?.id !== rec.id) break; // another instance decided this step first; its view stands
      recorded.push(winner.at === now ? rec : winner);
      log.push(winner);
    }
    await this.applyEffects(account, log, now);
    return recorded;
  }

  /** Brings rating suspensions, the access state and events in line with the decision log. */
  private async applyEffects(account: BillingAccount, log: readonly DecisionRecord[], now: number): Promise<void> {
    const accountId = account.id;
    // Rating: one suspension per suspending decision, ended by the next reactivation.
    const wanted: { id: string; from: string; to: string | null; cancelled: boolean }[] = [];
    for (let i = 0; i < log.length; i++) {
      if (log[i].kind !== 'suspended') continue;
      const end = log.slice(i + 1).find((d) => d.kind === 'reactivated');
      const from = log[i].on;
      const to = end === undefined ? null : end.on;
      wanted.push(to !== null && to <= from ? { id: log[i].id, from, to: null, cancelled: true } : { id: log[i].id, from, to, cancelled: false });
    }
    if (wanted.length > 0) {
      const rows = await this.deps.store.query<{ suspension_id: string; from_text: string; to_text: string; cancelled: number; recorded: string }>(
        `SELECT suspension_id, toString(from_date) AS from_text, if(isNull(to_date), '', toString(assumeNotNull(to_date))) AS to_text, cancelled, toString(recorded_at) AS recorded FROM rating_suspensions WHERE account_id = ${sqlString(accountId)}`,
      );
      const stored = new Map<string, { from: string; to: string | null; cancelled: boolean; at: number }>();
      for (const r of rows) {
        const cur = stored.get(r.suspension_id);
        if (cur === undefined || Number(r.recorded) > cur.at) stored.set(r.suspension_id, { from: r.from_text, to: r.to_text === '' ? null : r.to_text, cancelled: Number(r.cancelled) === 1, at: Number(r.recorded) });
      }
      let changed = false;
      for (const w of wanted) {
        const s = stored.get(w.id);
        if (s !== undefined && s.from === w.from && s.to === w.to && s.cancelled === w.cancelled) continue;
        await this.deps.ratingConfig.putSuspension({ id: w.id, accountId, deviceId: null, from: w.from, to: w.to, cancelled: w.cancelled, recordedAt: Math.max(now, (s?.at ?? 0) + 1) });
        changed = true;
      }
      if (changed) this.deps.onRatingChange?.();
    }
    // Ingest: the access state.
    const last = log.length > 0 ? log[log.length - 1] : null;
    const suspended = last !== null && stateAfter(last.kind) === 'suspended';
    const mode = account.terms.suspensionMode;
    const reason = suspended ? last!.reason : '';
    const access = await readAccess(this.deps.store, accountId);
    if (access === null ? suspended : access.suspended !== suspended || access.mode !== mode || access.reason !== reason) {
      await writeAccess(this.deps.store, { accountId, suspended, mode, reason }, Math.max(now, (access?.version ?? 0) + 1));
    }
    // Events: the decisions of this evaluation and the last one before (publishing is idempotent).
    const events: BillingEventInput[] = [];
    for (const d of log.slice(-3)) {
      const type = EVENT_OF[d.kind];
      if (type === null) continue;
      events.push({ type, key: d.id, accountId, subject: accountId, data: { decisionId: d.id, accountId, kind: d.kind, source: d.source, on: d.on, reason: d.reason, facts: d.facts, mode } });
    }
    await this.deps.events.publish(events);
  }
}
