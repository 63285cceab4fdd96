/**
 * Slices of an account plan, for live usage views: one device's share of the plan, and one local
 * day of it. Rating a slice with `rateStatement` gives exactly the units that device (or that day)
 * contributes to the full statement, because units are counted per piece (device × version run)
 * and a day's hour/day buckets lie inside the day. Money is not sliced: included units, tiers and
 * minimum charges are account- and period-level steps; take amounts from the full statement.
 */
import { type AccountPlan, type Piece, type Segment, clip } from './plan.ts';
import type { Interval } from './units.ts';

/** The plan restricted to one device (null when the device has no time on the account in the period). */
export function devicePlan(plan: AccountPlan, deviceId: string): AccountPlan | null {
  const iv = plan.members.get(deviceId);
  if (iv === undefined) return null;
  const pieces = plan.pieces.filter((p) => p.deviceId === deviceId);
  const used = new Set(pieces.map((p) => p.segment));
  return { ...plan, members: new Map([[deviceId, iv]]), pieces, segments: plan.segments.filter((s) => used.has(s)) };
}

/**
 * Day `i` of the plan as a one-day plan. Pieces and segments are clipped to the day (segment
 * refs name the day). Pieces under a `month` unit are left out: months are not counted per day.
 */
export function dayPlan(plan: AccountPlan, i: number): AccountPlan {
  const from = plan.bounds[i];
  const to = plan.bounds[i + 1];
  const date = plan.dates[i];
  const next = i + 1 < plan.dates.length ? plan.dates[i + 1] : plan.period.to;
  const segments = new Map<Segment, Segment>();
  const daySegment = (s: Segment): Segment => {
    let d = segments.get(s);
    if (d === undefined) {
      const key = s.ref.slice(0, s.ref.lastIndexOf('/'));
      d = { ref: `${key}/${date}..${next}`, version: s.version, from: date, to: next, fromIdx: 0, toIdx: 1 };
      segments.set(s, d);
    }
    return d;
  };
  const pieces: Piece[] = [];
  for (const p of plan.pieces) {
    if (p.fromIdx > i || p.toIdx <= i) continue;
    if (p.version !== null && p.version.definition.unit === 'month') continue;
    const intervals = clip(p.intervals, from, to);
    if (intervals.length === 0) continue;
    pieces.push({ deviceId: p.deviceId, version: p.version, segment: p.segment === null ? null : daySegment(p.segment), fromIdx: 0, toIdx: 1, intervals });
  }
  const members = new Map<string, Interval[]>();
  for (const [id, iv] of plan.members) {
    const c = clip(iv, from, to);
    if (c.length > 0) members.set(id, c);
  }
  return { account: plan.account, period: { from: date, to: next }, dates: [date], bounds: [from, to], members, segments: [...segments.values()], pieces };
}
