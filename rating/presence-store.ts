/**
 * Presence in ClickHouse through the `Store` interface (either backend). Merge-on-read: every row
 * of a device-day is OR-ed in JS, so duplicates, several writers and un-merged parts are all
 * correct without FINAL. SQL is built by small exported functions, tested as text.
 *
 * Read cache (on by default, `cacheDeviceDays`): merged presence per (device list, UTC day) is kept
 * with the *fingerprint* of the stored rows it came from — row count and the sum of a 64-bit hash
 * of every row (device, kind, writer, minutes, words) — and a read first asks ClickHouse for the
 * current fingerprints of its days (a small aggregate, no bitmaps formatted), then re-reads only
 * the days whose fingerprint changed. A cached day is served only while its fingerprint is
 * unchanged, i.e. while the multiset of stored rows is the one it was merged from; the merge is a
 * function of that multiset, so a hit returns what a fresh read would, whoever wrote since (this
 * process, another instance, late black-box data). The fingerprint stored with an entry is
 * computed from the very rows that were merged (per-row hashes come back with the bitmaps, one
 * SELECT, one snapshot), never from a separate query, so a write racing the read cannot pair old
 * bits with a new fingerprint. Background merges change fingerprints without changing presence:
 * that costs a re-read, never a wrong answer. Hits are handed out as shared, frozen day presences
 * (copy-on-write in `PresenceSet`), so callers that add to a result (the engine's unflushed minutes)
 * never change the cache. The cache is exact, so exact reads (`{ exact: true }`) may use it; billing
 * runs that read every device once and reconcile read past it (`{ cache: false }`, `cacheDeviceDays: 0`).
 */
import { sqlDate, sqlStringList } from '../store/sql.ts';
import { type Column, RowBinaryWriter } from '../store/row-binary.ts';
import type { RowBinaryInsert, Store } from '../store/types.ts';
import { type DayBits, FULL_WORD_TOKEN, WORDS_PER_DAY, countBits, decodeWordTokens } from './minute-bitmap.ts';
import { type CachedDay, PresenceDayCache, type PresenceDayCacheStats } from './presence-day-cache.ts';
import { type DayPresence, KIND_DEVICE_TIME, KIND_FALLBACK, PresenceSet, sharedDayPresence } from './presence.ts';
import type { LoadOptions, PresenceRowIn, PresenceStorage } from './presence-storage.ts';
import { PRESENCE_TABLE } from './schema.ts';
import { dayToIso, isoToDay } from './time.ts';

/** Devices per SELECT (keeps the SQL text bounded). */
export const LOAD_CHUNK = 2000;
/** Rows per INSERT. */
export const SAVE_CHUNK = 20_000;
/** Default bound of the read cache, in device-day bitmaps (≈ 300 bytes each with overhead: ≈ 30 MB). */
export const DEFAULT_CACHE_DEVICE_DAYS = 100_000;

/** A row's words in the compact token format (`decodeWordTokens`): '' for 0, 'x' for all ones, else hex. */
const WORD_TOKENS = `arrayStringConcat(arrayMap(x -> if(x = 0, '', if(x = 4294967295, '${FULL_WORD_TOKEN}', hex(x))), words), ',')`;
/** A row's identity and content as one 64-bit hash (fingerprints). */
const ROW_HASH = 'cityHash64(device_id, kind, writer, minutes, words)';

const dayRange = (fromDay: number, toDay: number) => `day >= ${sqlDate(dayToIso(fromDay))} AND day < ${sqlDate(dayToIso(toDay))}`;

/**
 * One row per device with all its stored rows packed in one string, `day:kind:tokens` joined by
 * ';' (day = days since 1970, the day index; tokens = `decodeWordTokens` format): one JSON string per
 * device instead of arrays of values, in about half the bytes of decimal words. `unpackPresence`
 * reads it.
 */
