/**
 * The presence engine: turns records into the presence rows that are committed **with** them.
 *
 * The ingest pipeline calls `stage(records)` when it commits a batch; the engine classifies each
 * record's time (plausibility rule, integer math on typed arrays, no Date, no strings per record)
 * and returns the presence rows the batch adds, which the pipeline inserts in the same commit as
 * the records and frames, before any device is acked. `done(true)` once that commit succeeded,
 * `done(false)` once it was given up. Tests and tools that have no pipeline use `ingest(records)`,
 * which stages, saves through `PresenceStorage` and settles in one call.
 *
 * So a minute is billed exactly when its record is stored: a kill -9 at any instant loses no acked
 * minute, and nothing has to be rebuilt at start-up. The engine's memory is an index of what this
 * process has written, which serves two purposes only:
 * - a batch writes a row only for a device-day whose bits it changes (a tracker reporting every
 *   second adds a new minute once a minute, so most batches add few presence rows);
 * - each row is the union of everything its writer id has written for that device-day plus the
 *   batch's bits, so per (device, day, kind, writer) the stored rows only ever grow — what the
 *   table's ReplacingMergeTree(minutes) needs to keep the largest row without losing a bit.
 *
 * Writer ids. Batches commit concurrently (the pipeline's insert slots), and a row must contain
 * every bit earlier rows of its writer held. A writer id is therefore used by one batch at a time:
 * `stage` takes one from a pool (or draws a new random one), `done(true)` gives it back;
 * `done(false)` retires it (a row of a given-up batch may or may not be stored, so later rows of
 * that id could be smaller than it). Evicting device-days from memory retires every pooled id for
 * the same reason. Readers OR every row of a device-day, so any number of writer ids, processes and
 * restarts converge.
 *
 * Bounded: at most `maxDeviceDays` device-days in memory (soft bound); past it, after a commit,
 * the least recently touched ones are dropped.
 */
import { type DayBits, isEmpty, newDayBits, orBits, orInto } from './minute-bitmap.ts';
import { DEFAULT_PLAUSIBILITY, type PlausibilityRule, validatePlausibilityRule } from './plausibility.ts';
import { KIND_DEVICE_TIME, KIND_FALLBACK, type PresenceSet } from './presence.ts';
import type { LoadOptions, PresenceRowIn, PresenceSource, PresenceStorage } from './presence-storage.ts';
import { DAY_MS, MINUTE_MS } from './time.ts';
import { randomInt } from 'node:crypto';

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
  /** Told of every committed row (e.g. a live read cache absorbs them). */
  readonly onCommitted?: (rows: readonly PresenceRowIn[]) => void;
}

export interface IngestResult {
  /** Records whose device-time minute was set (new or already known). */
  readonly deviceTime: number;
  /** Records with an implausible device time: their receive-time minute went to the fallback bitmap. */
  readonly fallback: number;
  /** Records whose receive time itself was unusable (not counted anywhere). */
  readonly dropped: number;
}

/** The presence a batch adds, waiting for the batch's commit. */
export interface StagedPresence extends IngestResult {
  /** Rows to commit with the batch (empty when the batch adds no minute this process has not written). */
  readonly rows: readonly PresenceRowIn[];
  /** The writer id the rows are stored under (the `writer` column). */
  readonly writer: number;
  /** Call once: true after the rows were committed, false when the commit was given up. */
  done(committed: boolean): void;
}

export interface EngineStats {
  readonly residentDeviceDays: number;
  readonly devices: number;
  readonly records: number;
  readonly fallbackRecords: number;
  readonly droppedRecords: number;
  /** Presence rows committed (device-day-kinds written). */
  readonly rowsCommitted: number;
  /** Batches whose commit was given up (their writer ids retired). */
  readonly abandoned: number;
}

interface Entry {
  readonly deviceId: string;
  readonly day: number;
  /** Committed by this process: device-time and fallback minutes. */
  readonly device: DayBits;
  fallback: DayBits | null;
  touched: number;
  /** Scratch of the `stage` call in progress: its sequence number and the new bits it found. */
  stage: number;
  newDevice: DayBits | null;
  newFallback: DayBits | null;
}

interface DeviceState {
  readonly id: string;
  readonly days: Map<number, Entry>;
  lastDay: number;
  lastEntry: Entry | null;
}

/** A writer id for a presence row: UInt32, never 0. */
export function newWriterId(): number {
  return randomInt(1, 2 ** 32 - 1);
}

export class PresenceEngine implements PresenceSource {
  private readonly storage: PresenceStorage;
  private readonly rule: PlausibilityRule;
  readonly maxDeviceDays: number;
  private readonly onCommitted: ((rows: readonly PresenceRowIn[]) => void) | null;
  private readonly devices = new Map<string, DeviceState>();
  private resident = 0;
  private tick = 0;
  private stageSeq = 0;
  /** Writer ids free for the next batch; `generation` retires every id handed out before an eviction. */
  private writers: number[] = [];
  private generation = 0;
  private counters = { records: 0, fallback: 0, dropped: 0, rows: 0, abandoned: 0 };

  constructor(options: EngineOptions) {
    this.storage = options.storage;
    this.rule = validatePlausibilityRule(options.plausibility ?? DEFAULT_PLAUSIBILITY);
    this.maxDeviceDays = options.maxDeviceDays ?? 500_000;
    this.onCommitted = options.onCommitted ?? null;
    if (!Number.isInteger(this.maxDeviceDays) || this.maxDeviceDays < 1) throw new Error(`maxDeviceDays must be a positive integer, got ${this.maxDeviceDays}`);
  }

