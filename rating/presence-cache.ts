/**
 * A read cache in front of `PresenceStorage`, for live figures served many times a second (the
 * REST API's usage endpoints). The engine is built on it (`new PresenceEngine({ storage: cache,
 * onCommitted: (rows) => cache.absorb(rows) })`), so `engine.load()` — stored presence ∪ what
 * this process committed — is answered from memory once a device is cached.
 *
 * Exact in one process: presence only ever grows, and every row this process commits is OR-ed
 * into the cache as it commits (`absorb`, or `save`); the engine's own memory covers a read that
 * raced a commit. Bits written by *other* instances arrive when an entry is refreshed: entries
 * older than `refreshAfterMs` are still served, and re-read in the background
 * (stale-while-revalidate), so cross-instance freshness is `refreshAfterMs`. Refreshes OR into the
 * entry (never replace it), so a refresh racing a save cannot lose a bit. That lag is fine for
 * live figures and wrong for money: exact reads (`{ exact: true }`) bypass the cache.
 *
 * Cold misses arriving in the same tick for the same day range are fetched in one query.
 * Bounded: at most `maxDeviceDays` cached device-days, least recently used devices evicted first.
 * `version(deviceId)` changes whenever a device's cached presence may have changed: callers that
 * cache results derived from it (usage responses) compare it.
 */
import { orInto } from './minute-bitmap.ts';
import { KIND_DEVICE_TIME, KIND_FALLBACK, PresenceSet } from './presence.ts';
import type { LoadOptions, PresenceRowIn, PresenceStorage } from './presence-storage.ts';

export interface PresenceCacheOptions {
  /** Soft bound on cached device-days (a device with no presence in its range counts 1). Default 500 000. */
  readonly maxDeviceDays?: number;
  /** Entries older than this are re-read in the background (other instances' writes). Default 60 000 ms. */
  readonly refreshAfterMs?: number;
  /** Devices per background/batched query. Default 2000. */
  readonly batchDevices?: number;
  /**
   * Stale entries are collected this long and refreshed together (a query per range, up to
   * `batchDevices` devices each), not one query per request that noticed them: a server polled
   * for thousands of devices a second must not turn every request into a ClickHouse query.
   * Default 250 ms (added to the freshness bound).
   */
  readonly refreshBatchMs?: number;
  /** Widest range (days) one entry keeps when ranges are merged. Default 100. */
  readonly maxRangeDays?: number;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
}

interface Day {
  device: Uint32Array | null;
  fallback: Uint32Array | null;
}

interface Entry {
  fromDay: number;
  toDay: number;
  readonly days: Map<number, Day>;
  loadedAt: number;
  version: number;
  /** The version the entry got when it was created from a storage read. */
  readonly created: number;
  refreshing: boolean;
}

interface PendingBatch {
  readonly fromDay: number;
  readonly toDay: number;
  readonly ids: Set<string>;
  readonly done: Promise<PresenceSet>;
}

export interface PresenceCacheStats {
  readonly devices: number;
  readonly deviceDays: number;
  readonly hits: number;
  readonly misses: number;
  readonly refreshes: number;
  readonly evictions: number;
}

export class CachedPresenceStorage implements PresenceStorage {
  private readonly entries = new Map<string, Entry>();
  private deviceDays = 0;
  private seq = 0;
  private readonly pending = new Map<string, PendingBatch>();
  private readonly maxDeviceDays: number;
  private readonly refreshAfterMs: number;
  private readonly batchDevices: number;
  private readonly refreshBatchMs: number;
  /** Stale entries waiting for their refresh, by day range. */
  private readonly stale = new Map<string, { fromDay: number; toDay: number; entries: Map<string, Entry> }>();
  private staleTimer: NodeJS.Timeout | null = null;
  private readonly maxRangeDays: number;
  private readonly now: () => number;
  private readonly onError: (err: unknown) => void;
  private counters = { hits: 0, misses: 0, refreshes: 0, evictions: 0 };

