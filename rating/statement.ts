/**
 * Statements: one account, one period, invoice-ready. Lines per tariff version and segment, then
 * the period steps (included units, minimum charge), VAT per line, per-device detail for disputes.
 * Every value is a string (decimals) or an integer, keys are emitted in canonical order, devices
 * and lines are sorted: the same inputs always give byte-identical JSON.
 */
import { type Period, hourBoundaries, monthsOf } from './calendar.ts';
import { canonicalJson, sha256Hex } from './canonical-json.ts';
import { ratingError } from './errors.ts';
import type { ImplausibleTimePolicy } from './plausibility.ts';
import type { AccountPlan, Piece, Segment } from './plan.ts';
import type { PresenceView } from './presence.ts';
import {
  type Currency,
  type Dec,
  type PriceResult,
  ZERO,
  applyIncludedUnits,
  applyVat,
  currency,
  dec,
  formatDecimal,
  formatMoney,
  minimumTopUp,
  pricerFor,
  proratedQuantity,
  sum,
} from './pricing/index.ts';
import type { TariffVersion } from './tariff.ts';
import { isoToDay } from './time.ts';
import { type Interval, type Unit, activeBuckets, dayArrayLookup, minutesWithin, utcDaysOf } from './units.ts';

export const STATEMENT_FORMAT = 'fleetmeter.statement/1';

export type TierJson = {
  readonly tier: number;
  readonly from: string;
  readonly upTo: string | null;
  readonly quantity: string;
  readonly unitPrice: string;
  readonly flatFee: string;
  readonly amount: string;
};

export type PricingJson =
  | { readonly model: 'per-unit'; readonly unitPrice: string }
  | { readonly model: 'graduated' | 'volume'; readonly tiers: readonly TierJson[] };

export const LINE_KINDS = ['usage', 'included', 'minimum'] as const;
export type LineKind = (typeof LINE_KINDS)[number];

export interface StatementLine {
  readonly kind: LineKind;
  readonly ref: string;
  readonly tariffId: string;
  readonly tariffName: string;
  readonly tariffVersion: number;
  readonly segment: Period;
  readonly unit: Unit;
  /** usage: units priced (after included units); included: units given free; minimum: '1'. */
  readonly quantity: string;
  readonly pricing: PricingJson | null;
  readonly pricesIncludeVat: boolean;
  /** Net amount (without VAT), rounded. */
  readonly amount: string;
  readonly vatRate: string;
  readonly vat: string;
  /** Gross (amount + vat). */
  readonly total: string;
}

export interface AdjustmentLine {
  readonly kind: 'adjustment';
  /** The closed period this corrects. */
  readonly originalPeriod: Period;
  readonly refKind: LineKind;
  readonly ref: string;
  readonly tariffId: string;
  readonly tariffVersion: number;
  readonly unit: Unit;
  readonly quantity: string;
  readonly amount: string;
  readonly vatRate: string;
  readonly vat: string;
  readonly total: string;
  readonly devices: readonly { readonly deviceId: string; readonly quantity: string }[];
}

export interface DeviceDetail {
  readonly deviceId: string;
  /** Online minutes (under the implausible-time policy) while on this account in the period. */
  readonly onlineMinutes: number;
  /** Minutes known only from receive times (implausible device times). */
  readonly implausibleMinutes: number;
  /** Units per usage line (before included units are taken off the line). */
  readonly units: readonly { readonly ref: string; readonly quantity: string }[];
}

export interface StatementWarning {
  readonly code: 'FM_RATING_UNRATED_USAGE';
  readonly deviceId: string;
  readonly from: string;
  readonly to: string;
  readonly minutes: number;
}

export interface Totals {
  readonly amount: string;
  readonly vat: string;
  readonly total: string;
}

export interface StatementDoc {
  readonly format: typeof STATEMENT_FORMAT;
  readonly accountId: string;
  readonly accountName: string;
  readonly timeZone: string;
  readonly currency: string;
  readonly period: Period;
  readonly status: 'draft' | 'closed';
  readonly closedAt: string | null;
  readonly implausibleTimePolicy: ImplausibleTimePolicy;
  readonly lines: readonly StatementLine[];
  readonly adjustments: readonly AdjustmentLine[];
  readonly totals: Totals;
  readonly devices: readonly DeviceDetail[];
  readonly warnings: readonly StatementWarning[];
}