export function selectPresenceSql(deviceIds: readonly string[], fromDay: number, toDay: number): string {
  return (
    `SELECT device_id, arrayStringConcat(groupArray(concat(toString(toUInt16(day)), ':', toString(kind), ':', ${WORD_TOKENS})), ';') AS p FROM ${PRESENCE_TABLE} ` +
    `WHERE device_id IN ${sqlStringList(deviceIds)} AND ${dayRange(fromDay, toDay)} GROUP BY device_id`
  );
}

/** Like `selectPresenceSql`, for a list of days, each row as `day:kind:hash:tokens` (its 64-bit hash: fingerprints). */
export function selectPresenceDaysSql(deviceIds: readonly string[], days: readonly number[]): string {
  return (
    `SELECT device_id, arrayStringConcat(groupArray(concat(toString(toUInt16(day)), ':', toString(kind), ':', toString(${ROW_HASH}), ':', ${WORD_TOKENS})), ';') AS p ` +
    `FROM ${PRESENCE_TABLE} WHERE device_id IN ${sqlStringList(deviceIds)} AND day IN (${days.map((d) => sqlDate(dayToIso(d))).join(', ')}) GROUP BY device_id`
  );
}

/** Rows packed in one device's string (`selectPresenceSql`): separators + 1. */
function packedRows(packed: string): number {
  if (packed.length === 0) return 0;
  let rows = 1;
  for (let i = packed.indexOf(';'); i !== -1; i = packed.indexOf(';', i + 1)) rows++;
  return rows;
}

/**
 * Merges one device's packed rows (`selectPresenceSql` / `selectPresenceDaysSql` with `withHash`)
 * into `set`; `onHash(day, hash)` sees each row's hash. Bitmaps are decoded into `slab` from word
 * `at` on (zeroed, `packedRows × 45` words free; a new one when omitted); returns the next free word.
 */
export function unpackPresence(
  set: PresenceSet,
  deviceId: string,
  packed: string,
  withHash: boolean,
  onHash?: (day: number, hash: string) => void,
  slab: Uint32Array = new Uint32Array(packedRows(packed) * WORDS_PER_DAY),
  at = 0,
): number {
  let i = 0;
  const bad = () => new Error(`presence row of ${deviceId} is malformed near ${i}: ${JSON.stringify(packed.slice(i, i + 40))}`);
  while (i < packed.length) {
    let day = 0;
    let c = packed.charCodeAt(i);
    if (c < 48 || c > 57) throw bad();
    for (; c >= 48 && c <= 57; c = packed.charCodeAt(++i)) day = day * 10 + (c - 48);
    if (c !== 58) throw bad();
    const kind = packed.charCodeAt(++i) - 48;
    if ((kind !== KIND_DEVICE_TIME && kind !== KIND_FALLBACK) || packed.charCodeAt(++i) !== 58) throw bad();
    i++;
    if (withHash) {
      const colon = packed.indexOf(':', i);
      if (colon === -1) throw bad();
      onHash?.(day, packed.slice(i, colon));
      i = colon + 1;
    }
    let end = packed.indexOf(';', i);
    if (end === -1) end = packed.length;
    set.adoptBits(deviceId, day, kind, decodeWordTokens(packed, slab.subarray(at, at + WORDS_PER_DAY), i, end));
    at += WORDS_PER_DAY;
    if (end === packed.length - 1) throw bad(); // a trailing ';': an empty row
    i = end + 1;
  }
  return at;
}

/** Per UTC day with any stored row for these devices: row count and the (wrapping) sum of row hashes. */
export function presenceFingerprintSql(deviceIds: readonly string[], fromDay: number, toDay: number): string {
  return (
    `SELECT toUInt16(day) AS d, toString(count()) AS n, toString(sum(${ROW_HASH})) AS h FROM ${PRESENCE_TABLE} ` +
    `WHERE device_id IN ${sqlStringList(deviceIds)} AND ${dayRange(fromDay, toDay)} GROUP BY day`
  );
}