  constructor(
    private readonly inner: PresenceStorage,
    options: PresenceCacheOptions = {},
  ) {
    this.maxDeviceDays = options.maxDeviceDays ?? 500_000;
    this.refreshAfterMs = options.refreshAfterMs ?? 60_000;
    this.batchDevices = options.batchDevices ?? 2000;
    this.refreshBatchMs = options.refreshBatchMs ?? 250;
    this.maxRangeDays = options.maxRangeDays ?? 100;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => undefined);
  }

  /**
   * Changes whenever the cached presence of the device may have changed; -1 when not cached.
   * Asking it counts as a read for freshness: an entry older than `refreshAfterMs` is re-read in
   * the background, so results cached by version (usage answers) catch up with other instances'
   * writes as reads of the presence itself would.
   */
  version(deviceId: string): number {
    const e = this.entries.get(deviceId);
    if (e === undefined) return -1;
    if (!e.refreshing && this.now() - e.loadedAt > this.refreshAfterMs) this.refreshLater(deviceId, e);
    return e.version;
  }

  /**
   * The version of a device's entry if it is still exactly what one storage read put there (no
   * save, refresh or widening since); else -1. A reader whose own load created the entry can then
   * tag what it computed with this version.
   */
  unchangedSinceRead(deviceId: string): number {
    const e = this.entries.get(deviceId);
    return e !== undefined && e.version === e.created ? e.version : -1;
  }

  stats(): PresenceCacheStats {
    return { devices: this.entries.size, deviceDays: this.deviceDays, ...this.counters };
  }

  /**
   * Live reads are answered from the cache (possibly lagging other instances by `refreshAfterMs`).
   * Exact reads (`{ exact: true }`: money) and `{ cache: false }` (billing runs reading every device
   * once) go straight to the inner storage.
   */
  async loadRange(deviceIds: readonly string[], fromDay: number, toDay: number, options?: LoadOptions): Promise<PresenceSet> {
    if (options?.exact === true || options?.cache === false) return this.inner.loadRange(deviceIds, fromDay, toDay, options);
    const out = new PresenceSet();
    if (toDay <= fromDay) return out;
    const now = this.now();
    let missing: string[] | null = null;
    for (const id of deviceIds) {
      const e = this.entries.get(id);
      if (e !== undefined && e.fromDay <= fromDay && e.toDay >= toDay) {
        this.counters.hits++;
        // Most recently used last: Map order is the LRU order.
        this.entries.delete(id);
        this.entries.set(id, e);
        copyInto(out, id, e, fromDay, toDay);
        if (!e.refreshing && now - e.loadedAt > this.refreshAfterMs) this.refreshLater(id, e);
      } else {
        this.counters.misses++;
        (missing ??= []).push(id);
      }
    }
    if (missing !== null) {
      const loaded = await Promise.all(this.fetch(missing, fromDay, toDay));
      const wanted = new Set(missing);
      for (const set of loaded) {
        for (const e of set.entries()) {
          if (!wanted.has(e.deviceId) || e.day < fromDay || e.day >= toDay) continue;
          out.mergeBits(e.deviceId, e.day, KIND_DEVICE_TIME, e.presence.device);
          if (e.presence.fallback !== null) out.mergeBits(e.deviceId, e.day, KIND_FALLBACK, e.presence.fallback);
        }
      }
    }
    return out;
  }

  async save(rows: readonly PresenceRowIn[], writer: number): Promise<void> {
    await this.inner.save(rows, writer);
    this.absorb(rows);
  }

  /** Rows committed to the inner storage by someone else in this process (the ingest pipeline): OR-ed into cached entries. */
  absorb(rows: readonly PresenceRowIn[]): void {
    for (const r of rows) {
      const e = this.entries.get(r.deviceId);
      if (e === undefined || r.day < e.fromDay || r.day >= e.toDay) continue;
      this.absorbDay(r.deviceId, r.day, r.kind === KIND_DEVICE_TIME ? r.bits : null, r.kind === KIND_FALLBACK ? r.bits : null);
    }
  }

  /** Drops every entry (tests, or after presence was written behind the cache's back). */
  clear(): void {
    this.entries.clear();
    this.deviceDays = 0;
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  /** Cold misses: joined into one query per day range per tick, chunked by `batchDevices`. */
  private fetch(ids: readonly string[], fromDay: number, toDay: number): Promise<PresenceSet>[] {
    const key = `${fromDay}:${toDay}`;
    const out = new Set<Promise<PresenceSet>>();
    let batch = this.pending.get(key);
    for (const id of ids) {
      if (batch === undefined || batch.ids.size >= this.batchDevices) batch = this.newBatch(key, fromDay, toDay);
      batch.ids.add(id);
      out.add(batch.done);
    }
    return [...out];
  }

  private newBatch(key: string, fromDay: number, toDay: number): PendingBatch {
    const ids = new Set<string>();
    const done = new Promise<PresenceSet>((resolve, reject) => {
      setImmediate(() => {
        if (this.pending.get(key)?.ids === ids) this.pending.delete(key);
        const startedAt = this.now();
        this.inner.loadRange([...ids], fromDay, toDay).then((set) => {
          this.store([...ids], fromDay, toDay, set, startedAt);
          resolve(set);
        }, reject);
      });
    });
    const batch = { fromDay, toDay, ids, done };
    this.pending.set(key, batch);
    return batch;
  }

  private refreshLater(id: string, e: Entry): void {
    e.refreshing = true;
    this.counters.refreshes++;
    const key = `${e.fromDay}:${e.toDay}`;
    let group = this.stale.get(key);
    if (group === undefined) {
      group = { fromDay: e.fromDay, toDay: e.toDay, entries: new Map() };
      this.stale.set(key, group);
    }
    group.entries.set(id, e);
    if (group.entries.size >= this.batchDevices) {
      this.stale.delete(key);
      this.refreshGroup(group);
    } else if (this.staleTimer === null) {
      this.staleTimer = setTimeout(() => this.refreshStale(), this.refreshBatchMs);
      this.staleTimer.unref();
    }
  }

  private refreshStale(): void {
    this.staleTimer = null;
    const groups = [...this.stale.values()];
    this.stale.clear();
    for (const g of groups) this.refreshGroup(g);
  }

  private refreshGroup(group: { fromDay: number; toDay: number; entries: Map<string, Entry> }): void {
    const ids = [...group.entries.keys()];
    const startedAt = this.now();
    this.inner
      .loadRange(ids, group.fromDay, group.toDay)
      .then((set) => this.store(ids, group.fromDay, group.toDay, set, startedAt))
      .catch((err) => this.onError(err))
      .finally(() => {
        for (const e of group.entries.values()) e.refreshing = false;
      });
  }

  /**
   * Puts a fetched range into the cache: a new entry, or OR-ed into (and widening) the old one.
   * The version moves only when the entry's content changes (a refresh that finds nothing new
   * keeps results derived from it valid).
   */
  private store(ids: readonly string[], fromDay: number, toDay: number, set: PresenceSet, startedAt: number): void {
    for (const id of ids) {
      let e = this.entries.get(id);
      const contiguous = e !== undefined && e.fromDay <= toDay && fromDay <= e.toDay;
      if (e !== undefined && !(contiguous && Math.max(e.toDay, toDay) - Math.min(e.fromDay, fromDay) <= this.maxRangeDays)) {
        this.drop(id, e);
        e = undefined;
      }
      let changed = false;
      const isNew = e === undefined;
      if (e === undefined) {
        const version = ++this.seq;
        e = { fromDay, toDay, days: new Map(), loadedAt: startedAt, version, created: version, refreshing: false };
        this.entries.set(id, e);
        this.deviceDays++;
      } else {
        // Days newly covered are new content (they were unknown before, even if empty).
        if (fromDay < e.fromDay || toDay > e.toDay) changed = true;
        e.fromDay = Math.min(e.fromDay, fromDay);
        e.toDay = Math.max(e.toDay, toDay);
        if (fromDay <= e.fromDay && toDay >= e.toDay) e.loadedAt = Math.max(e.loadedAt, startedAt);
      }
      for (let day = fromDay; day < toDay; day++) {
        const p = set.get(id, day);
        if (p !== undefined && this.orDay(e, day, p.device, p.fallback)) changed = true;
      }
      // Filling a new entry is its creation, not a change.
      if (changed && !isNew) e.version = ++this.seq;
    }
    this.evict();
  }

  private absorbDay(id: string, day: number, device: Uint32Array | null, fallback: Uint32Array | null): void {
    const e = this.entries.get(id);
    if (e === undefined || day < e.fromDay || day >= e.toDay) return;
    if (this.orDay(e, day, device, fallback)) e.version = ++this.seq;
  }

  /** ORs bits into an entry's day; true if the entry's content changed. */
  private orDay(e: Entry, day: number, device: Uint32Array | null, fallback: Uint32Array | null): boolean {
    let changed = false;
    let d = e.days.get(day);
    if (d === undefined) {
      d = { device: null, fallback: null };
      e.days.set(day, d);
      if (e.days.size > 1) this.deviceDays++;
    }
    if (device !== null) {
      if (d.device === null) {
        d.device = Uint32Array.from(device);
        changed = true;
      } else if (orInto(d.device, device)) changed = true;
    }
    if (fallback !== null) {
      if (d.fallback === null) {
        d.fallback = Uint32Array.from(fallback);
        changed = true;
      } else if (orInto(d.fallback, fallback)) changed = true;
    }
    return changed;
  }

  private drop(id: string, e: Entry): void {
    this.entries.delete(id);
    this.deviceDays -= Math.max(1, e.days.size);
  }

  private evict(): void {
    if (this.deviceDays <= this.maxDeviceDays) return;
    const target = Math.floor(this.maxDeviceDays * 0.9);
    for (const [id, e] of this.entries) {
      if (this.deviceDays <= target) break;
      this.drop(id, e);
      this.counters.evictions++;
    }
  }
}

/** Copies (never aliases) an entry's days in [fromDay, toDay) into `out`. */
function copyInto(out: PresenceSet, id: string, e: Entry, fromDay: number, toDay: number): void {
  for (const [day, d] of e.days) {
    if (day < fromDay || day >= toDay) continue;
    if (d.device !== null) out.mergeBits(id, day, KIND_DEVICE_TIME, d.device);
    if (d.fallback !== null) out.mergeBits(id, day, KIND_FALLBACK, d.fallback);
  }
}
