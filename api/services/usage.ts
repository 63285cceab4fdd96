/**
 * Live usage for a device or an account: online minutes (the engine's memory ∪ stored presence),
 * billable units per tariff version, and money so far. Rated by rating's own functions on the
 * cached configuration snapshot, so it always agrees with the draft statement.
 *
 * Device usage is what billing systems poll, device by device: responses are cached as serialized
 * JSON and reused only while nothing they depend on changed — the configuration snapshot, the
 * device's cached stored presence (`presenceVersion`) and the records this process ingested for it
 * (`FleetTracker.seq`). A new record makes the next request recompute, so figures are as fresh as
 * the engine's memory (immediately after commit).
 */
import type { Period } from '../../rating/calendar.ts';
import { type AccountPlan } from '../../rating/plan.ts';
import { dayPlan, devicePlan } from '../../rating/plan-slices.ts';
import type { ImplausibleTimePolicy } from '../../rating/plausibility.ts';
import type { PresenceSource } from '../../rating/presence-storage.ts';
import type { PresenceView } from '../../rating/presence.ts';
import { applyVat, currency, dec, formatDecimal, formatMoney, sum } from '../../rating/pricing/index.ts';
import { type StatementDoc, rateStatement } from '../../rating/statement.ts';
import { minutesWithin, utcDaysOf } from '../../rating/units.ts';
import { notFound, rated } from '../errors.ts';
import type { AccountUsage, DeviceUsage, Granularity } from '../schemas/usage.ts';
import type { FleetTracker } from './fleet.ts';
import { usagePeriod } from './period.ts';
import type { Snapshot, SnapshotSource } from './snapshot.ts';

type Totals = { amount: string; vat: string; total: string };
type DayUnits = { tariffId: string; tariffVersion: number; unit: 'minute' | 'hour' | 'day' | 'month'; quantity: string };

export interface UsageOptions {
  readonly snapshots: SnapshotSource;
  readonly presence: PresenceSource;
  readonly tracker: FleetTracker;
  readonly policy: ImplausibleTimePolicy;
  /** Changes whenever stored presence of the device may have changed (CachedPresenceStorage.version); without it device results are not cached. */
  readonly presenceVersion?: (deviceId: string) => number;
  /** The version while the entry is exactly what one read created (CachedPresenceStorage.unchangedSinceRead), else -1. */
  readonly presenceUnchangedSinceRead?: (deviceId: string) => number;
  readonly maxCachedResponses?: number;
  readonly now?: () => number;
}

interface CachedResponse {
  readonly stamp: string;
  /** UTF-8 JSON, encoded once: served as is, with no per-request length scan or string encoding. */
  readonly body: Buffer;
}

export class UsageService {
  private readonly cache = new Map<string, CachedResponse>();
  private readonly maxCached: number;
  private readonly now: () => number;
  hits = 0;
  misses = 0;

  constructor(private readonly o: UsageOptions) {
    this.maxCached = o.maxCachedResponses ?? 200_000;
    this.now = o.now ?? Date.now;
  }

  /**
   * The device usage response body, UTF-8 JSON bytes (served as is). Bytes rather than text: a
   * cached answer is written to the socket without fastify measuring its UTF-8 length and Node
   * encoding it again on every request, and 100 000 cached answers sit outside the V8 heap.
   */
  async deviceUsageBody(deviceId: string, q: { from?: string; to?: string; granularity?: Granularity }): Promise<Buffer> {
    const snap = this.o.snapshots.ready() ?? (await this.o.snapshots.get());
    if (!snap.devices.has(deviceId) && snap.deviceAssignments(deviceId).length === 0) throw notFound('device', deviceId);
    const now = this.now();
    const zoneAccount = snap.accountIdAt(deviceId, now) ?? lastAccount(snap, deviceId);
    const zone = zoneAccount !== null ? snap.index.account(zoneAccount).timeZone : 'UTC';
    const period = usagePeriod(q, zone, now);
    const granularity = q.granularity ?? 'total';
    const key = `${deviceId}|${period.from}|${period.to}|${granularity}`;
    const version = this.o.presenceVersion?.(deviceId) ?? null;
    const seq = this.o.tracker.seq(deviceId);
    let stamp = version === null ? null : `${snap.generation}|${version}|${seq}`;
    if (stamp !== null) {
      const hit = this.cache.get(key);
      if (hit !== undefined && hit.stamp === stamp) {
        this.hits++;
        return hit.body;
      }
    }
    this.misses++;
    const body = Buffer.from(JSON.stringify(await this.deviceUsage(snap, deviceId, period, granularity)));
    if (version === -1) {
      // This computation's own read created the device's cache entry: if nothing changed it
      // since, the result belongs to that version (else it stays tagged -1, never reused).
      const created = this.o.presenceUnchangedSinceRead?.(deviceId) ?? -1;
      if (created !== -1) stamp = `${snap.generation}|${created}|${seq}`;
    }
    if (stamp !== null) this.remember(key, { stamp, body });
    return body;
  }

