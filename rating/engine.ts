/**
 * The streaming presence engine. The ingest pipeline calls `ingest(records)` after each batch is
 * committed; the engine sets minute bits in memory (integer math on typed arrays, no Date, no
 * strings per record) and `flush()` persists the changed device-days through `PresenceStorage`.
 *
 * Idempotent and convergent: bits only ever get set; before a device-day is first written the
 * engine ORs in what storage already holds, and storage ORs every row on read. Duplicates,
 * reordering, late data, restarts and several gateway instances all converge on the same sets.
 *
 * Bounded: at most `maxDeviceDays` device-days stay in memory (soft bound). Over it, `ingest`
 * reports `flushNeeded` and `flush()` evicts clean device-days, least recently touched first;
 * evicted days are reloaded from storage when touched again.
 */
import { type DayBits, countBits, newDayBits, orInto } from './minute-bitmap.ts';
import { DEFAULT_IMPLAUSIBLE_TIME_POLICY, DEFAULT_PLAUSIBILITY, type ImplausibleTimePolicy, type PlausibilityRule, validatePlausibilityRule } from './plausibility.ts';
import { KIND_DEVICE_TIME, KIND_FALLBACK, type PresenceSet, effectiveBits } from './presence.ts';
import type { LoadOptions, PresenceRowIn, PresenceSource, PresenceStorage } from './presence-storage.ts';
import { DAY_MS, MINUTE_MS } from './time.ts';

/** The fields of `TelemetryRecord` the engine reads. */
export interface PresenceRecord {
  readonly deviceId: string;
  readonly deviceTime: number | null;
  readonly receivedAt: number;
}

export interface EngineOptions {
  readonly storage: PresenceStorage;
  readonly plausibility?: PlausibilityRule;
  /** Soft bound on device-days held in memory. Default 500 000 (≈ 150 MB). */
  readonly maxDeviceDays?: number;
  /** Policy used by `minutesInMemory` (storage itself is policy-free). */
  readonly policy?: ImplausibleTimePolicy;
}

export interface IngestResult {
  /** Records whose device-time minute was set (new or already known). */
  readonly deviceTime: number;
  /** Records with an implausible device time: their receive-time minute went to the fallback bitmap. */
  readonly fallback: number;
  /** Records whose receive time itself was unusable (not counted anywhere). */
  readonly dropped: number;
  /** True when resident device-days exceed `maxDeviceDays` or dirty ones exceed half of it: the caller should `await flush()`. */
  readonly flushNeeded: boolean;
}

export interface FlushReport {
  readonly written: number;
  readonly loaded: number;
  readonly evicted: number;
}

export interface EngineStats {
  readonly residentDeviceDays: number;
  readonly dirtyDeviceDays: number;
  readonly devices: number;
  readonly records: number;
  readonly fallbackRecords: number;
  readonly droppedRecords: number;
  readonly flushes: number;
  readonly flushFailures: number;
}

const DIRTY_DEVICE = 1;
const DIRTY_FALLBACK = 2;

interface Entry {
  readonly deviceId: string;
  readonly day: number;
  readonly device: DayBits;
  fallback: DayBits | null;
  /** DIRTY_* bits not yet persisted. */
  dirty: number;
  /** Storage content has been OR-ed in. */
  based: boolean;
  touched: number;
}

interface DeviceState {
  readonly id: string;
  readonly days: Map<number, Entry>;
  lastDay: number;
  lastEntry: Entry | null;
}

export class PresenceEngine implements PresenceSource {
  private readonly storage: PresenceStorage;
  private readonly rule: PlausibilityRule;
  private readonly policy: ImplausibleTimePolicy;
  readonly maxDeviceDays: number;
  private readonly devices = new Map<string, DeviceState>();
  private dirty: Entry[] = [];
  private resident = 0;
  private tick = 0;
  private flushChain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private counters = { records: 0, fallback: 0, dropped: 0, flushes: 0, flushFailures: 0 };

