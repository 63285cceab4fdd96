/**
 * The rating service: what the API layer and the CLI call. Reads configuration and closed
 * statements from ClickHouse, presence from a `PresenceSource` (the engine, for live figures that
 * include not-yet-flushed minutes; or storage alone), and produces live usage, draft and closed
 * statements. All rating math is in the pure modules it calls.
 *
 * Two kinds of presence read. Live (usage, drafts) may be answered by a read cache that lags
 * other instances' writes by its documented freshness. Money — closing a period (and the
 * adjustments it freezes), billing runs, reconcile — reads exactly (`{ exact: true }`: every row
 * committed to ClickHouse before the call, plus the engine's unflushed minutes), through `exact`.
 */
import type { Store } from '../store/types.ts';
import { adjustmentsFor } from './adjustments.ts';
import { newWriterId } from './engine.ts';
import { type Account, ConfigIndex, type DeviceAssignment, type Suspension, type TariffAssignment } from './assignments.ts';
import { type Period, assertPeriod, localMidnight, nextPeriod as nextPeriodAfter, periodText } from './calendar.ts';
import { RatingConfigStore } from './config-store.ts';
import { ratingError } from './errors.ts';
import { DEFAULT_IMPLAUSIBLE_TIME_POLICY, type ImplausibleTimePolicy } from './plausibility.ts';
import { type AccountPlan, buildPlan } from './plan.ts';
import { KIND_DEVICE_TIME, KIND_FALLBACK, type PresenceSet } from './presence.ts';
import { DEFAULT_PLAUSIBILITY, type PlausibilityRule } from './plausibility.ts';
import { type LoadOptions, type PresenceRowIn, type PresenceSource, type PresenceStorage, storageSource } from './presence-storage.ts';
import { ClickHousePresenceStorage } from './presence-store.ts';
import type { RawPresenceRow } from './presence.ts';
import { type PresenceDifference, comparePresence, recomputePresence, storedRawRows } from './reconcile.ts';
import { type AdjustmentLine, type StatementDoc, rateStatement, statementHash, statementJson, withAdjustments } from './statement.ts';
import { type ClosedStatement, StatementStore } from './statement-store.ts';
import type { TariffVersion } from './tariff.ts';
import { type IsoDate, dayToIso, isoToDay, monthOf } from './time.ts';
import { minutesWithin, utcDaysOf } from './units.ts';

export interface RatingServiceOptions {
  readonly store: Store;
  readonly presence: PresenceSource;
  readonly policy?: ImplausibleTimePolicy;
  /** How many most recent closed periods are re-rated for adjustments. Default 12. */
  readonly adjustmentLookback?: number;
  readonly now?: () => number;
  /** The rule the engine uses; reconcile must recompute with the same one. */
  readonly plausibility?: PlausibilityRule;
  /** Where a reconcile repair writes presence (a live read cache in front of ClickHouse absorbs it). Default: ClickHouse directly. */
  readonly presenceStorage?: PresenceStorage;
}

export interface ReconcileScope {
  readonly deviceIds: readonly string[];
  /** UTC days compared, [fromDay, toDay) as day indexes and dates. */
  readonly fromDay: number;
  readonly toDay: number;
  /** Read raw records whose partition day (records.day) is in [rowsFrom, rowsTo). */
  readonly rowsFrom: string;
  readonly rowsTo: string;
}

export interface ReconcileReport {
  readonly accountId: string;
  readonly period: Period;
  readonly status: 'draft' | 'closed';
  readonly devices: number;
  /** Presence recomputed from raw records vs persisted presence: bit-exact. */
  readonly presence: readonly PresenceDifference[];
  /**
   * The period rated from the raw records vs what is invoiced for it: the draft (open period) or
   * the closed snapshot plus every adjustment already issued for it (later closed statements and
   * the next open draft). Each entry is a line that would still have to change.
   */
  readonly statement: readonly AdjustmentLine[];
  readonly ok: boolean;
}