  /**
   * Computes the default response (this month, total) of every assigned device, a chunk at a time
   * in the background, so that polling starts from a warm cache (a server start, a new month).
   * Chunks run concurrently, so their presence reads are batched into a few queries.
   */
  async prewarm(chunk = 250): Promise<{ devices: number; ms: number }> {
    const started = this.now();
    const snap = await this.o.snapshots.get();
    const ids = [...new Set(snap.raw.deviceAssignments.map((a) => a.deviceId))];
    for (let i = 0; i < ids.length; i += chunk) {
      await Promise.all(ids.slice(i, i + chunk).map((id) => this.deviceUsageBody(id, {}).catch(() => undefined)));
      await new Promise((r) => setImmediate(r));
    }
    return { devices: ids.length, ms: this.now() - started };
  }

  private remember(key: string, value: CachedResponse): void {
    this.cache.delete(key);
    this.cache.set(key, value);
    if (this.cache.size > this.maxCached) {
      let drop = Math.ceil(this.maxCached / 10);
      for (const k of this.cache.keys()) {
        if (drop-- <= 0) break;
        this.cache.delete(k);
      }
    }
  }

  async deviceUsage(snap: Snapshot, deviceId: string, period: Period, granularity: Granularity): Promise<DeviceUsage> {
    const accountIds = [...new Set(snap.deviceAssignments(deviceId).flatMap((a) => (a.accountId !== null && snap.hasAccount(a.accountId) ? [a.accountId] : [])))];
    const slices: { plan: AccountPlan }[] = [];
    let fromDay = Infinity;
    let toDay = -Infinity;
    for (const accountId of accountIds) {
      const plan = await rated(() => devicePlan(snap.plan(accountId, period), deviceId));
      if (plan === null) continue;
      slices.push({ plan });
      const r = utcDaysOf(plan.bounds[0], plan.bounds[plan.bounds.length - 1]);
      fromDay = Math.min(fromDay, r.fromDay);
      toDay = Math.max(toDay, r.toDay);
    }
    const view = slices.length === 0 ? null : (await this.o.presence.load([deviceId], fromDay, toDay)).view(this.o.policy);
    const accounts = [];
    let online = 0;
    let implausible = 0;
    for (const { plan } of slices.sort((a, b) => a.plan.bounds[0] - b.plan.bounds[0])) {
      const doc = await rated(() => rateStatement(plan, view!, this.o.policy));
      const detail = doc.devices[0];
      online += detail.onlineMinutes;
      implausible += detail.implausibleMinutes;
      const cur = currency(plan.account.currency);
      const units = detail.units.map((u) => {
        const seg = plan.segments.find((s) => s.ref === u.ref)!;
        const def = seg.version.definition;
        const estimate =
          def.price.model === 'per-unit'
            ? moneyOf(applyVat(dec(u.quantity).times(dec(def.price.unitPrice)), dec(def.vatRate), def.pricesIncludeVat, cur), cur)
            : null;
        return { ref: u.ref, tariffId: seg.version.tariffId, tariffVersion: seg.version.version, unit: def.unit, segment: { from: seg.from, to: seg.to }, quantity: u.quantity, pricing: def.price.model, estimate };
      });
      const estimate = units.some((u) => u.estimate === null)
        ? null
        : {
            amount: formatMoney(sum(units.map((u) => dec(u.estimate!.amount))), cur),
            vat: formatMoney(sum(units.map((u) => dec(u.estimate!.vat))), cur),
            total: formatMoney(sum(units.map((u) => dec(u.estimate!.total))), cur),
          };
      accounts.push({
        accountId: plan.account.id,
        timeZone: plan.account.timeZone,
        currency: cur.code,
        onlineMinutes: detail.onlineMinutes,
        implausibleMinutes: detail.implausibleMinutes,
        units,
        estimate,
        ...(granularity === 'day' ? { days: await this.days(plan, view!) } : {}),
      });
    }
    return { deviceId, period, granularity, implausibleTimePolicy: this.o.policy, onlineMinutes: online, implausibleMinutes: implausible, accounts, computedAt: new Date(this.now()).toISOString() };
  }

