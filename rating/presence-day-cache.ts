/**
 * Bounded LRU of merged presence per (device list, UTC day), each entry stamped with the
 * fingerprint of the stored rows it was merged from. Pure data structure: what a fingerprint is,
 * and when an entry may be served, is decided by its user (`ClickHousePresenceStorage`), which
 * serves an entry only while storage still reports the same fingerprint for that device list and
 * day — so a hit is, by construction, what a fresh read would return.
 */
import type { DayPresence } from './presence.ts';

/**
 * One device list's merged presence on one UTC day: one shared, frozen `DayPresence` per device
 * with any (`sharedDayPresence`), its bitmaps views into one buffer per entry. Sets hold them
 * without copying and copy on write, so a hit allocates no bitmaps.
 */
export interface CachedDay {
  readonly fingerprint: string;
  readonly deviceIds: readonly string[];
  readonly presences: readonly DayPresence[];
  /** Bitmaps held (device-time + fallback): what the bound counts. */
  readonly bitmaps: number;
}

interface Slot {
  readonly key: string;
  readonly day: number;
  value: CachedDay;
}

export interface PresenceDayCacheStats {
  /** (device list, day) entries held. */
  readonly entries: number;
  /** Bitmaps held (device-day-kinds): what `maxBitmaps` bounds. */
  readonly bitmaps: number;
  readonly evictions: number;
}

export class PresenceDayCache {
  private readonly byKey = new Map<string, Map<number, Slot>>();
  /** Insertion order is recency: least recently used first. */
  private readonly lru = new Map<Slot, true>();
  private bitmaps = 0;
  private evictions = 0;

  constructor(readonly maxBitmaps: number) {
    if (!Number.isInteger(maxBitmaps) || maxBitmaps < 1) throw new Error(`maxBitmaps must be a positive integer, got ${maxBitmaps}`);
  }

  /** The entry, marked most recently used. */
  get(key: string, day: number): CachedDay | undefined {
    const slot = this.byKey.get(key)?.get(day);
    if (slot === undefined) return undefined;
    this.lru.delete(slot);
    this.lru.set(slot, true);
    return slot.value;
  }

  /** Stores (or replaces) an entry, then evicts least recently used entries beyond the bound. */
  set(key: string, day: number, value: CachedDay): void {
    if (value.bitmaps > this.maxBitmaps) {
      this.delete(key, day);
      return;
    }
    let days = this.byKey.get(key);
    if (days === undefined) this.byKey.set(key, (days = new Map()));
    const old = days.get(day);
    if (old !== undefined) {
      this.bitmaps -= old.value.bitmaps;
      this.lru.delete(old);
    }
    const slot: Slot = { key, day, value };
    days.set(day, slot);
    this.lru.set(slot, true);
    this.bitmaps += value.bitmaps;
    for (const victim of this.lru.keys()) {
      if (this.bitmaps <= this.maxBitmaps) break;
      this.remove(victim);
      this.evictions++;
    }
  }

  /** Whether any day of this key is held (a first read of a device list can skip fingerprints). */
  has(key: string): boolean {
    return this.byKey.has(key);
  }

  delete(key: string, day: number): void {
    const slot = this.byKey.get(key)?.get(day);
    if (slot !== undefined) this.remove(slot);
  }

  clear(): void {
    this.byKey.clear();
    this.lru.clear();
    this.bitmaps = 0;
  }

  stats(): PresenceDayCacheStats {
    return { entries: this.lru.size, bitmaps: this.bitmaps, evictions: this.evictions };
  }

  private remove(slot: Slot): void {
    const days = this.byKey.get(slot.key)!;
    days.delete(slot.day);
    if (days.size === 0) this.byKey.delete(slot.key);
    this.lru.delete(slot);
    this.bitmaps -= slot.value.bitmaps;
  }
}