/** `reconcileStored`: the report, the scope it covered, and how many stored records it read. */
export interface StoredReconcile {
  /** With `repair`: the report after the repair. */
  readonly report: ReconcileReport;
  readonly scope: ReconcileScope;
  readonly rawRecords: number;
  /** With `repair`: what was written, and the presence differences found before writing it. */
  readonly repair: ReconcileRepair | null;
}

export interface ReconcileRepair {
  /** Differences found before the repair (what `report.presence` would have said without it). */
  readonly found: readonly PresenceDifference[];
  /** Presence rows written (device, UTC day, kind) and the minutes they added. */
  readonly rows: number;
  readonly minutes: number;
}

export interface StatementResult {
  readonly status: 'draft' | 'closed';
  /** Canonical JSON: serve these bytes as they are. */
  readonly json: string;
  /** SHA-256 of `json` (closed statements: the stored content hash). */
  readonly hash: string;
  readonly doc: StatementDoc;
}

export interface UsageReport {
  readonly accountId: string;
  readonly timeZone: string;
  readonly period: Period;
  readonly implausibleTimePolicy: ImplausibleTimePolicy;
  readonly devices: readonly {
    readonly deviceId: string;
    readonly onlineMinutes: number;
    readonly implausibleMinutes: number;
    /** Local days of the period with minutes on this account. */
    readonly days: readonly { readonly date: string; readonly onlineMinutes: number; readonly implausibleMinutes: number }[];
  }[];
}

/** What a period nobody was ever invoiced for counts as invoiced: no lines, no devices (its adjustments aside). */
function nothingInvoiced(recomputed: StatementDoc): StatementDoc {
  return { ...recomputed, lines: [], devices: [], adjustments: [] };
}

export class RatingService {
  private readonly store: Store;
  readonly config: RatingConfigStore;
  readonly statements: StatementStore;
  readonly policy: ImplausibleTimePolicy;
  private readonly presence: PresenceSource;
  /** The same presence, read exactly (past any cache that can lag): every read that fixes money. */
  private readonly exact: PresenceSource;
  /** Persisted presence only (what reconcile checks). */
  readonly persisted: PresenceSource;
  private readonly presenceStorage: PresenceStorage;
  private readonly rule: PlausibilityRule;
  private readonly lookback: number;
  private readonly now: () => number;

  constructor(options: RatingServiceOptions) {
    this.store = options.store;
    this.config = new RatingConfigStore(options.store);
    this.statements = new StatementStore(options.store);
    const presence = (this.presence = options.presence);
    this.exact = { load: (ids, from, to, o) => presence.load(ids, from, to, { ...o, exact: true }) };
    // Uncached (exact): reconcile checks storage itself, and must not share a read path it is checking.
    const stored = new ClickHousePresenceStorage(options.store, { cacheDeviceDays: 0 });
    this.persisted = storageSource(stored);
    this.presenceStorage = options.presenceStorage ?? stored;
    this.rule = options.plausibility ?? DEFAULT_PLAUSIBILITY;
    this.policy = options.policy ?? DEFAULT_IMPLAUSIBLE_TIME_POLICY;
    this.lookback = options.adjustmentLookback ?? 12;
    this.now = options.now ?? Date.now;
  }

  // ── configuration (writes) ────────────────────────────────────────────────────────────────
  putAccount(a: Account): Promise<void> {
    return this.config.putAccount(a, this.now());
  }
  assignDevice(deviceId: string, accountId: string | null, effectiveFrom: string): Promise<void> {
    const d: DeviceAssignment = { deviceId, accountId, effectiveFrom, recordedAt: this.now() };
    return this.config.assignDevice(d);
  }
  putTariffVersion(v: TariffVersion): Promise<'created' | 'unchanged'> {
    return this.config.putTariffVersion(v, this.now());
  }
  assignTariff(t: Omit<TariffAssignment, 'recordedAt'>): Promise<void> {
    return this.config.assignTariff({ ...t, recordedAt: this.now() });
  }
  putSuspension(s: Omit<Suspension, 'recordedAt'>): Promise<void> {
    return this.config.putSuspension({ ...s, recordedAt: this.now() });
  }

