/**
 * Reconcile: recompute presence from raw records and compare it with persisted presence, then
 * rate the period from the recomputed presence and compare with what is (or will be) invoiced.
 * After any sequence of duplicates, reorderings, late data and restarts both lists are empty.
 *
 * Raw rows: every stored record of the account's devices whose partition day lies in
 * [scope.rowsFromDay, scope.rowsToDay) — one day of margin each side, so records whose device
 * time and receive time straddle midnight are included; only [fromDay, toDay) is compared.
 * Fallback minutes (implausible device times) come from receive times: to reproduce them exactly
 * the rows must include every received copy of such records.
 */
import { type DayBits, equalBits, minutesOnlyIn, newDayBits } from './minute-bitmap.ts';
import { DEFAULT_PLAUSIBILITY, type PlausibilityRule } from './plausibility.ts';
import { PRESENCE_KINDS, type PresenceKind, PresenceSet, type RawPresenceRow } from './presence.ts';
import { dayToIso } from './time.ts';

export interface PresenceDifference {
  readonly deviceId: string;
  /** UTC day. */
  readonly day: string;
  readonly kind: PresenceKind;
  /** Minutes of the day (0…1439) the raw records prove but storage lacks. */
  readonly missingInPersisted: readonly number[];
  /** Minutes storage holds that the raw records do not explain. */
  readonly extraInPersisted: readonly number[];
}

/** Recomputes presence from rows, keeping only these devices and UTC days [fromDay, toDay). */
export async function recomputePresence(
  rows: Iterable<RawPresenceRow> | AsyncIterable<RawPresenceRow>,
  deviceIds: readonly string[],
  fromDay: number,
  toDay: number,
  rule: PlausibilityRule = DEFAULT_PLAUSIBILITY,
): Promise<PresenceSet> {
  const wanted = new Set(deviceIds);
  const all = new PresenceSet();
  const add = (r: RawPresenceRow) => {
    if (wanted.has(r.deviceId)) all.add(r.deviceId, r.deviceTime, r.receivedAt, rule);
  };
  if (Symbol.asyncIterator in rows) for await (const r of rows as AsyncIterable<RawPresenceRow>) add(r);
  else for (const r of rows as Iterable<RawPresenceRow>) add(r);
  const out = new PresenceSet();
  for (const e of all.entries()) {
    if (e.day < fromDay || e.day >= toDay) continue;
    out.mergeBits(e.deviceId, e.day, 0, e.presence.device);
    if (e.presence.fallback) out.mergeBits(e.deviceId, e.day, 1, e.presence.fallback);
  }
  return out;
}

/** Bit-exact comparison of two presence sets over devices × UTC days [fromDay, toDay). */
export function comparePresence(recomputed: PresenceSet, persisted: PresenceSet, deviceIds: readonly string[], fromDay: number, toDay: number): PresenceDifference[] {
  const out: PresenceDifference[] = [];
  const empty = newDayBits();
  for (const deviceId of [...deviceIds].sort()) {
    for (let day = fromDay; day < toDay; day++) {
      const a = recomputed.get(deviceId, day);
      const b = persisted.get(deviceId, day);
      const pairs: [DayBits, DayBits][] = [
        [a?.device ?? empty, b?.device ?? empty],
        [a?.fallback ?? empty, b?.fallback ?? empty],
      ];
      pairs.forEach(([x, y], kind) => {
        if (equalBits(x, y)) return;
        out.push({ deviceId, day: dayToIso(day), kind: PRESENCE_KINDS[kind], missingInPersisted: minutesOnlyIn(x, y), extraInPersisted: minutesOnlyIn(y, x) });
      });
    }
  }
  return out;
}