interface PieceUnits {
  readonly deviceId: string;
  readonly segment: Segment;
  readonly units: Dec;
}

/** Units of a device piece for the unit types counted by buckets or minutes (not month). */
function pieceUnits(plan: AccountPlan, piece: Piece, v: TariffVersion, online: (day: number) => Uint32Array | undefined): Dec {
  const def = v.definition;
  const from = plan.bounds[piece.fromIdx];
  const to = plan.bounds[piece.toIdx];
  switch (def.unit) {
    case 'minute':
      return dec(minutesWithin(online, piece.intervals, from, to));
    case 'hour':
      return dec(activeBuckets(online, piece.intervals, hourBoundaries(from, to, plan.account.timeZone), def.minActiveMinutes));
    case 'day':
      return dec(activeBuckets(online, piece.intervals, plan.bounds.slice(piece.fromIdx, piece.toIdx + 1), def.minActiveMinutes));
    case 'month':
      throw new Error('month units are counted per month');
  }
}

function overlaps(intervals: readonly Interval[], from: number, to: number): boolean {
  for (const iv of intervals) if (iv.from < to && iv.to > from) return true;
  return false;
}

/**
 * Month units. A device counts in a calendar month if it had ≥ minActiveMinutes online minutes
 * there under the segment. With proration: days on the tariff / days in the month, per segment.
 * Without: one unit per device and month, on the last segment in which it qualified.
 */
function monthUnits(plan: AccountPlan, pieces: readonly Piece[], online: (deviceId: string) => (day: number) => Uint32Array | undefined): PieceUnits[] {
  const months = monthsOf(plan.period).map((m) => ({ ...m, fromIdx: isoToDay(m.from) - isoToDay(plan.period.from), toIdx: isoToDay(m.to) - isoToDay(plan.period.from) }));
  interface Acc {
    deviceId: string;
    segment: Segment;
    month: number;
    minutes: number;
    days: number;
  }
  const acc = new Map<string, Acc>();
  for (const p of pieces) {
    const seg = p.segment!;
    const look = online(p.deviceId);
    months.forEach((m, mi) => {
      const a = Math.max(p.fromIdx, m.fromIdx);
      const b = Math.min(p.toIdx, m.toIdx);
      if (b <= a) return;
      const key = `${p.deviceId}\u0000${seg.ref}\u0000${mi}`;
      let e = acc.get(key);
      if (!e) acc.set(key, (e = { deviceId: p.deviceId, segment: seg, month: mi, minutes: 0, days: 0 }));
      e.minutes += minutesWithin(look, p.intervals, plan.bounds[a], plan.bounds[b]);
      for (let d = a; d < b; d++) if (overlaps(p.intervals, plan.bounds[d], plan.bounds[d + 1])) e.days++;
    });
  }
  const out: PieceUnits[] = [];
  const lastQualifying = new Map<string, Acc>();
  for (const e of [...acc.values()].sort((x, y) => x.segment.fromIdx - y.segment.fromIdx || (x.segment.ref < y.segment.ref ? -1 : 1))) {
    const def = e.segment.version.definition;
    if (e.minutes < def.minActiveMinutes) continue;
    if (def.proration) out.push({ deviceId: e.deviceId, segment: e.segment, units: proratedQuantity(e.days, months[e.month].daysInMonth) });
    else lastQualifying.set(`${e.deviceId}\u0000${e.month}`, e);
  }
  for (const e of lastQualifying.values()) out.push({ deviceId: e.deviceId, segment: e.segment, units: dec(1) });
  return out;
}