  constructor(options: EngineOptions) {
    this.storage = options.storage;
    this.rule = validatePlausibilityRule(options.plausibility ?? DEFAULT_PLAUSIBILITY);
    this.policy = options.policy ?? DEFAULT_IMPLAUSIBLE_TIME_POLICY;
    this.maxDeviceDays = options.maxDeviceDays ?? 500_000;
    if (!Number.isInteger(this.maxDeviceDays) || this.maxDeviceDays < 1) throw new Error(`maxDeviceDays must be a positive integer, got ${this.maxDeviceDays}`);
  }

  /** Hot path. Synchronous; call after the batch is committed to the records table. */
  ingest(records: readonly PresenceRecord[]): IngestResult {
    const tick = ++this.tick;
    const minTime = this.rule.minTime;
    const maxAhead = this.rule.maxAheadMs;
    const maxBehind = this.rule.maxBehindMs;
    let lastId: string | null = null;
    let dev: DeviceState | undefined;
    let deviceTimeCount = 0;
    let fallbackCount = 0;
    let dropped = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const id = r.deviceId;
      if (id !== lastId) {
        dev = this.devices.get(id);
        if (dev === undefined) {
          dev = { id, days: new Map(), lastDay: NaN, lastEntry: null };
          this.devices.set(id, dev);
        }
        lastId = id;
      }
      const dt = r.deviceTime;
      const rt = r.receivedAt;
      let t: number;
      let fallback = false;
      // Same rule as plausibility.classifyTime, inlined for the hot path (tested equal).
      if (dt !== null && dt >= minTime && dt <= rt + maxAhead && (maxBehind === null || dt >= rt - maxBehind)) {
        t = dt;
        deviceTimeCount++;
      } else if (rt >= minTime && rt < 8.64e15) {
        t = rt;
        fallback = true;
        fallbackCount++;
      } else {
        dropped++;
        continue;
      }
      const day = Math.floor(t / DAY_MS);
      const minute = Math.floor((t - day * DAY_MS) / MINUTE_MS);
      const d = dev!;
      const e = d.lastDay === day ? d.lastEntry! : this.entryFor(d, day);
      e.touched = tick;
      const w = minute >>> 5;
      const mask = 1 << (minute & 31);
      if (!fallback) {
        const bits = e.device;
        const old = bits[w];
        if ((old & mask) === 0) {
          bits[w] = old | mask;
          if (e.dirty === 0) this.dirty.push(e);
          e.dirty |= DIRTY_DEVICE;
        }
      } else {
        if (e.fallback === null) e.fallback = newDayBits();
        const bits = e.fallback;
        const old = bits[w];
        if ((old & mask) === 0) {
          bits[w] = old | mask;
          if (e.dirty === 0) this.dirty.push(e);
          e.dirty |= DIRTY_FALLBACK;
        }
      }
    }
    this.counters.records += records.length;
    this.counters.fallback += fallbackCount;
    this.counters.dropped += dropped;
    return {
      deviceTime: deviceTimeCount,
      fallback: fallbackCount,
      dropped,
      flushNeeded: this.resident > this.maxDeviceDays || this.dirty.length > this.maxDeviceDays / 2,
    };
  }

  private entryFor(d: DeviceState, day: number): Entry {
    let e = d.days.get(day);
    if (e === undefined) {
      e = { deviceId: d.id, day, device: newDayBits(), fallback: null, dirty: 0, based: false, touched: 0 };
      d.days.set(day, e);
      this.resident++;
    }
    d.lastDay = day;
    d.lastEntry = e;
    return e;
  }

  /**
   * Persists every changed device-day (merging in what storage holds first), then evicts clean
   * device-days beyond the bound. Flushes run one at a time; ingest may continue meanwhile.
   * On failure the device-days stay dirty and the next flush retries them.
   */
  flush(): Promise<FlushReport> {
    const run = this.flushChain.then(() => this.flushOnce());
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  private async flushOnce(): Promise<FlushReport> {
    this.counters.flushes++;
    const batch = this.dirty;
    this.dirty = [];
    let loaded = 0;
    try {
      const unbased = batch.filter((e) => !e.based);
      if (unbased.length > 0) {
        const stored = await this.storage.loadDays(unbased.map((e) => ({ deviceId: e.deviceId, day: e.day })));
        for (const e of unbased) {
          const p = stored.get(e.deviceId, e.day);
          if (p !== undefined) {
            orInto(e.device, p.device);
            if (p.fallback !== null) {
              if (e.fallback === null) e.fallback = Uint32Array.from(p.fallback);
              else orInto(e.fallback, p.fallback);
            }
            loaded++;
          }
          e.based = true;
        }
      }
      const rows: PresenceRowIn[] = [];
      for (const e of batch) {
        // Write the whole (merged) bitmap: this writer's rows only ever grow.
        if (e.dirty & DIRTY_DEVICE) rows.push({ deviceId: e.deviceId, day: e.day, kind: KIND_DEVICE_TIME, bits: Uint32Array.from(e.device) });
        if (e.dirty & DIRTY_FALLBACK && e.fallback !== null) rows.push({ deviceId: e.deviceId, day: e.day, kind: KIND_FALLBACK, bits: Uint32Array.from(e.fallback) });
        e.dirty = 0;
      }
      await this.storage.save(rows);
      const evicted = this.evict();
      return { written: rows.length, loaded, evicted };
    } catch (err) {
      this.counters.flushFailures++;
      for (const e of batch) {
        if (e.dirty === 0) this.dirty.push(e);
        e.dirty |= DIRTY_DEVICE | (e.fallback !== null ? DIRTY_FALLBACK : 0);
      }
      throw err;
    }
  }

  private evict(): number {
    if (this.resident <= this.maxDeviceDays) return 0;
    const target = Math.floor(this.maxDeviceDays * 0.9);
    const clean: Entry[] = [];
    for (const d of this.devices.values()) for (const e of d.days.values()) if (e.dirty === 0) clean.push(e);
    clean.sort((a, b) => a.touched - b.touched);
    let evicted = 0;
    for (const e of clean) {
      if (this.resident <= target) break;
      const d = this.devices.get(e.deviceId)!;
      d.days.delete(e.day);
      if (d.lastEntry === e) {
        d.lastEntry = null;
        d.lastDay = NaN;
      }
      if (d.days.size === 0) this.devices.delete(e.deviceId);
      this.resident--;
      evicted++;
    }
    return evicted;
  }

  /**
   * Merged presence (storage ∪ this engine's memory) for devices over UTC days [fromDay, toDay):
   * what statements, live usage and reconcile read. Includes bits not yet flushed.
   */
  async load(deviceIds: readonly string[], fromDay: number, toDay: number, options?: LoadOptions): Promise<PresenceSet> {
    const set = await this.storage.loadRange(deviceIds, fromDay, toDay, options);
    for (const id of deviceIds) {
      const d = this.devices.get(id);
      if (d === undefined) continue;
      for (const e of d.days.values()) {
        if (e.day < fromDay || e.day >= toDay) continue;
        set.mergeBits(id, e.day, KIND_DEVICE_TIME, e.device);
        if (e.fallback !== null) set.mergeBits(id, e.day, KIND_FALLBACK, e.fallback);
      }
    }
    return set;
  }

  /**
   * Online minutes of a device in a UTC day from memory only (no I/O). Exact once the day has
   * been flushed at least once in this process (`complete`); before that it may miss minutes
   * that only storage knows. Use `load` for an authoritative figure.
   */
  minutesInMemory(deviceId: string, day: number): { minutes: number; complete: boolean } {
    const e = this.devices.get(deviceId)?.days.get(day);
    if (e === undefined) return { minutes: 0, complete: false };
    return { minutes: countBits(effectiveBits(e, this.policy)), complete: e.based };
  }

  stats(): EngineStats {
    return {
      residentDeviceDays: this.resident,
      dirtyDeviceDays: this.dirty.length,
      devices: this.devices.size,
      records: this.counters.records,
      fallbackRecords: this.counters.fallback,
      droppedRecords: this.counters.dropped,
      flushes: this.counters.flushes,
      flushFailures: this.counters.flushFailures,
    };
  }

  /** Flushes every `intervalMs` until `stop()`; failures go to `onError` and are retried. */
  start(intervalMs: number, onError: (err: unknown) => void): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      this.flush().catch(onError);
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and flushes what is left. */
  async stop(): Promise<FlushReport> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    return this.flush();
  }
}