  async accountUsage(accountId: string, q: { from?: string; to?: string; granularity?: Granularity }): Promise<AccountUsage> {
    const snap = await this.o.snapshots.get();
    if (!snap.hasAccount(accountId)) throw notFound('account', accountId);
    const account = snap.index.account(accountId);
    const period = usagePeriod(q, account.timeZone, this.now());
    const granularity = q.granularity ?? 'total';
    const plan = await rated(() => snap.plan(accountId, period));
    const ids = [...plan.members.keys()];
    const { fromDay, toDay } = utcDaysOf(plan.bounds[0], plan.bounds[plan.bounds.length - 1]);
    const view = (await this.o.presence.load(ids, fromDay, toDay)).view(this.o.policy);
    const doc: StatementDoc = await rated(() => rateStatement(plan, view, this.o.policy));
    return {
      accountId,
      timeZone: account.timeZone,
      currency: doc.currency,
      period,
      granularity,
      implausibleTimePolicy: this.o.policy,
      onlineMinutes: doc.devices.reduce((s, d) => s + d.onlineMinutes, 0),
      implausibleMinutes: doc.devices.reduce((s, d) => s + d.implausibleMinutes, 0),
      lines: doc.lines.map((l) => ({ kind: l.kind, ref: l.ref, tariffId: l.tariffId, tariffVersion: l.tariffVersion, unit: l.unit, segment: l.segment, quantity: l.quantity, amount: l.amount, vatRate: l.vatRate, vat: l.vat, total: l.total })),
      totals: doc.totals,
      devices: doc.devices.map((d) => ({ deviceId: d.deviceId, onlineMinutes: d.onlineMinutes, implausibleMinutes: d.implausibleMinutes, units: d.units.map((u) => ({ ref: u.ref, quantity: u.quantity })) })),
      unratedMinutes: doc.warnings.reduce((s, w) => s + w.minutes, 0),
      ...(granularity === 'day' ? { days: await this.days(plan, view) } : {}),
      computedAt: new Date(this.now()).toISOString(),
    };
  }

  /** Per local day: minutes of the plan's members, and their units per tariff version that day. */
  private async days(plan: AccountPlan, view: PresenceView) {
    const out = [];
    for (let i = 0; i < plan.dates.length; i++) {
      let online = 0;
      let implausible = 0;
      for (const [id, iv] of plan.members) {
        online += minutesWithin((day) => view.online(id, day), iv, plan.bounds[i], plan.bounds[i + 1]);
        implausible += minutesWithin((day) => view.implausible(id, day), iv, plan.bounds[i], plan.bounds[i + 1]);
      }
      const day = dayPlan(plan, i);
      const units = new Map<string, DayUnits & { q: ReturnType<typeof dec> }>();
      if (day.pieces.length > 0) {
        const doc = await rated(() => rateStatement(day, view, this.o.policy));
        const segs = new Map(day.segments.map((s) => [s.ref, s]));
        for (const d of doc.devices) {
          for (const u of d.units) {
            if (dec(u.quantity).isZero()) continue;
            const v = segs.get(u.ref)!.version;
            const k = `${v.tariffId}@${v.version}`;
            const cur = units.get(k);
            if (cur) cur.q = cur.q.plus(dec(u.quantity));
            else units.set(k, { tariffId: v.tariffId, tariffVersion: v.version, unit: v.definition.unit, quantity: '', q: dec(u.quantity) });
          }
        }
      }
      if (online === 0 && implausible === 0 && units.size === 0) continue;
      out.push({
        date: plan.dates[i],
        onlineMinutes: online,
        implausibleMinutes: implausible,
        units: [...units.values()].map(({ q, ...u }) => ({ ...u, quantity: formatDecimal(q) })),
      });
    }
    return out;
  }
}

function moneyOf(v: { amount: ReturnType<typeof dec>; vat: ReturnType<typeof dec>; total: ReturnType<typeof dec> }, cur: ReturnType<typeof currency>): Totals {
  return { amount: formatMoney(v.amount, cur), vat: formatMoney(v.vat, cur), total: formatMoney(v.total, cur) };
}

function lastAccount(snap: Snapshot, deviceId: string): string | null {
  const tl = snap.deviceTimeline(deviceId);
  for (let i = tl.length - 1; i >= 0; i--) {
    const id = tl[i].accountId;
    if (id !== null && snap.hasAccount(id)) return id;
  }
  return null;
}
