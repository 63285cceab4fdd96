/**
 * Adjustments: a closed statement never changes. When a period is recomputed after it was closed
 * (black-box data uploaded late, a backdated correction) the difference against what was already
 * invoiced — the closed lines plus adjustments already made on later closed statements — becomes
 * adjustment lines on the next open statement, each referencing the original period and line.
 */
import type { Period } from './calendar.ts';
import { type Dec, ZERO, dec, formatDecimal, formatMoney, currency } from './pricing/index.ts';
import type { AdjustmentLine, LineKind, StatementDoc, StatementLine } from './statement.ts';
import type { Unit } from './units.ts';

interface Acc {
  refKind: LineKind;
  ref: string;
  tariffId: string;
  tariffVersion: number;
  unit: Unit;
  vatRate: string;
  quantity: Dec;
  amount: Dec;
  vat: Dec;
  total: Dec;
  devices: Map<string, Dec>;
}

const keyOf = (kind: string, ref: string) => `${kind}\u0000${ref}`;

function accumulate(into: Map<string, Acc>, order: string[], sign: 1 | -1, l: StatementLine | AdjustmentLine, refKind: LineKind, ref: string, devices: Iterable<[string, Dec]>): void {
  const k = keyOf(refKind, ref);
  let a = into.get(k);
  if (!a) {
    a = { refKind, ref, tariffId: l.tariffId, tariffVersion: l.tariffVersion, unit: l.unit, vatRate: l.vatRate, quantity: ZERO, amount: ZERO, vat: ZERO, total: ZERO, devices: new Map() };
    into.set(k, a);
    order.push(k);
  }
  a.quantity = a.quantity.plus(dec(l.quantity).times(sign));
  a.amount = a.amount.plus(dec(l.amount).times(sign));
  a.vat = a.vat.plus(dec(l.vat).times(sign));
  a.total = a.total.plus(dec(l.total).times(sign));
  for (const [id, q] of devices) a.devices.set(id, (a.devices.get(id) ?? ZERO).plus(q.times(sign)));
}

/** Device units per usage ref, from a statement's per-device detail. */
function deviceUnits(doc: StatementDoc): Map<string, Map<string, Dec>> {
  const m = new Map<string, Map<string, Dec>>();
  for (const d of doc.devices) {
    for (const u of d.units) {
      let r = m.get(u.ref);
      if (!r) m.set(u.ref, (r = new Map()));
      r.set(d.deviceId, dec(u.quantity));
    }
  }
  return m;
}

/**
 * Adjustment lines for one closed period.
 * @param closed the closed statement of the period (its own lines and device detail).
 * @param earlier adjustments for this period already on later closed statements.
 * @param recomputed the period rated again now (a draft).
 */
export function adjustmentsFor(closed: StatementDoc, earlier: readonly AdjustmentLine[], recomputed: StatementDoc): AdjustmentLine[] {
  const cur = currency(recomputed.currency);
  const acc = new Map<string, Acc>();
  const order: string[] = [];
  const nowUnits = deviceUnits(recomputed);
  const thenUnits = deviceUnits(closed);
  for (const l of recomputed.lines) accumulate(acc, order, 1, l, l.kind, l.ref, l.kind === 'usage' ? (nowUnits.get(l.ref) ?? []) : []);
  for (const l of closed.lines) accumulate(acc, order, -1, l, l.kind, l.ref, l.kind === 'usage' ? (thenUnits.get(l.ref) ?? []) : []);
  for (const a of earlier) accumulate(acc, order, -1, a, a.refKind, a.ref, a.devices.map((d) => [d.deviceId, dec(d.quantity)] as [string, Dec]));
  const period: Period = { from: closed.period.from, to: closed.period.to };
  const out: AdjustmentLine[] = [];
  for (const k of order) {
    const a = acc.get(k)!;
    const devices = [...a.devices.entries()].filter(([, q]) => !q.isZero()).sort(([x], [y]) => (x < y ? -1 : 1));
    if (a.quantity.isZero() && a.amount.isZero() && a.vat.isZero() && a.total.isZero() && devices.length === 0) continue;
    out.push({
      kind: 'adjustment',
      originalPeriod: period,
      refKind: a.refKind,
      ref: a.ref,
      tariffId: a.tariffId,
      tariffVersion: a.tariffVersion,
      unit: a.unit,
      quantity: formatDecimal(a.quantity),
      amount: formatMoney(a.amount, cur),
      vatRate: a.vatRate,
      vat: formatMoney(a.vat, cur),
      total: formatMoney(a.total, cur),
      devices: devices.map(([deviceId, q]) => ({ deviceId, quantity: formatDecimal(q) })),
    });
  }
  return out;
}