function pricingJson(r: PriceResult, model: TariffVersion['definition']['price']['model']): PricingJson {
  if (model === 'per-unit') return { model, unitPrice: formatDecimal(r.unitPrice!) };
  return {
    model,
    tiers: (r.tiers ?? []).map((t) => ({
      tier: t.tier,
      from: formatDecimal(t.from),
      upTo: t.upTo === null ? null : formatDecimal(t.upTo),
      quantity: formatDecimal(t.quantity),
      unitPrice: formatDecimal(t.unitPrice),
      flatFee: formatDecimal(t.flatFee),
      amount: formatDecimal(t.amount),
    })),
  };
}

function line(kind: LineKind, ref: string, v: TariffVersion, segment: Period, quantity: Dec, pricing: PricingJson | null, priced: Dec, cur: Currency): StatementLine {
  const def = v.definition;
  const vat = applyVat(priced, dec(def.vatRate), def.pricesIncludeVat, cur);
  return {
    kind,
    ref,
    tariffId: v.tariffId,
    tariffName: def.name,
    tariffVersion: v.version,
    segment,
    unit: def.unit,
    quantity: formatDecimal(quantity),
    pricing,
    pricesIncludeVat: def.pricesIncludeVat,
    amount: formatMoney(vat.amount, cur),
    vatRate: def.vatRate,
    vat: formatMoney(vat.vat, cur),
    total: formatMoney(vat.total, cur),
  };
}

export function totalsOf(lines: readonly { amount: string; vat: string; total: string }[], cur: Currency): Totals {
  return {
    amount: formatMoney(sum(lines.map((l) => dec(l.amount))), cur),
    vat: formatMoney(sum(lines.map((l) => dec(l.vat))), cur),
    total: formatMoney(sum(lines.map((l) => dec(l.total))), cur),
  };
}