  async loadConfig(accountIds?: readonly string[]): Promise<ConfigIndex> {
    return new ConfigIndex(await this.config.load(accountIds));
  }

  // ── reads ─────────────────────────────────────────────────────────────────────────────────
  private async presenceFor(plans: readonly AccountPlan[], source: PresenceSource = this.presence, options?: LoadOptions): Promise<PresenceSet> {
    const ids = new Set<string>();
    let from = Infinity;
    let to = -Infinity;
    for (const p of plans) {
      for (const id of p.members.keys()) ids.add(id);
      const r = utcDaysOf(p.bounds[0], p.bounds[p.bounds.length - 1]);
      from = Math.min(from, r.fromDay);
      to = Math.max(to, r.toDay);
    }
    return source.load([...ids].sort(), Number.isFinite(from) ? from : 0, Number.isFinite(to) ? to : 0, options);
  }

  private async rate(config: ConfigIndex, accountId: string, period: Period, source: PresenceSource = this.presence): Promise<StatementDoc> {
    const plan = buildPlan(config, accountId, period);
    const presence = await this.presenceFor([plan], source);
    return rateStatement(plan, presence.view(this.policy), this.policy);
  }

  /** Live online minutes per device and local day (includes minutes not yet flushed by this instance's engine). */
  async usage(accountId: string, period: Period): Promise<UsageReport> {
    const config = await this.loadConfig([accountId]);
    const plan = buildPlan(config, accountId, period);
    const view = (await this.presenceFor([plan])).view(this.policy);
    const devices = [...plan.members.keys()].sort().map((deviceId) => {
      const iv = plan.members.get(deviceId)!;
      const online = (day: number) => view.online(deviceId, day);
      const implausible = (day: number) => view.implausible(deviceId, day);
      const days = plan.dates
        .map((date, i) => ({ date, onlineMinutes: minutesWithin(online, iv, plan.bounds[i], plan.bounds[i + 1]), implausibleMinutes: minutesWithin(implausible, iv, plan.bounds[i], plan.bounds[i + 1]) }))
        .filter((d) => d.onlineMinutes > 0 || d.implausibleMinutes > 0);
      return {
        deviceId,
        onlineMinutes: days.reduce((s, d) => s + d.onlineMinutes, 0),
        implausibleMinutes: days.reduce((s, d) => s + d.implausibleMinutes, 0),
        days,
      };
    });
    return { accountId, timeZone: plan.account.timeZone, period, implausibleTimePolicy: this.policy, devices };
  }

  /**
   * The statement of an account for a period: the frozen snapshot if closed, else a live draft.
   * The draft of the next open period (the one right after the last closed one) carries the
   * adjustments for late changes to closed periods.
   */
  async statement(accountId: string, period: Period): Promise<StatementResult> {
    return this.statementFrom(accountId, period, this.presence);
  }

  /** `statement` reading presence from `source` (live, or `exact` for a billing run). */
  private async statementFrom(accountId: string, period: Period, source: PresenceSource): Promise<StatementResult> {
    assertPeriod(period);
    const closed = (await this.statements.listClosed([accountId])).get(accountId) ?? [];
    const frozen = closed.find((c) => c.period.from === period.from && c.period.to === period.to);
    if (frozen) return { status: 'closed', json: frozen.json, hash: frozen.hash, doc: frozen.doc };
    const config = await this.loadConfig([accountId]);
    const draft = await this.rate(config, accountId, period, source);
    const adjustments = await this.adjustments(config, accountId, period, closed, source);
    const doc = withAdjustments(draft, adjustments);
    const json = statementJson(doc);
    return { status: 'draft', json, hash: statementHash(json), doc };
  }

