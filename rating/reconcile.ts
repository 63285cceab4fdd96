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
 *
 * `storedRawRows` streams those rows from the `records` table (FINAL), one bounded query at a
 * time; `RatingService.reconcileStored` runs the whole check on them. That is the one reconcile
 * both `fleetmeter reconcile` and `POST /v1/accounts/{id}/reconcile` call.
 */
import { sqlDate, sqlStringList } from '../store/sql.ts';
import type { Store } from '../store/types.ts';
import { type DayBits, equalBits, minutesOnlyIn, newDayBits } from './minute-bitmap.ts';
import { DEFAULT_PLAUSIBILITY, type PlausibilityRule } from './plausibility.ts';
import { PRESENCE_KINDS, type PresenceKind, PresenceSet, type RawPresenceRow } from './presence.ts';
import { dayToIso, isoToDay } from './time.ts';

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

/** Devices per raw-record query; each query also covers one partition day, so results stay small. */
export const RAW_DEVICES_PER_QUERY = 200;

/** Raw rows for a set of devices and one partition day (`records.day` in [day, nextDay)): what reconcile needs of each record. */
export function rawRecordsSql(deviceIds: readonly string[], day: string, nextDay: string): string {
  return (
    `SELECT device_id, toString(device_ts) AS device_ts, has_device_time, toString(received_ts) AS received_ts FROM records FINAL ` +
    `WHERE device_id IN ${sqlStringList(deviceIds)} AND day >= ${sqlDate(day)} AND day < ${sqlDate(nextDay)}`
  );
}

/** Which stored records to read: these devices, partition days [rowsFrom, rowsTo) (`RatingService.reconcileScope`). */
export interface RawRecordScope {
  readonly deviceIds: readonly string[];
  readonly rowsFrom: string;
  readonly rowsTo: string;
}

/**
 * Streams the scope's stored records (`records FINAL`: resends collapsed) as raw presence rows:
 * device chunks × partition days, one bounded query at a time. `counter.rows` counts rows read.
 */
export async function* storedRawRows(store: Store, scope: RawRecordScope, counter: { rows: number }): AsyncGenerator<RawPresenceRow> {
  const from = isoToDay(scope.rowsFrom);
  const to = isoToDay(scope.rowsTo);
  for (let i = 0; i < scope.deviceIds.length; i += RAW_DEVICES_PER_QUERY) {
    const chunk = scope.deviceIds.slice(i, i + RAW_DEVICES_PER_QUERY);
    for (let day = from; day < to; day++) {
      const rows = await store.query<{ device_id: string; device_ts: string; has_device_time: number | string; received_ts: string }>(rawRecordsSql(chunk, dayToIso(day), dayToIso(day + 1)));
      counter.rows += rows.length;
      for (const r of rows) {
        yield { deviceId: r.device_id, deviceTime: Number(r.has_device_time) === 1 ? Number(r.device_ts) : null, receivedAt: Number(r.received_ts) };
      }
    }
  }
}