  /**
   * Hot path, synchronous: the presence rows `records` add. Nothing in memory changes until
   * `done(true)`, so a batch that is never committed leaves no trace.
   */
  stage(records: readonly PresenceRecord[]): StagedPresence {
    const tick = ++this.tick;
    const seq = ++this.stageSeq;
    const minTime = this.rule.minTime;
    const maxAhead = this.rule.maxAheadMs;
    const maxBehind = this.rule.maxBehindMs;
    const changed: Entry[] = [];
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
      // Already committed by this process: nothing to write.
      const committed = fallback ? e.fallback : e.device;
      if (committed !== null && (committed[w] & mask) !== 0) continue;
      if (e.stage !== seq) {
        // First new bit of this device-day in this batch: its scratch starts empty.
        e.stage = seq;
        e.newDevice = null;
        e.newFallback = null;
        changed.push(e);
      }
      if (fallback) (e.newFallback ??= newDayBits())[w] |= mask;
      else (e.newDevice ??= newDayBits())[w] |= mask;
    }
    this.counters.records += records.length;
    this.counters.fallback += fallbackCount;
    this.counters.dropped += dropped;

    // Each row: what this process committed for the device-day ∪ the batch's new bits.
    const rows: PresenceRowIn[] = [];
    const added: { e: Entry; device: DayBits | null; fallback: DayBits | null }[] = [];
    for (const e of changed) {
      const nd = e.newDevice;
      const nf = e.newFallback;
      e.newDevice = null;
      e.newFallback = null;
      if (nd !== null) rows.push({ deviceId: e.deviceId, day: e.day, kind: KIND_DEVICE_TIME, bits: orBits(e.device, nd) });
      if (nf !== null) rows.push({ deviceId: e.deviceId, day: e.day, kind: KIND_FALLBACK, bits: e.fallback === null ? nf : orBits(e.fallback, nf) });
      added.push({ e, device: nd, fallback: nf });
    }
    const generation = this.generation;
    const writer = rows.length === 0 ? 0 : (this.writers.pop() ?? newWriterId());
    let settled = false;
    return {
      deviceTime: deviceTimeCount,
      fallback: fallbackCount,
      dropped,
      rows,
      writer,
      done: (committed: boolean) => {
        if (settled) throw new Error('staged presence settled twice');
        settled = true;
        if (rows.length === 0) return;
        if (!committed) {
          this.counters.abandoned++;
          return; // the writer id is retired: its stored row may hold bits memory does not
        }
        for (const a of added) {
          if (a.device !== null) orInto(a.e.device, a.device);
          if (a.fallback !== null) {
            if (a.e.fallback === null) a.e.fallback = Uint32Array.from(a.fallback);
            else orInto(a.e.fallback, a.fallback);
          }
        }
        this.counters.rows += rows.length;
        if (generation === this.generation) this.writers.push(writer);
        this.onCommitted?.(rows);
        if (this.resident > this.maxDeviceDays) this.evict();
      },
    };
  }

  /** Stages `records`, saves their rows through the storage and settles: for callers without a pipeline. */
  async ingest(records: readonly PresenceRecord[]): Promise<IngestResult> {
    const staged = this.stage(records);
    if (staged.rows.length > 0) {
      try {
        await this.storage.save(staged.rows, staged.writer);
      } catch (err) {
        staged.done(false);
        throw err;
      }
    }
    staged.done(true);
    return { deviceTime: staged.deviceTime, fallback: staged.fallback, dropped: staged.dropped };
  }

  private entryFor(d: DeviceState, day: number): Entry {
    let e = d.days.get(day);
    if (e === undefined) {
      e = { deviceId: d.id, day, device: newDayBits(), fallback: null, touched: 0, stage: 0, newDevice: null, newFallback: null };
      d.days.set(day, e);
      this.resident++;
    }
    d.lastDay = day;
    d.lastEntry = e;
    return e;
  }

  /** Drops the least recently touched device-days down to 90 % of the bound, and retires the pooled writer ids. */
  private evict(): number {
    const target = Math.floor(this.maxDeviceDays * 0.9);
    const all: Entry[] = [];
    for (const d of this.devices.values()) for (const e of d.days.values()) all.push(e);
    all.sort((a, b) => a.touched - b.touched);
    let evicted = 0;
    for (const e of all) {
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
    // A writer id's next row must hold all its earlier rows held; memory no longer knows them.
    this.generation++;
    this.writers = [];
    return evicted;
  }

  /**
   * Merged presence for devices over UTC days [fromDay, toDay): stored presence ∪ what this process
   * committed (already stored too: it covers a read cache in front of the storage that loaded
   * just before a commit). What statements, live usage and reconcile read.
   */
  async load(deviceIds: readonly string[], fromDay: number, toDay: number, options?: LoadOptions): Promise<PresenceSet> {
    const set = await this.storage.loadRange(deviceIds, fromDay, toDay, options);
    for (const id of deviceIds) {
      const d = this.devices.get(id);
      if (d === undefined) continue;
      for (const e of d.days.values()) {
        if (e.day < fromDay || e.day >= toDay) continue;
        if (!isEmpty(e.device)) set.mergeBits(id, e.day, KIND_DEVICE_TIME, e.device);
        if (e.fallback !== null) set.mergeBits(id, e.day, KIND_FALLBACK, e.fallback);
      }
    }
    return set;
  }

  stats(): EngineStats {
    return {
      residentDeviceDays: this.resident,
      devices: this.devices.size,
      records: this.counters.records,
      fallbackRecords: this.counters.fallback,
      droppedRecords: this.counters.dropped,
      rowsCommitted: this.counters.rows,
      abandoned: this.counters.abandoned,
    };
  }
}