  private async adjustments(config: ConfigIndex, accountId: string, period: Period, closed: readonly ClosedStatement[], source: PresenceSource = this.presence): Promise<AdjustmentLine[]> {
    const last = closed[closed.length - 1];
    if (last === undefined || last.period.to !== period.from) return [];
    const out: AdjustmentLine[] = [];
    const issuedFor = (p: Period) => closed.filter((x) => x.period.from > p.from).flatMap((x) => x.doc.adjustments.filter((a) => a.originalPeriod.from === p.from && a.originalPeriod.to === p.to));
    // Stranded periods were never invoiced: what was invoiced for them is nothing plus the adjustments already issued.
    for (const p of this.stranded(config, accountId, closed)) {
      const recomputed = await this.rate(config, accountId, p, source);
      out.push(...adjustmentsFor(nothingInvoiced(recomputed), issuedFor(p), recomputed));
    }
    for (const c of closed.slice(-this.lookback)) {
      const recomputed = await this.rate(config, accountId, c.period, source);
      out.push(...adjustmentsFor(c.doc, issuedFor(c.period), recomputed));
    }
    return out;
  }

  /**
   * Open months before the first closed period, from the month of the account's first assignment:
   * existing data where a later month was closed first (the old rule allowed it), or an assignment
   * backdated before the first closed period. They can never close (periods close in order); their
   * usage is billed as adjustments on the next open statement, with the closed periods'. None can
   * appear any more once closes are in order, so the list is finite; each is re-rated like a closed
   * period, whatever the lookback, so nothing of them is lost.
   */
  private stranded(config: ConfigIndex, accountId: string, closed: readonly ClosedStatement[]): Period[] {
    const first = closed[0];
    const assigned = config.firstAssignedDate(accountId);
    if (first === undefined || assigned === null) return [];
    const out: Period[] = [];
    for (let m = monthOf(assigned); m.from < first.period.from; m = monthOf(m.to)) out.push({ from: m.from, to: m.to < first.period.from ? m.to : first.period.from });
    return out;
  }

  /**
   * The first local date that must be closed next: where the last closed period ended, or, when
   * none is closed, the first day of the first month in which the account had an assignment (the
   * earliest open period that has one). null: nothing closed and never any assignment.
   */
  private closeFrom(config: ConfigIndex, accountId: string, closed: readonly ClosedStatement[]): IsoDate | null {
    const last = closed[closed.length - 1];
    if (last !== undefined) return last.period.to;
    const assigned = config.firstAssignedDate(accountId);
    return assigned === null ? null : monthOf(assigned).from;
  }

  /** For each account, the first local date of the period to close next (`close` refuses any later one); null: none assigned yet. */
  async nextToClose(accountIds: readonly string[]): Promise<Map<string, IsoDate | null>> {
    const config = await this.loadConfig(accountIds);
    const closed = await this.statements.listClosed(accountIds);
    return new Map(accountIds.map((id) => [id, this.closeFrom(config, id, closed.get(id) ?? [])]));
  }