/** Rates one account-period from its plan and presence. Draft, without adjustments. */
export function rateStatement(plan: AccountPlan, presence: PresenceView, policy: ImplausibleTimePolicy): StatementDoc {
  const cur = currency(plan.account.currency);
  for (const s of plan.segments) {
    if (s.version.definition.currency !== cur.code) {
      throw ratingError('FM_RATING_CURRENCY_MISMATCH', `tariff ${s.version.tariffId}@${s.version.version} is in ${s.version.definition.currency}, account ${plan.account.id} in ${cur.code}`);
    }
  }
  // Each device's bitmaps are looked up once per UTC day of the period and then read from an
  // array: unit counting asks for the same day hundreds of times (every hour bucket).
  const { fromDay, toDay } = utcDaysOf(plan.bounds[0], plan.bounds[plan.bounds.length - 1]);
  const lookups = new Map<string, (day: number) => Uint32Array | undefined>();
  const online = (deviceId: string) => {
    let f = lookups.get(deviceId);
    if (!f) lookups.set(deviceId, (f = dayArrayLookup((day) => presence.online(deviceId, day), fromDay, toDay)));
    return f;
  };

  // 1. Units per device and segment.
  const units: PieceUnits[] = [];
  const monthPieces: Piece[] = [];
  const warnings: StatementWarning[] = [];
  for (const p of plan.pieces) {
    if (p.version === null) {
      const minutes = minutesWithin(online(p.deviceId), p.intervals, -Infinity, Infinity);
      if (minutes > 0) warnings.push({ code: 'FM_RATING_UNRATED_USAGE', deviceId: p.deviceId, from: plan.dates[p.fromIdx], to: p.toIdx < plan.dates.length ? plan.dates[p.toIdx] : plan.period.to, minutes });
      continue;
    }
    if (p.version.definition.unit === 'month') monthPieces.push(p);
    else units.push({ deviceId: p.deviceId, segment: p.segment!, units: pieceUnits(plan, p, p.version, online(p.deviceId)) });
  }
  units.push(...monthUnits(plan, monthPieces, online));

  const perSegment = new Map<string, Map<string, Dec>>(); // ref → device → units
  for (const u of units) {
    let m = perSegment.get(u.segment.ref);
    if (!m) perSegment.set(u.segment.ref, (m = new Map()));
    m.set(u.deviceId, (m.get(u.deviceId) ?? ZERO).plus(u.units));
  }

  // 2. Per tariff, in chronological order of segments: included units, price, VAT, minimum.
  const byTariff = new Map<string, Segment[]>();
  for (const s of plan.segments) {
    const list = byTariff.get(s.version.tariffId);
    if (list) list.push(s);
    else byTariff.set(s.version.tariffId, [s]);
  }
  const groups = [...byTariff.entries()].sort(([a, sa], [b, sb]) => sa[0].fromIdx - sb[0].fromIdx || (a < b ? -1 : 1));
  const lines: StatementLine[] = [];
  for (const [tariffId, segs] of groups) {
    const latest = segs[segs.length - 1].version;
    const quantities = segs.map((s) => sum([...(perSegment.get(s.ref)?.values() ?? [])]));
    const { free, billable } = applyIncludedUnits(quantities, dec(latest.definition.includedUnits));
    const periodTotal = sum(billable);
    let carrier = -1;
    billable.forEach((b, i) => {
      if (b.greaterThan(0)) carrier = i;
    });
    let offset = ZERO;
    const usage: StatementLine[] = [];
    segs.forEach((s, i) => {
      const v = s.version;
      const segPeriod = { from: s.from, to: s.to };
      if (free[i].greaterThan(0)) lines.push(line('included', s.ref, v, segPeriod, free[i], null, ZERO, cur));
      const priced = pricerFor(v.definition.price).price({ quantity: billable[i], offset, periodTotal, chargesVolumeFlatFee: i === carrier });
      offset = offset.plus(billable[i]);
      const l = line('usage', s.ref, v, segPeriod, billable[i], pricingJson(priced, v.definition.price.model), priced.amount, cur);
      usage.push(l);
      lines.push(l);
    });
    const minimum = dec(latest.definition.minimumCharge);
    if (minimum.greaterThan(0)) {
      const charged = sum(usage.map((l) => dec(latest.definition.pricesIncludeVat ? l.total : l.amount)));
      const topUp = minimumTopUp(charged, minimum);
      if (topUp.greaterThan(0)) {
        const span = { from: segs[0].from, to: segs[segs.length - 1].to };
        lines.push(line('minimum', `${tariffId}/minimum/${plan.period.from}..${plan.period.to}`, latest, span, dec(1), null, topUp, cur));
      }
    }
  }

  // 3. Per-device detail: every device that was on the account in the period.
  const start = plan.bounds[0];
  const end = plan.bounds[plan.bounds.length - 1];
  const devices: DeviceDetail[] = [...plan.members.keys()].sort().map((deviceId) => {
    const iv = plan.members.get(deviceId)!;
    const u: { ref: string; quantity: string }[] = [];
    for (const s of plan.segments) {
      const q = perSegment.get(s.ref)?.get(deviceId);
      if (q !== undefined) u.push({ ref: s.ref, quantity: formatDecimal(q) });
    }
    return {
      deviceId,
      onlineMinutes: minutesWithin(online(deviceId), iv, start, end),
      implausibleMinutes: minutesWithin(dayArrayLookup((day) => presence.implausible(deviceId, day), fromDay, toDay), iv, start, end),
      units: u,
    };
  });

  return {
    format: STATEMENT_FORMAT,
    accountId: plan.account.id,
    accountName: plan.account.name,
    timeZone: plan.account.timeZone,
    currency: cur.code,
    period: { from: plan.period.from, to: plan.period.to },
    status: 'draft',
    closedAt: null,
    implausibleTimePolicy: policy,
    lines,
    adjustments: [],
    totals: totalsOf(lines, cur),
    devices,
    warnings,
  };
}

/** Totals over lines and adjustments (the amount due). */
export function withAdjustments(doc: StatementDoc, adjustments: readonly AdjustmentLine[]): StatementDoc {
  const cur = currency(doc.currency);
  return { ...doc, adjustments, totals: totalsOf([...doc.lines, ...adjustments], cur) };
}

/** The statement as canonical JSON text: the bytes that are served and hashed. */
export function statementJson(doc: StatementDoc): string {
  return canonicalJson(doc);
}

export function statementHash(json: string): string {
  return sha256Hex(json);
}
