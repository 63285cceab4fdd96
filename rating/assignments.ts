/**
 * Effective dating. Every assignment takes effect at the start of a calendar date in the account's
 * time zone and holds until the next one:
 * - device → account (`DeviceAssignment`; accountId null = unassigned). A move takes effect at the
 *   local midnight of the *new* account (of the old one when unassigning), so every instant belongs
 *   to at most one account and each account bills only its own part.
 * - account → tariff and (overriding it) device → tariff (`TariffAssignment`; at account level
 *   tariffId null = no tariff; at device level null = follow the account again).
 * - suspensions of an account or one of its devices, [from, to) in local dates (`Suspension`).
 * Re-recording the same key and date corrects it: the later `recordedAt` wins.
 */
import { localDateOf, localMidnight } from './calendar.ts';
import { ratingError } from './errors.ts';
import { type TariffVersion, versionOn } from './tariff.ts';
import type { IsoDate } from './time.ts';
import type { Interval } from './units.ts';

export interface Account {
  readonly id: string;
  readonly name: string;
  readonly timeZone: string;
  readonly currency: string;
}

export interface DeviceAssignment {
  readonly deviceId: string;
  readonly accountId: string | null;
  readonly effectiveFrom: IsoDate;
  readonly recordedAt: number;
}

export interface TariffAssignment {
  readonly accountId: string;
  /** null = the account's own tariff; a device id = an override for that device on this account. */
  readonly deviceId: string | null;
  readonly tariffId: string | null;
  readonly effectiveFrom: IsoDate;
  readonly recordedAt: number;
}

export interface Suspension {
  readonly id: string;
  readonly accountId: string;
  /** null = the whole account. */
  readonly deviceId: string | null;
  readonly from: IsoDate;
  /** Exclusive; null = until further notice. */
  readonly to: IsoDate | null;
  readonly cancelled: boolean;
  readonly recordedAt: number;
}

export interface RatingConfig {
  readonly accounts: readonly Account[];
  readonly deviceAssignments: readonly DeviceAssignment[];
  readonly tariffVersions: readonly TariffVersion[];
  readonly tariffAssignments: readonly TariffAssignment[];
  readonly suspensions: readonly Suspension[];
}

interface Dated {
  readonly effectiveFrom: IsoDate;
  readonly recordedAt: number;
}

/** One entry per effective date (latest recordedAt wins), ascending. */
export function timeline<T extends Dated>(items: readonly T[]): T[] {
  const byDate = new Map<IsoDate, T>();
  for (const it of items) {
    const cur = byDate.get(it.effectiveFrom);
    if (cur === undefined || it.recordedAt > cur.recordedAt || (it.recordedAt === cur.recordedAt && JSON.stringify(it) > JSON.stringify(cur))) byDate.set(it.effectiveFrom, it);
  }
  return [...byDate.values()].sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : 1));
}

