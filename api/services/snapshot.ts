/**
 * The configuration the API reads, held in memory as one immutable snapshot: rating
 * configuration (accounts, device → account history, tariff versions and assignments,
 * suspensions) indexed by rating's `ConfigIndex`, the device registry, and account profiles.
 *
 * Fresh within ~1 s everywhere: a cheap signature query (row counts and newest versions of each
 * table) runs every `pollMs`; a change triggers a reload in the background while readers keep the
 * previous snapshot. Read-your-writes in this process: a write through the API calls
 * `invalidate()`, and the next `get()` waits for a snapshot loaded after it.
 */
import { allowedProtocols } from '../../store/devices.ts';
import type { Logger } from 'pino';
import { ConfigIndex, type DeviceAssignment, type RatingConfig, type TariffAssignment, timeline } from '../../rating/assignments.ts';
import { type Period, localMidnight } from '../../rating/calendar.ts';
import { type AccountPlan, buildPlan } from '../../rating/plan.ts';
import type { RatingService } from '../../rating/service.ts';
import type { Store } from '../../store/types.ts';
import { type AccountStatus, type BillingSettings, DEFAULT_BILLING } from '../schemas/accounts.ts';

export interface RegistryDevice {
  readonly deviceId: string;
  readonly protocol: string;
  /** Every protocol it may log in with, `protocol` first. */
  readonly protocols: readonly string[];
  readonly status: 'active' | 'blocked';
  readonly hasPassword: boolean;
  readonly updatedAt: number;
}

export interface AccountProfile {
  readonly id: string;
  readonly externalId: string | null;
  readonly name: string;
  readonly timeZone: string;
  readonly currency: string;
  readonly billing: BillingSettings;
  readonly status: AccountStatus;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface CurrentAssignment {
  readonly accountId: string;
  readonly since: string;
}

const SIGNATURE_SQL = [
  ['rating_accounts', 'recorded_at'],
  ['rating_device_accounts', 'recorded_at'],
  ['rating_tariff_versions', 'recorded_at'],
  ['rating_tariff_assignments', 'recorded_at'],
  ['rating_suspensions', 'recorded_at'],
  ['devices', 'version'],
  ['api_accounts', 'version'],
]
  .map(([t, v]) => `SELECT '${t}' AS t, toString(count()) AS n, toString(max(${v})) AS v FROM ${t}`)
  .join(' UNION ALL ');

export class Snapshot {
  private readonly plans = new Map<string, AccountPlan>();
  private assignmentsByDevice: Map<string, DeviceAssignment[]> | null = null;
  private tariffAssignmentsByAccount: Map<string, TariffAssignment[]> | null = null;
  private sortedDeviceIds: string[] | null = null;
  private readonly timelines = new Map<string, DeviceAssignment[]>();
  private onAccountCache: { at: number; counts: Map<string, number> } | null = null;

  constructor(
    readonly generation: number,
    readonly raw: RatingConfig,
    readonly index: ConfigIndex,
    readonly devices: ReadonlyMap<string, RegistryDevice>,
    readonly profiles: ReadonlyMap<string, AccountProfile>,
    readonly loadedAt: number,
  ) {}

  /** The rating plan of an account for a period (cached for the snapshot's life). */
  plan(accountId: string, period: Period): AccountPlan {
    const key = `${accountId}\u0000${period.from}\u0000${period.to}`;
    let p = this.plans.get(key);
    if (p === undefined) {
      p = buildPlan(this.index, accountId, period);
      if (this.plans.size >= 20_000) this.plans.clear();
      this.plans.set(key, p);
    }
    return p;
  }

  hasAccount(id: string): boolean {
    return this.index.hasAccount(id);
  }

  profile(id: string): AccountProfile | undefined {
    const p = this.profiles.get(id);
    if (p !== undefined) return p;
    if (!this.index.hasAccount(id)) return undefined;
    // An account rating knows but the API never profiled (bulk import): defaults.
    const a = this.index.account(id);
    return { id, externalId: null, name: a.name, timeZone: a.timeZone, currency: a.currency, billing: DEFAULT_BILLING, status: 'active', createdAt: 0, updatedAt: 0 };
  }

