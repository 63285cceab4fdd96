/**
 * Presence in ClickHouse through the `Store` interface (either backend). Merge-on-read: every row
 * of a device-day is OR-ed in JS, so duplicates, several writers and un-merged parts are all
 * correct without FINAL. SQL is built by small exported functions, tested as text.
 */
import { randomInt } from 'node:crypto';
import { sqlDate, sqlNumber, sqlStringList } from '../store/sql.ts';
import type { Store } from '../store/types.ts';
import { countBits, decodeWordText, encodeWords, popcount32 } from './minute-bitmap.ts';
import { PresenceSet } from './presence.ts';
import type { DeviceDay, PresenceRowIn, PresenceStorage } from './presence-storage.ts';
import { PRESENCE_TABLE } from './schema.ts';
import { dayToIso, isoToDay } from './time.ts';

/** Devices per SELECT (keeps the SQL text bounded). */
export const LOAD_CHUNK = 2000;
/** Rows per INSERT. */
export const SAVE_CHUNK = 20_000;

/**
 * One row per device (not per device-day): far fewer rows to format and parse. Words travel as
 * decimal text ('12,0,4294967295'), which both formats and parses faster than JSON number arrays.
 */
export function selectPresenceSql(deviceIds: readonly string[], fromDay: number, toDay: number): string {
  return (
    `SELECT device_id, groupArray(toString(day)) AS days, groupArray(kind) AS kinds, ` +
    `groupArray(arrayStringConcat(arrayMap(x -> toString(x), words), ',')) AS ws FROM ${PRESENCE_TABLE} ` +
    `WHERE device_id IN ${sqlStringList(deviceIds)} AND day >= ${sqlDate(dayToIso(fromDay))} AND day < ${sqlDate(dayToIso(toDay))} ` +
    `GROUP BY device_id`
  );
}

export interface StoredPresenceRow {
  readonly device_id: string;
  readonly day: string;
  readonly kind: number;
  readonly writer: number;
  readonly minutes: number;
  readonly words: number[];
}

export function presenceRow(row: PresenceRowIn, writer: number): StoredPresenceRow {
  return { device_id: row.deviceId, day: dayToIso(row.day), kind: row.kind, writer, minutes: countBits(row.bits), words: encodeWords(row.bits) };
}

/** The same row as one JSONEachRow line, written by hand (the flush path: no intermediate objects). */
export function presenceLine(row: PresenceRowIn, writer: number, dayIso: string): string {
  const bits = row.bits;
  let n = 45;
  while (n > 0 && bits[n - 1] === 0) n--;
  let words = '';
  let minutes = 0;
  for (let i = 0; i < n; i++) {
    words += i === 0 ? String(bits[i]) : ',' + bits[i];
  }
  for (let i = 0; i < 45; i++) minutes += popcount32(bits[i]);
  return `{"device_id":${JSON.stringify(row.deviceId)},"day":"${dayIso}","kind":${row.kind},"writer":${writer},"minutes":${minutes},"words":[${words}]}`;
}

export interface ClickHousePresenceOptions {
  /** This process's writer id (UInt32); random by default, so every process writes its own rows. */
  readonly writer?: number;
}

export class ClickHousePresenceStorage implements PresenceStorage {
  readonly writer: number;

  constructor(
    private readonly store: Store,
    options: ClickHousePresenceOptions = {},
  ) {
    this.writer = options.writer ?? randomInt(1, 2 ** 32 - 1);
    sqlNumber(this.writer);
  }

  async loadDays(keys: readonly DeviceDay[]): Promise<PresenceSet> {
    if (keys.length === 0) return new PresenceSet();
    // One range query per chunk of devices: dirty device-days are nearly always a few recent days.
    const byDevice = new Map<string, { min: number; max: number }>();
    for (const k of keys) {
      const r = byDevice.get(k.deviceId);
      if (r === undefined) byDevice.set(k.deviceId, { min: k.day, max: k.day });
      else {
        if (k.day < r.min) r.min = k.day;
        if (k.day > r.max) r.max = k.day;
      }
    }
    const ids = [...byDevice.keys()];
    let min = Infinity;
    let max = -Infinity;
    for (const r of byDevice.values()) {
      if (r.min < min) min = r.min;
      if (r.max > max) max = r.max;
    }
    return this.loadRange(ids, min, max + 1);
  }

  async loadRange(deviceIds: readonly string[], fromDay: number, toDay: number): Promise<PresenceSet> {
    const set = new PresenceSet();
    for (let i = 0; i < deviceIds.length; i += LOAD_CHUNK) {
      const chunk = deviceIds.slice(i, i + LOAD_CHUNK);
      const rows = await this.store.query<{ device_id: string; days: string[]; kinds: (number | string)[]; ws: string[] }>(selectPresenceSql(chunk, fromDay, toDay));
      const dayIndex = new Map<string, number>();
      for (const r of rows) {
        for (let i = 0; i < r.days.length; i++) {
          let day = dayIndex.get(r.days[i]);
          if (day === undefined) dayIndex.set(r.days[i], (day = isoToDay(r.days[i])));
          set.adoptBits(r.device_id, day, Number(r.kinds[i]), decodeWordText(r.ws[i]));
        }
      }
    }
    return set;
  }

  async save(rows: readonly PresenceRowIn[]): Promise<void> {
    const isoOf = new Map<number, string>();
    for (let i = 0; i < rows.length; i += SAVE_CHUNK) {
      const lines: string[] = [];
      for (const r of rows.slice(i, i + SAVE_CHUNK)) {
        let iso = isoOf.get(r.day);
        if (iso === undefined) isoOf.set(r.day, (iso = dayToIso(r.day)));
        lines.push(presenceLine(r, this.writer, iso));
      }
      await this.store.insertJsonLines(PRESENCE_TABLE, lines.join('\n'));
    }
  }
}