/** The entry in effect on a date (latest effectiveFrom ≤ date), or undefined. */
export function entryOn<T extends Dated>(tl: readonly T[], date: IsoDate): T | undefined {
  let found: T | undefined;
  for (const e of tl) {
    if (e.effectiveFrom > date) break;
    found = e;
  }
  return found;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** A device's time on one account, as UTC instants. */
export interface Membership extends Interval {
  readonly accountId: string;
}

/** Indexed, resolved configuration: what a statement run reads. */
export class ConfigIndex {
  private readonly accounts = new Map<string, Account>();
  private readonly deviceTimelines: Map<string, DeviceAssignment[]>;
  private readonly devicesByAccount = new Map<string, Set<string>>();
  private readonly versions: Map<string, TariffVersion[]>;
  private readonly accountTariffs = new Map<string, TariffAssignment[]>();
  private readonly deviceTariffs = new Map<string, TariffAssignment[]>();
  private readonly suspensions = new Map<string, Suspension[]>();
  private readonly membershipCache = new Map<string, Membership[]>();

  constructor(config: RatingConfig) {
    for (const a of config.accounts) this.accounts.set(a.id, a);
    this.deviceTimelines = new Map([...groupBy(config.deviceAssignments, (d) => d.deviceId)].map(([k, v]) => [k, timeline(v)]));
    for (const [deviceId, tl] of this.deviceTimelines) {
      for (const e of tl) {
        if (e.accountId === null) continue;
        let s = this.devicesByAccount.get(e.accountId);
        if (!s) this.devicesByAccount.set(e.accountId, (s = new Set()));
        s.add(deviceId);
      }
    }
    this.versions = groupBy(config.tariffVersions, (v) => v.tariffId);
    for (const [key, list] of groupBy(config.tariffAssignments, (t) => `${t.accountId}\u0000${t.deviceId ?? ''}`)) {
      const tl = timeline(list);
      if (list[0].deviceId === null) this.accountTariffs.set(list[0].accountId, tl);
      else this.deviceTariffs.set(key, tl);
    }
    const latest = new Map<string, Suspension>();
    for (const s of config.suspensions) {
      const cur = latest.get(s.id);
      if (cur === undefined || s.recordedAt > cur.recordedAt) latest.set(s.id, s);
    }
    for (const s of [...latest.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      if (s.cancelled) continue;
      const list = this.suspensions.get(s.accountId);
      if (list) list.push(s);
      else this.suspensions.set(s.accountId, [s]);
    }
  }

  account(id: string): Account {
    const a = this.accounts.get(id);
    if (a === undefined) throw ratingError('FM_RATING_UNKNOWN_ACCOUNT', `no account ${JSON.stringify(id)}`);
    return a;
  }

  hasAccount(id: string): boolean {
    return this.accounts.has(id);
  }

  accountIds(): string[] {
    return [...this.accounts.keys()].sort();
  }

  /** Devices ever assigned to the account, sorted. */
  devicesEverOn(accountId: string): string[] {
    return [...(this.devicesByAccount.get(accountId) ?? [])].sort();
  }

  /**
   * A device's whole account history as UTC intervals. Each assignment starts at the local
   * midnight of its effective date in the zone of the account it moves to (or leaves, when
   * unassigning); starts are clamped to be non-decreasing.
   */
  memberships(deviceId: string): Membership[] {
    const hit = this.membershipCache.get(deviceId);
    if (hit) return hit;
    const tl = this.deviceTimelines.get(deviceId) ?? [];
    const starts: { accountId: string | null; at: number }[] = [];
    let prev: string | null = null;
    for (const e of tl) {
      const zoneAccount = e.accountId ?? prev;
      prev = e.accountId;
      if (zoneAccount === null) continue;
      const at = localMidnight(e.effectiveFrom, this.account(zoneAccount).timeZone);
      const last = starts.length > 0 ? starts[starts.length - 1].at : -Infinity;
      starts.push({ accountId: e.accountId, at: Math.max(at, last) });
    }
    const out: Membership[] = [];
    for (let i = 0; i < starts.length; i++) {
      const s = starts[i];
      const to = i + 1 < starts.length ? starts[i + 1].at : Infinity;
      if (s.accountId !== null && to > s.at) out.push({ accountId: s.accountId, from: s.at, to });
    }
    this.membershipCache.set(deviceId, out);
    return out;
  }

  /** The device's intervals on `accountId` clipped to [fromMs, toMs), merged, ascending. */
  membershipOn(deviceId: string, accountId: string, fromMs: number, toMs: number): Interval[] {
    const out: { from: number; to: number }[] = [];
    for (const m of this.memberships(deviceId)) {
      if (m.accountId !== accountId) continue;
      const from = Math.max(m.from, fromMs);
      const to = Math.min(m.to, toMs);
      if (to <= from) continue;
      const last = out[out.length - 1];
      if (last !== undefined && last.to >= from) last.to = Math.max(last.to, to);
      else out.push({ from, to });
    }
    return out;
  }

  /**
   * The first local date (the account's zone) on which the account had any assignment in effect: a
   * device on it, its own tariff, or a device tariff override on it. null: never any. Periods close
   * in order from the month of this date (docs/rating.md §12).
   */
  firstAssignedDate(accountId: string): IsoDate | null {
    const zone = this.account(accountId).timeZone;
    let first: IsoDate | null = null;
    const consider = (d: IsoDate) => {
      if (first === null || d < first) first = d;
    };
    for (const deviceId of this.devicesEverOn(accountId)) {
      const m = this.memberships(deviceId).find((x) => x.accountId === accountId);
      if (m !== undefined) consider(localDateOf(m.from, zone));
    }
    const overrides = [...this.deviceTariffs].filter(([k]) => k.startsWith(`${accountId}\u0000`)).map(([, tl]) => tl);
    for (const tl of [this.accountTariffs.get(accountId) ?? [], ...overrides]) {
      const e = tl.find((x) => x.tariffId !== null);
      if (e !== undefined) consider(e.effectiveFrom);
    }
    return first;
  }

  tariffVersions(tariffId: string): readonly TariffVersion[] {
    return this.versions.get(tariffId) ?? [];
  }

  /** The tariff version that rates `deviceId` on `accountId` on a local date (null = none). */
  versionFor(accountId: string, deviceId: string, date: IsoDate): TariffVersion | null {
    const override = entryOn(this.deviceTariffs.get(`${accountId}\u0000${deviceId}`) ?? [], date);
    const tariffId = override !== undefined && override.tariffId !== null ? override.tariffId : entryOn(this.accountTariffs.get(accountId) ?? [], date)?.tariffId ?? null;
    if (tariffId === null) return null;
    return versionOn(this.tariffVersions(tariffId), date);
  }

  /** The account-level tariff version on a date (null = none). */
  accountVersion(accountId: string, date: IsoDate): TariffVersion | null {
    const tariffId = entryOn(this.accountTariffs.get(accountId) ?? [], date)?.tariffId ?? null;
    return tariffId === null ? null : versionOn(this.tariffVersions(tariffId), date);
  }

  /** Whether the device has terms of its own on the account (a tariff override or a device suspension). */
  hasDeviceTerms(accountId: string, deviceId: string): boolean {
    if (this.deviceTariffs.has(`${accountId}\u0000${deviceId}`)) return true;
    for (const s of this.suspensions.get(accountId) ?? []) if (s.deviceId === deviceId) return true;
    return false;
  }

  /** Whether the device (or its whole account) is suspended on a local date. */
  suspended(accountId: string, deviceId: string | null, date: IsoDate): boolean {
    for (const s of this.suspensions.get(accountId) ?? []) {
      if (s.deviceId !== null && s.deviceId !== deviceId) continue;
      if (s.from <= date && (s.to === null || date < s.to)) return true;
    }
    return false;
  }
}