  accountIds(): string[] {
    return this.index.accountIds();
  }

  /** Registered devices, sorted by id. */
  registeredIds(): string[] {
    this.sortedDeviceIds ??= [...this.devices.keys()].sort();
    return this.sortedDeviceIds;
  }

  /** A device's raw account assignments (every record), by effective date then record time. */
  deviceAssignments(deviceId: string): DeviceAssignment[] {
    if (this.assignmentsByDevice === null) {
      const m = new Map<string, DeviceAssignment[]>();
      for (const a of this.raw.deviceAssignments) {
        const list = m.get(a.deviceId);
        if (list) list.push(a);
        else m.set(a.deviceId, [a]);
      }
      for (const list of m.values()) list.sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : a.effectiveFrom > b.effectiveFrom ? 1 : a.recordedAt - b.recordedAt));
      this.assignmentsByDevice = m;
    }
    return this.assignmentsByDevice.get(deviceId) ?? [];
  }

  /** The effective timeline: one entry per date, the latest record wins. */
  deviceTimeline(deviceId: string): DeviceAssignment[] {
    let tl = this.timelines.get(deviceId);
    if (tl === undefined) this.timelines.set(deviceId, (tl = timeline(this.deviceAssignments(deviceId))));
    return tl;
  }

  /** The account a device is on at `ms` (rating's own membership intervals, cached per snapshot). */
  accountIdAt(deviceId: string, ms: number): string | null {
    for (const m of this.index.memberships(deviceId)) if (m.from <= ms && ms < m.to) return m.accountId;
    return null;
  }

  tariffAssignments(accountId: string): TariffAssignment[] {
    if (this.tariffAssignmentsByAccount === null) {
      const m = new Map<string, TariffAssignment[]>();
      for (const t of this.raw.tariffAssignments) {
        const list = m.get(t.accountId);
        if (list) list.push(t);
        else m.set(t.accountId, [t]);
      }
      this.tariffAssignmentsByAccount = m;
    }
    return this.tariffAssignmentsByAccount.get(accountId) ?? [];
  }

  tariffIds(): string[] {
    return [...new Set(this.raw.tariffVersions.map((v) => v.tariffId))].sort();
  }

  /** The account a device is on at instant `ms`, with the effective date of that assignment. */
  accountAt(deviceId: string, ms: number): CurrentAssignment | null {
    let current: CurrentAssignment | null = null;
    let prevAccount: string | null = null;
    for (const e of this.deviceTimeline(deviceId)) {
      const zoneAccount = e.accountId ?? prevAccount;
      prevAccount = e.accountId;
      if (zoneAccount === null || !this.index.hasAccount(zoneAccount)) continue;
      if (localMidnight(e.effectiveFrom, this.index.account(zoneAccount).timeZone) > ms) break;
      current = e.accountId === null ? null : { accountId: e.accountId, since: e.effectiveFrom };
    }
    return current;
  }

  /** Devices on each account at `ms` (recomputed at most once a minute per snapshot). */
  deviceCounts(ms: number): Map<string, number> {
    if (this.onAccountCache !== null && Math.abs(ms - this.onAccountCache.at) < 60_000) return this.onAccountCache.counts;
    const counts = new Map<string, number>();
    const seen = new Set<string>();
    for (const a of this.raw.deviceAssignments) {
      if (seen.has(a.deviceId)) continue;
      seen.add(a.deviceId);
      const accountId = this.accountIdAt(a.deviceId, ms);
      if (accountId !== null) counts.set(accountId, (counts.get(accountId) ?? 0) + 1);
    }
    this.onAccountCache = { at: ms, counts };
    return counts;
  }
}

interface DeviceRow {
  device_id: string;
  protocol: string;
  protocols: string[];
  status: string;
  has_password: number;
  v: string;
}

