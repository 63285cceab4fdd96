/**
 * Group commit with ack-after-commit.
 *
 * Sessions `submit()` what one frame carried (its records and the raw frame); the promise settles
 * only when the batch holding it is committed to ClickHouse (resolve → the session may ack) or
 * has definitely failed (reject → the session must not ack; the device keeps the data and
 * resends). Batches are cut at `batchRecords` rows or `batchDelayMs` after their first unit — or
 * at once, while an insert slot is free, when they already hold `batchEagerRecords` (a batch that
 * size is an efficient insert; waiting out the delay would only add ack latency and, for a device
 * that pipelines, cap its throughput at one batch per delay).
 *
 * While every insert slot is busy, the due batch keeps growing (group commit), so a slow store
 * gets fewer, larger inserts. And a batch is not cut sooner than `minBatchIntervalMs` after the
 * previous one unless it is full: every insert makes a new part in each table, which ClickHouse
 * merges again and again afterwards, so under load the number of inserts a second — not the
 * number of records — sets most of the storage's CPU. Measured on the 2-core bench machine at
 * 20 000 records/s from 500 devices (bench/RESULTS.md, "The batch interval"): with no interval,
 * ~16 inserts/s cost the gateway process ~1.5 cores, 0.63 of it merges; with 250 ms, ~0.55 cores.
 * Under light load the interval adds nothing (the previous cut is long past), so a lone packet is
 * still acked after `batchDelayMs`.
 *
 * Inserts are idempotent (ReplacingMergeTree keyed by content), so a failed batch is retried
 * whole, with exponential backoff, until `commitTimeoutMs`; after that its units are rejected.
 *
 * Memory is bounded by backpressure, not by dropping: once `maxQueuedRecords` are waiting, `full`
 * is true and sessions stop reading their sockets until there is room again (`onRoom`). The bound
 * is exact for what a session reads next; a chunk already read when the bound was reached is
 * still accepted (at most one chunk per connection over the bound). Serialisation to RowBinary
 * happens here, once per record, when the unit is submitted.
 */
import { EventEmitter } from 'node:events';
import type { CommittedRecord, ProtocolName, TelemetryRecord, Transport } from '../protocols/record.ts';
import type { DerivedBatch } from '../rating/committed-presence.ts';
import type { Store } from '../store/types.ts';
import { FRAME_COLUMNS, RECORD_COLUMNS, hashBytes, writeFrameRow, writeRecordRow } from '../store/records.ts';
import { RowBinaryWriter } from '../store/row-binary.ts';
import type { Metrics } from './metrics.ts';

export interface IngestUnit {
  readonly deviceId: string;
  readonly protocol: ProtocolName;
  readonly transport: Transport;
  readonly receivedAt: number;
  /** The raw bytes that carried the records, kept for audit. */
  readonly frame: Uint8Array;
  readonly records: readonly TelemetryRecord[];
}

/** Where committed records go next (the fleet tracker). Called once per committed batch, before the acks. */
export interface RecordSink {
  ingest(records: readonly CommittedRecord[]): void | Promise<void>;
}

/**
 * Billing facts derived from a batch (the rating engine's presence rows, `rating/committed-presence.ts`):
 * `derive` is called once when the batch is cut; its inserts are committed with the records and
 * frames — the batch counts as committed, and its devices are acked, only once all are — and
 * `settle` says how the commit ended.
 */
export interface BatchDeriver {
  derive(records: readonly CommittedRecord[]): DerivedBatch;
}

export interface PipelineOptions {
  readonly batchRecords: number;
  readonly batchDelayMs: number;
  readonly batchEagerRecords: number;
  /** A batch is cut no sooner than this after the previous cut, unless it holds `batchRecords` (or the pipeline is closing). */
  readonly minBatchIntervalMs: number;
  readonly maxQueuedRecords: number;
  readonly maxInFlightBatches: number;
  readonly commitTimeoutMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  batchRecords: 20_000,
  batchDelayMs: 50,
  batchEagerRecords: 1_000,
  minBatchIntervalMs: 250,
  maxQueuedRecords: 200_000,
  maxInFlightBatches: 2,
  commitTimeoutMs: 15_000,
  retryBaseMs: 100,
  retryMaxMs: 2_000,
};