  /**
   * Closes a period: freezes the draft (with its adjustments) as a snapshot with its SHA-256.
   * The period must have ended in the account's time zone, must not be closed yet, and periods close
   * in order: it must start where the last closed period ended, or — none closed yet — no later than
   * the first month in which the account had an assignment (FM_RATING_CLOSE_OUT_OF_ORDER, with
   * `details.earliestOpenPeriod`).
   */
  async close(accountId: string, period: Period): Promise<StatementResult> {
    assertPeriod(period);
    const config = await this.loadConfig([accountId]);
    const account = config.account(accountId);
    const now = this.now();
    const end = localMidnight(period.to, account.timeZone);
    if (now < end) throw ratingError('FM_RATING_PERIOD_NOT_ENDED', `period ${period.from}..${period.to} ends at ${new Date(end).toISOString()} in ${account.timeZone}; now is ${new Date(now).toISOString()}`);
    const closed = (await this.statements.listClosed([accountId])).get(accountId) ?? [];
    if (closed.some((c) => c.period.from === period.from && c.period.to === period.to)) throw ratingError('FM_RATING_ALREADY_CLOSED', `${accountId} ${period.from}..${period.to} is already closed`);
    // Periods close in order: an earlier open period that has an assignment would otherwise never close, its usage on no statement.
    const from = this.closeFrom(config, accountId, closed);
    const inOrder = from === null || (closed.length > 0 ? period.from === from : period.from <= from);
    if (!inOrder) {
      const next: Period = { from, to: monthOf(from).to };
      const stranded = closed.length > 0 && period.from < closed[0].period.from ? `; ${periodText(period)} is before the first closed period ${periodText(closed[0].period)}: its usage is billed as adjustments on the next open statement` : '';
      throw ratingError('FM_RATING_CLOSE_OUT_OF_ORDER', `periods of ${accountId} close in order: the next to close is ${periodText(next)}, not ${periodText(period)}${stranded}`, { earliestOpenPeriod: periodText(next) });
    }
    const draft = withAdjustments(await this.rate(config, accountId, period, this.exact), await this.adjustments(config, accountId, period, closed, this.exact));
    const doc: StatementDoc = { ...draft, status: 'closed', closedAt: new Date(now).toISOString() };
    const json = statementJson(doc);
    const hash = statementHash(json);
    await this.statements.insert({ accountId, period, closedAt: now, hash, json });
    return { status: 'closed', json, hash, doc };
  }

  /**
   * Draft statements for many accounts (a billing run): configuration loaded once, presence in one
   * read per chunk of accounts, so memory stays bounded by `chunkSize`. Accounts with closed
   * periods take the single-account path (closed snapshots, adjustments). Presence is read exactly:
   * a billing run is what gets invoiced.
   */
  async *billingRun(period: Period, accountIds?: readonly string[], chunkSize = 500): AsyncGenerator<StatementResult> {
    assertPeriod(period);
    const config = await this.loadConfig(accountIds);
    const ids = accountIds ? [...accountIds].sort() : config.accountIds();
    for (let i = 0; i < ids.length; i += chunkSize) {
      const chunk = ids.slice(i, i + chunkSize);
      const closed = await this.statements.listClosed(chunk);
      const simple = chunk.filter((id) => !closed.has(id));
      const plans = simple.map((id) => buildPlan(config, id, period));
      // Every device is read once, exactly: past the read cache, which would only churn.
      const presence = await this.presenceFor(plans, this.exact, { cache: false });
      const view = presence.view(this.policy);
      const results = new Map<string, StatementResult>();
      for (const plan of plans) {
        const doc = rateStatement(plan, view, this.policy);
        const json = statementJson(doc);
        results.set(plan.account.id, { status: 'draft', json, hash: statementHash(json), doc });
      }
      for (const id of chunk) yield results.get(id) ?? (await this.statementFrom(id, period, this.exact));
    }
  }

  // ── reconcile ─────────────────────────────────────────────────────────────────────────────
  /** Which raw records `reconcile` needs for an account-period. */
  async reconcileScope(accountId: string, period: Period): Promise<ReconcileScope> {
    const plan = buildPlan(await this.loadConfig([accountId]), accountId, period);
    const { fromDay, toDay } = utcDaysOf(plan.bounds[0], plan.bounds[plan.bounds.length - 1]);
    return { deviceIds: [...plan.members.keys()].sort(), fromDay, toDay, rowsFrom: dayToIso(fromDay - 1), rowsTo: dayToIso(toDay + 1) };
  }

  /**
   * Reconcile against the records stored in ClickHouse (`records FINAL`, streamed a bounded query
   * at a time: `storedRawRows`). What `fleetmeter reconcile` and the API's reconcile run.
   */
  async reconcileStored(accountId: string, period: Period, options: { readonly repair?: boolean } = {}): Promise<StoredReconcile> {
    const scope = await this.reconcileScope(accountId, period);
    const counter = { rows: 0 };
    const recomputed = await recomputePresence(storedRawRows(this.store, scope, counter), scope.deviceIds, scope.fromDay, scope.toDay, this.rule);
    const first = await this.reconcileWith(accountId, period, scope, recomputed);
    if (options.repair !== true) return { report: first, scope, rawRecords: counter.rows, repair: null };
    const written = await this.repairPresence(first.presence, recomputed);
    const report = written.rows === 0 ? first : await this.reconcileWith(accountId, period, scope, recomputed);
    return { report, scope, rawRecords: counter.rows, repair: { found: first.presence, ...written } };
  }