interface ProfileRow {
  account_id: string;
  external_id: string;
  name: string;
  time_zone: string;
  currency: string;
  billing: string;
  status: string;
  created: string;
  v: string;
}

export interface SnapshotOptions {
  readonly pollMs?: number;
  readonly log?: Pick<Logger, 'warn' | 'info'>;
  readonly now?: () => number;
}

export class SnapshotSource {
  private snap: Snapshot | null = null;
  private requested = 1;
  private loadedFor = 0;
  private loading: Promise<void> | null = null;
  private signature = '';
  private generation = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly rating: RatingService,
    private readonly options: SnapshotOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The current snapshot; waits only when this process changed the configuration since the last load. */
  async get(): Promise<Snapshot> {
    const want = this.requested;
    while (this.loadedFor < want) await this.load();
    return this.snap!;
  }

  current(): Snapshot | null {
    return this.snap;
  }

  /** The snapshot if it is fresh for this process (no write since it loaded): the no-await path. */
  ready(): Snapshot | null {
    return this.loadedFor >= this.requested ? this.snap : null;
  }

  /** After a write through this process: the next `get()` sees it. */
  invalidate(): void {
    this.requested++;
  }

  async start(): Promise<void> {
    this.signature = await this.readSignature();
    await this.get();
    const pollMs = this.options.pollMs ?? 1000;
    this.timer = setInterval(() => {
      this.poll().catch((err: Error) => this.options.log?.warn({ err: err.message }, 'configuration poll failed; serving the cached snapshot'));
    }, pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    if (this.loading) return;
    const sig = await this.readSignature();
    if (sig === this.signature) return;
    this.signature = sig;
    this.invalidate();
    await this.load();
  }

  private async readSignature(): Promise<string> {
    const rows = await this.store.query<{ t: string; n: string; v: string }>(SIGNATURE_SQL);
    return rows
      .map((r) => `${r.t}:${r.n}:${r.v}`)
      .sort()
      .join('|');
  }

  private load(): Promise<void> {
    if (this.loading) return this.loading;
    const tag = this.requested;
    this.loading = this.loadNow()
      .then((snap) => {
        this.snap = snap;
        this.loadedFor = Math.max(this.loadedFor, tag);
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  private async loadNow(): Promise<Snapshot> {
    const startedAt = this.now();
    const [raw, deviceRows, profileRows] = await Promise.all([
      this.rating.config.load(),
      this.store.query<DeviceRow>("SELECT device_id, protocol, protocols, status, password_hash != '' AS has_password, toString(version) AS v FROM devices FINAL WHERE deleted = 0"),
      this.store.query<ProfileRow>('SELECT account_id, external_id, name, time_zone, currency, billing, status, toString(created_ts) AS created, toString(version) AS v FROM api_accounts FINAL'),
    ]);
    const devices = new Map<string, RegistryDevice>();
    for (const r of deviceRows) {
      devices.set(r.device_id, { deviceId: r.device_id, protocol: r.protocol, protocols: allowedProtocols(r.protocol, r.protocols ?? []), status: r.status === 'blocked' ? 'blocked' : 'active', hasPassword: Number(r.has_password) === 1, updatedAt: Number(r.v) });
    }
    const profiles = new Map<string, AccountProfile>();
    for (const r of profileRows) {
      profiles.set(r.account_id, {
        id: r.account_id,
        externalId: r.external_id === '' ? null : r.external_id,
        name: r.name,
        timeZone: r.time_zone,
        currency: r.currency,
        billing: { ...DEFAULT_BILLING, ...(JSON.parse(r.billing || '{}') as Partial<BillingSettings>) },
        status: r.status as AccountStatus,
        createdAt: Number(r.created),
        updatedAt: Number(r.v),
      });
    }
    return new Snapshot(++this.generation, raw, new ConfigIndex(raw), devices, profiles, startedAt);
  }
}