const U64 = (1n << 64n) - 1n;
/** The fingerprint text both sides agree on: `${count}:${sum of hashes mod 2^64}`. */
export function fingerprintOf(count: number, hashSum: bigint): string {
  return `${count}:${hashSum & U64}`;
}

/** The columns of a `rating_presence` insert, in RowBinary. */
export const PRESENCE_COLUMNS: readonly Column[] = [
  { name: 'device_id', type: 'String' },
  { name: 'day', type: 'Date' },
  { name: 'kind', type: 'UInt8' },
  { name: 'writer', type: 'UInt32' },
  { name: 'minutes', type: 'UInt16' },
  { name: 'words', type: 'Array(UInt32)' },
];

/**
 * Presence rows as one RowBinary insert into `rating_presence` (trailing zero words dropped):
 * what the ingest pipeline commits with a batch's records, and what `save` writes.
 */
export function presenceInsert(rows: readonly PresenceRowIn[], writer: number): RowBinaryInsert {
  const w = new RowBinaryWriter(rows.length * 96 + 64);
  for (const row of rows) {
    const bits = row.bits;
    let n = WORDS_PER_DAY;
    while (n > 0 && bits[n - 1] === 0) n--;
    w.string(row.deviceId);
    w.date(row.day);
    w.uint8(row.kind);
    w.uint32(writer);
    w.uint16(countBits(bits));
    w.uint32Array(bits, n);
  }
  return { table: PRESENCE_TABLE, columns: PRESENCE_COLUMNS, payload: w.bytes() };
}

export interface ClickHousePresenceOptions {
  /** Bound of the read cache in device-day bitmaps; 0 disables it. Default `DEFAULT_CACHE_DEVICE_DAYS`. */
  readonly cacheDeviceDays?: number;
}

export interface PresenceReadStats extends PresenceDayCacheStats {
  /** (device chunk, day) pairs served from the cache / re-read because new or changed. */
  readonly hits: number;
  readonly misses: number;
}

type PresenceQueryRow = { device_id: string; p: string };

export class ClickHousePresenceStorage implements PresenceStorage {
  private readonly cache: PresenceDayCache | null;
  private counters = { hits: 0, misses: 0 };

  constructor(
    private readonly store: Store,
    options: ClickHousePresenceOptions = {},
  ) {
    const size = options.cacheDeviceDays ?? DEFAULT_CACHE_DEVICE_DAYS;
    this.cache = size > 0 ? new PresenceDayCache(size) : null;
  }

  /** Read-cache figures (all zero when the cache is off). */
  readStats(): PresenceReadStats {
    const c = this.cache?.stats() ?? { entries: 0, bitmaps: 0, evictions: 0 };
    return { ...c, ...this.counters };
  }

  async loadRange(deviceIds: readonly string[], fromDay: number, toDay: number, options?: LoadOptions): Promise<PresenceSet> {
    const set = new PresenceSet();
    if (toDay <= fromDay) return set;
    const cached = this.cache !== null && options?.cache !== false;
    for (let i = 0; i < deviceIds.length; i += LOAD_CHUNK) {
      const chunk = deviceIds.slice(i, i + LOAD_CHUNK);
      if (cached) await this.loadChunkCached(chunk, fromDay, toDay, set);
      else adoptRows(set, await this.store.query<PresenceQueryRow>(selectPresenceSql(chunk, fromDay, toDay)));
    }
    return set;
  }