  /**
   * Writes the minutes the records prove and stored presence lacks (presence written before it
   * was committed with its records, or lost some other way), under a writer id of its own. A
   * closed statement is not touched: the added minutes reach the next open statement as an
   * adjustment, like any late usage (§ adjustments). Minutes stored but not explained by records
   * cannot be taken back (presence only grows) and stay reported.
   */
  private async repairPresence(differences: readonly PresenceDifference[], recomputed: PresenceSet): Promise<{ rows: number; minutes: number }> {
    const rows: PresenceRowIn[] = [];
    let minutes = 0;
    for (const d of differences) {
      if (d.missingInPersisted.length === 0) continue;
      const day = isoToDay(d.day);
      const kind = d.kind === 'device-time' ? KIND_DEVICE_TIME : KIND_FALLBACK;
      const p = recomputed.get(d.deviceId, day)!;
      rows.push({ deviceId: d.deviceId, day, kind, bits: kind === KIND_DEVICE_TIME ? p.device : p.fallback! });
      minutes += d.missingInPersisted.length;
    }
    if (rows.length > 0) await this.presenceStorage.save(rows, newWriterId());
    return { rows: rows.length, minutes };
  }

  /** Recomputes the period from raw records (see `reconcileScope`) and reports every difference. */
  async reconcile(accountId: string, period: Period, rows: Iterable<RawPresenceRow> | AsyncIterable<RawPresenceRow>): Promise<ReconcileReport> {
    const scope = await this.reconcileScope(accountId, period);
    return this.reconcileWith(accountId, period, scope, await recomputePresence(rows, scope.deviceIds, scope.fromDay, scope.toDay, this.rule));
  }

  private async reconcileWith(accountId: string, period: Period, scope: ReconcileScope, recomputed: PresenceSet): Promise<ReconcileReport> {
    const persisted = await this.persisted.load(scope.deviceIds, scope.fromDay, scope.toDay);
    const presence = comparePresence(recomputed, persisted, scope.deviceIds, scope.fromDay, scope.toDay);
    const config = await this.loadConfig([accountId]);
    const fromRaw = await this.rate(config, accountId, period, { load: async () => recomputed });
    const closedList = (await this.statements.listClosed([accountId])).get(accountId) ?? [];
    const closed = closedList.find((c) => c.period.from === period.from && c.period.to === period.to);
    // A stranded period (open, before the first closed one) is invoiced through adjustments only: compared like a closed one that billed nothing.
    const stranded = closed === undefined && this.stranded(config, accountId, closedList).some((p) => p.from === period.from && p.to === period.to);
    let statement: AdjustmentLine[];
    if (closed === undefined && !stranded) {
      statement = adjustmentsFor(await this.rate(config, accountId, period, this.persisted), [], fromRaw);
    } else {
      const issued = closedList.filter((c) => c.period.from > period.from).flatMap((c) => c.doc.adjustments);
      const last = closedList[closedList.length - 1];
      const next = nextPeriodAfter(last.period);
      const pending = (await this.adjustments(config, accountId, next, closedList, this.persisted));
      const mine = [...issued, ...pending].filter((a) => a.originalPeriod.from === period.from && a.originalPeriod.to === period.to);
      statement = adjustmentsFor(closed?.doc ?? nothingInvoiced(fromRaw), mine, fromRaw);
    }
    return { accountId, period, status: closed ? 'closed' : 'draft', devices: scope.deviceIds.length, presence, statement, ok: presence.length === 0 && statement.length === 0 };
  }
}