export class CommitError extends Error {
  readonly code = 'FM_ERR_COMMIT_FAILED';
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

interface Batch {
  /** The `records` and `frames` payloads, RowBinary bytes written as units arrive. */
  recordRows: RowBinaryWriter;
  frameRows: RowBinaryWriter;
  /** What the sink needs of each record, kept until commit (the rows are already serialised). */
  records: CommittedRecord[];
  waiters: Waiter[];
  units: number;
}

export class Pipeline extends EventEmitter {
  readonly options: PipelineOptions;
  /** Payload writers of committed batches, reused (their buffers are the batch's largest allocation). */
  private readonly spareWriters: RowBinaryWriter[] = [];
  private current: Batch = this.newBatch();
  /** The current batch is due: its delay passed or it reached `batchRecords`. */
  private due = false;
  private timer: NodeJS.Timeout | null = null;
  /** When the last batch was cut (performance.now()), and the timer that cuts the due batch once the interval has passed. */
  private lastCut = -Infinity;
  private intervalTimer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private queued = 0;
  private closing = false;
  /** When closing with a deadline: the moment (performance.now()) every commit gives up. */
  private closeBy = Infinity;
  private idleWaiters: (() => void)[] = [];
  private readonly roomWaiters = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly derive: BatchDeriver | null,
    private readonly sink: RecordSink | null,
    private readonly metrics: Metrics | null,
    options: Partial<PipelineOptions> = {},
    private readonly log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void } = console as never,
  ) {
    super();
    this.options = { ...DEFAULT_PIPELINE_OPTIONS, ...options };
  }

  private newBatch(): Batch {
    const writer = () => {
      const w = this.spareWriters.pop() ?? new RowBinaryWriter(1 << 20);
      w.reset();
      return w;
    };
    return { recordRows: writer(), frameRows: writer(), records: [], waiters: [], units: 0 };
  }

  /** True while sessions must stop reading: the queue has reached its bound. */
  get full(): boolean {
    return this.queued >= this.options.maxQueuedRecords;
  }

  /** Records accepted but not yet committed. */
  get queuedRecords(): number {
    return this.queued;
  }

  /**
   * Calls `fn` once, when the queue drops below its bound again. One set of waiters instead of a
   * 'drain' listener per connection: 10 000 paused sockets must not mean 10 000 listeners.
   */
  onRoom(fn: () => void): void {
    this.roomWaiters.add(fn);
  }

  offRoom(fn: () => void): void {
    this.roomWaiters.delete(fn);
  }

  /** Resolves when the unit's records are committed; rejects (CommitError) if they never will be. */
  submit(unit: IngestUnit): Promise<void> {
    if (this.closing) return Promise.reject(new CommitError('gateway is shutting down'));
    return new Promise<void>((resolve, reject) => {
      const b = this.current;
      const frameHash = hashBytes(unit.frame);
      if (unit.frame.length > 0) {
        writeFrameRow(b.frameRows, unit.deviceId, unit.protocol, unit.transport, unit.receivedAt, frameHash, unit.frame);
      }
      for (const r of unit.records) {
        writeRecordRow(b.recordRows, r, unit.transport, frameHash);
        b.records.push({
          deviceId: r.deviceId,
          protocol: r.protocol,
          deviceTime: r.deviceTime,
          receivedAt: r.receivedAt,
          latitude: r.latitude,
          longitude: r.longitude,
          speed: r.speed,
          course: r.course,
          valid: r.valid,
        });
      }
      b.waiters.push({ resolve, reject });
      b.units++;
      this.queued += unit.records.length;
      this.metrics?.queuedRecords.set(this.queued);
      if (b.records.length >= this.options.batchRecords || (b.records.length >= this.options.batchEagerRecords && this.inFlight < this.options.maxInFlightBatches)) this.markDue();
      else if (!this.timer && !this.due) this.timer = setTimeout(() => this.markDue(), this.options.batchDelayMs);
    });
  }

  /**
   * Commits everything accepted so far, then rejects new submissions. With `deadlineMs`, commits
   * still failing then are given up at once (their devices are not acked and resend to whichever
   * instance they reach next): a stop with the storage down or hung takes at most that long.
   */
  async close(deadlineMs?: number): Promise<void> {
    this.closing = true;
    if (deadlineMs !== undefined) this.closeBy = performance.now() + deadlineMs;
    this.markDue();
    if (this.inFlight === 0 && this.current.units === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private markDue(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.due = true;
    this.pump();
  }

  /**
   * Group commit: a due batch is committed as soon as an insert slot is free. While every slot is
   * busy the due batch keeps growing, so a slow store gets fewer, larger inserts instead of a
   * queue of small ones.
   */
  private pump(): void {
    while (this.due && this.current.units > 0 && this.inFlight < this.options.maxInFlightBatches) {
      if (!this.closing && this.current.records.length < this.options.batchRecords) {
        const wait = this.lastCut + this.options.minBatchIntervalMs - performance.now();
        if (wait > 0) {
          this.intervalTimer ??= setTimeout(() => {
            this.intervalTimer = null;
            this.pump();
          }, Math.ceil(wait));
          return;
        }
      }
      if (this.intervalTimer) {
        clearTimeout(this.intervalTimer);
        this.intervalTimer = null;
      }
      this.lastCut = performance.now();
      const batch = this.current;
      this.current = this.newBatch();
      this.due = false;
      this.inFlight++;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        if (this.current.records.length >= this.options.batchEagerRecords) this.markDue();
        else if (this.current.units > 0 && !this.due && !this.timer) this.timer = setTimeout(() => this.markDue(), this.options.batchDelayMs);
        this.pump();
        if (this.inFlight === 0 && this.current.units === 0) {
          for (const w of this.idleWaiters.splice(0)) w();
        }
      });
    }
    if (this.due && this.current.units === 0) this.due = false;
  }

  private async commit(batch: Batch): Promise<void> {
    const started = performance.now();
    const commitBy = started + this.options.commitTimeoutMs;
    const recordsPayload = batch.recordRows.bytes();
    const framesPayload = batch.frameRows.bytes();
    // Presence derived from the batch goes in the same commit: a device is acked only once its
    // billable minutes are stored too.
    let derived: DerivedBatch | null = null;
    let derivable = true;
    try {
      derived = this.derive?.derive(batch.records) ?? null;
    } catch (err) {
      derivable = false;
      this.log.error({ err: (err as Error).message }, 'deriving presence failed; the batch is not committed');
    }
    let delay = this.options.retryBaseMs;
    let committed = false;
    for (let attempt = 1; derivable; attempt++) {
      try {
        // Records, frames and presence are separate inserts; each is idempotent, so a retry after
        // a partial success stores nothing twice.
        const inserts = [this.store.insertRowBinary('records', RECORD_COLUMNS, recordsPayload), this.store.insertRowBinary('frames', FRAME_COLUMNS, framesPayload)];
        for (const i of derived?.inserts ?? []) inserts.push(this.store.insertRowBinary(i.table, i.columns, i.payload));
        // A hung storage must not hold the batch past its deadline: the attempt is bounded by
        // what is left of it (the insert may still land later; it is idempotent, and unacked).
        await within(Promise.all(inserts), Math.min(commitBy, this.closeBy) - performance.now());
        committed = true;
        break;
      } catch (err) {
        this.metrics?.commitFailures.inc();
        const now = performance.now();
        if (now + delay > Math.min(commitBy, this.closeBy)) {
          this.log.error({ err: (err as Error).message, attempt, records: batch.records.length }, 'batch not committed; devices will not be acked and will resend');
          break;
        }
        this.log.warn({ err: (err as Error).message, attempt, retryInMs: delay }, 'insert failed, retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.options.retryMaxMs);
      }
    }
    // The store is done with the payloads (committed or given up): their buffers serve a later batch.
    if (this.spareWriters.length < 4) this.spareWriters.push(batch.recordRows, batch.frameRows);
    const wasFull = this.full;
    this.queued -= batch.records.length;
    this.metrics?.queuedRecords.set(this.queued);
    derived?.settle(committed);
    if (committed) {
      this.metrics?.committedRecords.inc(batch.records.length);
      this.metrics?.batchSize.observe(batch.records.length);
      this.metrics?.commitLatency.observe((performance.now() - started) / 1000);
      if (this.sink && batch.records.length > 0) {
        try {
          await this.sink.ingest(batch.records);
        } catch (err) {
          // Stored is stored (presence included): the fleet tracker catches up from ClickHouse, so
          // a sink failure must not withhold the device's ack.
          this.log.error({ err: (err as Error).message }, 'record sink failed');
        }
      }
      for (const w of batch.waiters) w.resolve();
    } else {
      const err = new CommitError('storage did not commit the batch in time');
      for (const w of batch.waiters) w.reject(err);
    }
    if (wasFull && !this.full) {
      const waiters = [...this.roomWaiters];
      this.roomWaiters.clear();
      for (const w of waiters) w();
      this.emit('drain');
    }
  }
}

/** `work`, or a rejection once `ms` have passed (the work itself is not cancelled). */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  // The work's own failure after a timeout (or a deadline already passed) is the timeout's: not unhandled.
  work.catch(() => undefined);
  if (ms <= 0) return Promise.reject(new CommitError('commit deadline passed'));
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommitError(`storage did not answer within ${Math.round(ms)} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