  /** Fingerprints first; cached days whose fingerprint is unchanged are shared, the rest re-read. */
  private async loadChunkCached(chunk: readonly string[], fromDay: number, toDay: number, set: PresenceSet): Promise<void> {
    const cache = this.cache!;
    const key = JSON.stringify(chunk);
    const stale: number[] = [];
    if (!cache.has(key)) {
      // Nothing cached for this device list: fingerprints could only say "re-read everything".
      for (let day = fromDay; day < toDay; day++) stale.push(day);
      this.counters.misses += stale.length;
    } else {
      const current = new Map<number, string>();
      for (const r of await this.store.query<{ d: number | string; n: string; h: string }>(presenceFingerprintSql(chunk, fromDay, toDay))) {
        current.set(Number(r.d), fingerprintOf(Number(r.n), BigInt(r.h)));
      }
      for (let day = fromDay; day < toDay; day++) {
        const fp = current.get(day);
        if (fp === undefined) {
          cache.delete(key, day); // no stored rows at all: nothing to read, nothing to keep
          continue;
        }
        const hit = cache.get(key, day);
        if (hit !== undefined && hit.fingerprint === fp) {
          this.counters.hits++;
          adoptCachedDay(set, day, hit);
        } else {
          this.counters.misses++;
          stale.push(day);
        }
      }
    }
    if (stale.length === 0) return;
    const rows = await this.store.query<PresenceQueryRow>(selectPresenceDaysSql(chunk, stale));
    // Straight into the result, counting and summing row hashes per day: the fingerprint of
    // exactly the rows merged. Then each re-read day is packed (copied) into the cache.
    const hashes = new Map<number, { n: number; h: bigint }>();
    adoptRows(set, rows, (day, hash) => {
      const f = hashes.get(day);
      if (f === undefined) hashes.set(day, { n: 1, h: BigInt(hash) });
      else {
        f.n++;
        f.h += BigInt(hash);
      }
    });
    for (const day of stale) {
      const f = hashes.get(day);
      if (f === undefined) continue;
      const present: DayPresence[] = [];
      const deviceIds: string[] = [];
      let bitmaps = 0;
      for (const id of chunk) {
        const p = set.get(id, day);
        if (p === undefined) continue;
        deviceIds.push(id);
        present.push(p);
        bitmaps += p.fallback === null ? 1 : 2;
      }
      // The cache's own copy, in one buffer; the result keeps the bitmaps it was given.
      const words = new Uint32Array(bitmaps * WORDS_PER_DAY);
      const presences: DayPresence[] = [];
      let at = 0;
      for (const p of present) {
        const device = words.subarray(at, at + WORDS_PER_DAY);
        device.set(p.device);
        at += WORDS_PER_DAY;
        let fallback: DayBits | null = null;
        if (p.fallback !== null) {
          fallback = words.subarray(at, at + WORDS_PER_DAY);
          fallback.set(p.fallback);
          at += WORDS_PER_DAY;
        }
        presences.push(sharedDayPresence(device, fallback));
      }
      cache.set(key, day, { fingerprint: fingerprintOf(f.n, f.h), deviceIds, presences, bitmaps });
    }
  }

  async save(rows: readonly PresenceRowIn[], writer: number): Promise<void> {
    for (let i = 0; i < rows.length; i += SAVE_CHUNK) {
      const insert = presenceInsert(rows.slice(i, i + SAVE_CHUNK), writer);
      await this.store.insertRowBinary(insert.table, insert.columns, insert.payload);
    }
  }
}

/** Merges query rows (one per device) into `set`, all bitmaps in one buffer; with `onHash`, rows carry hashes and it sees each. */
function adoptRows(set: PresenceSet, rows: readonly PresenceQueryRow[], onHash?: (day: number, hash: string) => void): void {
  let n = 0;
  for (const r of rows) n += packedRows(r.p);
  const slab = new Uint32Array(n * WORDS_PER_DAY);
  let at = 0;
  for (const r of rows) at = unpackPresence(set, r.device_id, r.p, onHash !== undefined, onHash, slab, at);
}

/** A cached day into `set`: shared, read-only day presences, copied by the set only if changed. */
function adoptCachedDay(set: PresenceSet, day: number, entry: CachedDay): void {
  for (let j = 0; j < entry.deviceIds.length; j++) set.adoptShared(entry.deviceIds[j], day, entry.presences[j]);
}
