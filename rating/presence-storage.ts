/**
 * Where persisted presence lives, as the engine sees it. Persisting is a merge: `save` adds rows,
 * `load*` returns the OR of every row ever saved for a device-day, by any writer. Two
 * implementations: ClickHouse through `Store` (`presence-store.ts`) and an in-memory one for
 * pure unit tests (`MemoryPresenceStorage`).
 */
import type { DayBits } from './minute-bitmap.ts';
import { PresenceSet } from './presence.ts';

export interface PresenceRowIn {
  readonly deviceId: string;
  readonly day: number;
  /** KIND_DEVICE_TIME or KIND_FALLBACK (presence.ts). */
  readonly kind: number;
  readonly bits: DayBits;
}

export interface LoadOptions {
  /**
   * true: an exact read — the answer holds every row committed to storage before the call, by any
   * writer (another gateway instance, a late upload), so no cache that can lag may answer it
   * (`CachedPresenceStorage` reads through). Everything that fixes money reads this way: closing a
   * period, billing runs, reconcile (`RatingService`). Default false: a live read, which may lag
   * other writers by the documented freshness of the cache in front of the storage, if any.
   */
  readonly exact?: boolean;
  /**
   * false: do not consult or fill any read cache (billing runs that read every device once): only
   * the cost differs, and the read is exact. Default true.
   */
  readonly cache?: boolean;
}

export interface PresenceStorage {
  /** Merged presence of these devices for UTC days [fromDay, toDay). */
  loadRange(deviceIds: readonly string[], fromDay: number, toDay: number, options?: LoadOptions): Promise<PresenceSet>;
  /**
   * Persists rows under a writer id; resolves once committed. Saving a row again, or a subset of
   * one, changes nothing. Per (device, day, kind) a writer's rows must only grow (see engine.ts).
   */
  save(rows: readonly PresenceRowIn[], writer: number): Promise<void>;
}

/** Rows kept in memory, OR-ed on read: the same merge semantics as the ClickHouse table. */
export class MemoryPresenceStorage implements PresenceStorage {
  readonly rows: PresenceRowIn[] = [];
  /** Failure injection for tests: the next `save` rejects. */
  failNextSave = false;

  async loadRange(deviceIds: readonly string[], fromDay: number, toDay: number): Promise<PresenceSet> {
    const ids = new Set(deviceIds);
    return this.collect((r) => ids.has(r.deviceId) && r.day >= fromDay && r.day < toDay);
  }

  async save(rows: readonly PresenceRowIn[], _writer: number): Promise<void> {
    if (this.failNextSave) {
      this.failNextSave = false;
      throw new Error('injected save failure');
    }
    for (const r of rows) this.rows.push({ ...r, bits: Uint32Array.from(r.bits) });
  }

  private collect(keep: (r: PresenceRowIn) => boolean): PresenceSet {
    const set = new PresenceSet();
    for (const r of this.rows) if (keep(r)) set.mergeBits(r.deviceId, r.day, r.kind, r.bits);
    return set;
  }
}


/** Anything that can answer "merged presence of these devices over these UTC days". */
export interface PresenceSource {
  load(deviceIds: readonly string[], fromDay: number, toDay: number, options?: LoadOptions): Promise<PresenceSet>;
}

/** Persisted presence only (batch jobs, reconcile's "persisted" side). */
export function storageSource(storage: PresenceStorage): PresenceSource {
  return { load: (ids, from, to, options) => storage.loadRange(ids, from, to, options) };
}
