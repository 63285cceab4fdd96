/**
 * The rating plan of one account for one period: which device is billable when, under which
 * tariff version. Pure: configuration in, intervals out; no presence, no money.
 *
 * - A *segment* is a maximal run of local days during which a tariff version is in effect for the
 *   account (its own tariff or a member device's override). Statement lines are per segment.
 * - A *piece* is a run of local days of one device under one version, not suspended, intersected
 *   with the device's time on the account (UTC intervals). Units are counted inside pieces only.
 */
import type { Account, ConfigIndex } from './assignments.ts';
import { type Period, assertPeriod, dayBoundaries, periodDates } from './calendar.ts';
import { type TariffVersion, versionKey } from './tariff.ts';
import type { IsoDate } from './time.ts';
import type { Interval } from './units.ts';

export interface Segment {
  /** `tariffId@version/from..to`: stable across recomputations, the line reference. */
  readonly ref: string;
  readonly version: TariffVersion;
  readonly from: IsoDate;
  readonly to: IsoDate;
  /** Day indexes into the period, [fromIdx, toIdx). */
  readonly fromIdx: number;
  readonly toIdx: number;
}

export interface Piece {
  readonly deviceId: string;
  /** null = the device had no tariff on these days (reported, never billed). */
  readonly version: TariffVersion | null;
  readonly segment: Segment | null;
  readonly fromIdx: number;
  readonly toIdx: number;
  readonly intervals: readonly Interval[];
}

export interface AccountPlan {
  readonly account: Account;
  readonly period: Period;
  readonly dates: readonly IsoDate[];
  /** Local midnights: bounds[i] is the start of dates[i]; bounds[n] the end of the period. */
  readonly bounds: readonly number[];
  /** Devices with any time on the account in the period, sorted, with their intervals. */
  readonly members: ReadonlyMap<string, readonly Interval[]>;
  readonly segments: readonly Segment[];
  readonly pieces: readonly Piece[];
}

/** The parts of `intervals` inside [from, to). */
export function clip(intervals: readonly Interval[], from: number, to: number): Interval[] {
  const out: Interval[] = [];
  for (const iv of intervals) {
    const a = Math.max(iv.from, from);
    const b = Math.min(iv.to, to);
    if (b > a) out.push({ from: a, to: b });
  }
  return out;
}

export function buildPlan(config: ConfigIndex, accountId: string, period: Period): AccountPlan {
  assertPeriod(period);
  const account = config.account(accountId);
  const zone = account.timeZone;
  const dates = periodDates(period);
  const bounds = dayBoundaries(period, zone);
  const n = dates.length;
  const start = bounds[0];
  const end = bounds[n];

  const members = new Map<string, Interval[]>();
  for (const deviceId of config.devicesEverOn(accountId)) {
    const iv = config.membershipOn(deviceId, accountId, start, end);
    if (iv.length > 0) members.set(deviceId, iv);
  }

  // Per day: which versions are in effect (for segments), per device: version and suspension.
  const inEffect: Map<string, TariffVersion>[] = dates.map(() => new Map());
  const accountVersions = dates.map((d) => config.accountVersion(accountId, d));
  // A version is in effect on a day if the account has it, or a member device's override does.
  accountVersions.forEach((v, i) => v && inEffect[i].set(versionKey(v), v));
  const accountSuspended = dates.map((d) => config.suspended(accountId, null, d));

  interface DevDays {
    readonly versions: (TariffVersion | null)[];
    readonly billable: boolean[];
  }
  const devDays = new Map<string, DevDays>();
  for (const [deviceId, iv] of members) {
    // Most devices just follow the account: share its daily versions, skip per-day lookups.
    const own = config.hasDeviceTerms(accountId, deviceId);
    const versions: (TariffVersion | null)[] = [];
    const billable: boolean[] = [];
    let k = 0;
    for (let i = 0; i < n; i++) {
      while (k < iv.length && iv[k].to <= bounds[i]) k++;
      const member = k < iv.length && iv[k].from < bounds[i + 1];
      const v = !member ? null : own ? config.versionFor(accountId, deviceId, dates[i]) : accountVersions[i];
      versions.push(v);
      billable.push(member && !accountSuspended[i] && (!own || !config.suspended(accountId, deviceId, dates[i])));
      if (v && own) inEffect[i].set(versionKey(v), v);
    }
    devDays.set(deviceId, { versions, billable });
  }

  // Segments: maximal runs of days per version key.
  const segments: Segment[] = [];
  const segmentOf = new Map<string, Segment>(); // `${key}|${dayIdx}` → segment
  const keys = new Set<string>();
  for (const m of inEffect) for (const k of m.keys()) keys.add(k);
  for (const key of [...keys].sort()) {
    let i = 0;
    while (i < n) {
      if (!inEffect[i].has(key)) {
        i++;
        continue;
      }
      let j = i;
      while (j < n && inEffect[j].has(key)) j++;
      const version = inEffect[i].get(key)!;
      const to = j < n ? dates[j] : period.to;
      const seg: Segment = { ref: `${key}/${dates[i]}..${to}`, version, from: dates[i], to, fromIdx: i, toIdx: j };
      segments.push(seg);
      for (let d = i; d < j; d++) segmentOf.set(`${key}|${d}`, seg);
      i = j;
    }
  }
  segments.sort((a, b) => a.fromIdx - b.fromIdx || (a.ref < b.ref ? -1 : 1));

  // Pieces: per device, runs of billable days with the same version (or none).
  const pieces: Piece[] = [];
  for (const [deviceId, dd] of devDays) {
    const iv = members.get(deviceId)!;
    let i = 0;
    while (i < n) {
      if (!dd.billable[i]) {
        i++;
        continue;
      }
      const v = dd.versions[i];
      const key = v ? versionKey(v) : null;
      let j = i + 1;
      // Versions are shared objects from the index: identity is equality.
      while (j < n && dd.billable[j] && dd.versions[j] === v) j++;
      const intervals = clip(iv, bounds[i], bounds[j]);
      if (intervals.length > 0) pieces.push({ deviceId, version: v, segment: key ? segmentOf.get(`${key}|${i}`)! : null, fromIdx: i, toIdx: j, intervals });
      i = j;
    }
  }

  return { account, period, dates, bounds, members, segments, pieces };
}
