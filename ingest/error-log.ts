/**
 * Decode-error logging with bounded volume (issue #20: 2 000 three-byte garbage lines cost
 * 410–615× their size in logs). The metric `fleetmeter_decode_errors_total` keeps the exact
 * count; the log keeps a sample:
 *
 * - per connection, the first `perConnection` errors are logged in full (code, message, the bytes
 *   in hex capped at `hexBytes`); later ones are counted, and one summary line with the count by
 *   code is written when the connection closes;
 * - globally, at most `perSecond` lines a second (burst `burst`) — full lines and summaries alike.
 *   What this refuses is counted too, and written as one summary line by `flush()` (called every
 *   `windowMs` by the gateway) with the count by code.
 *
 * So garbage costs the log a bounded number of lines per connection and per second, whatever its
 * volume.
 */
import { toHex } from '../protocols/common/hex.ts';

export interface DecodeErrorLogOptions {
  /** Errors logged in full per connection before sampling. */
  readonly perConnection: number;
  /** Lines a second over the whole gateway (token bucket rate). */
  readonly perSecond: number;
  /** Token bucket size. */
  readonly burst: number;
  /** Bytes of a frame or chunk shown in hex, at most. */
  readonly hexBytes: number;
}

export const DEFAULT_DECODE_ERROR_LOG: DecodeErrorLogOptions = { perConnection: 3, perSecond: 5, burst: 10, hexBytes: 256 };

interface WarnLogger {
  warn(obj: object, msg: string): void;
}

type Counts = { [code: string]: number };

function add(counts: Counts, code: string, n = 1): void {
  counts[code] = (counts[code] ?? 0) + n;
}

/** Hex of at most `max` bytes of `bytes`, and the full length, for a log line. */
export function hexSample(bytes: Uint8Array, max: number): { hex: string; bytes: number } {
  return { hex: toHex(bytes, 0, Math.min(bytes.length, max)), bytes: bytes.length };
}

export class DecodeErrorLog {
  private tokens: number;
  private last: number;
  /** Suppressed and not yet written in any summary, by code. */
  private unreported: Counts = {};
  private unreportedTotal = 0;

  constructor(
    private readonly log: WarnLogger,
    readonly options: DecodeErrorLogOptions = DEFAULT_DECODE_ERROR_LOG,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = options.burst;
    this.last = now();
  }

  /** One connection's (or source's) sampling state; `log` is its child logger. */
  session(log: WarnLogger): DecodeErrorSession {
    return new DecodeErrorSession(this, log);
  }

  /** Logs an error without a session (UDP datagrams): only the global limit applies. */
  report(log: WarnLogger, fields: object, code: string, message: string, bytes: Uint8Array | null): void {
    if (this.take()) log.warn({ ...fields, code, ...(bytes ? hexSample(bytes, this.options.hexBytes) : {}) }, message);
    else this.suppress(code);
  }

  /** Writes one line for what the global limit refused since the last flush (nothing if none). */
  flush(): void {
    if (this.unreportedTotal === 0) return;
    const counts = this.unreported;
    const total = this.unreportedTotal;
    this.unreported = {};
    this.unreportedTotal = 0;
    this.log.warn({ suppressed: total, codes: counts }, `${total} decode errors not logged (log rate limit); fleetmeter_decode_errors_total has them all`);
  }

  /** @internal */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.last) / 1000) * this.options.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** @internal */
  suppress(code: string, n = 1): void {
    add(this.unreported, code, n);
    this.unreportedTotal += n;
  }

  /** @internal A session's own summary is being written: these no longer need the global one. */
  reported(counts: Counts): void {
    for (const [code, n] of Object.entries(counts)) {
      const have = this.unreported[code] ?? 0;
      const d = Math.min(n, have);
      if (have - d > 0) this.unreported[code] = have - d;
      else delete this.unreported[code];
      this.unreportedTotal -= d;
    }
  }
}

export class DecodeErrorSession {
  private seen = 0;
  /** Suppressed on this connection, by code (for its summary at close). */
  private suppressed: Counts = {};
  private suppressedTotal = 0;

  constructor(
    private readonly parent: DecodeErrorLog,
    private readonly log: WarnLogger,
  ) {}

  /** Logs one decode error (in full while the limits allow, else counted). */
  report(fields: object, code: string, message: string, bytes: Uint8Array | null): void {
    this.seen++;
    if (this.seen <= this.parent.options.perConnection && this.parent.take()) {
      this.log.warn({ ...fields, code, ...(bytes ? hexSample(bytes, this.parent.options.hexBytes) : {}) }, message);
      return;
    }
    add(this.suppressed, code);
    this.suppressedTotal++;
    this.parent.suppress(code);
  }

  /** The connection closed: one summary line for what was not logged, if the global limit allows. */
  close(fields: object = {}): void {
    if (this.suppressedTotal === 0) return;
    const counts = this.suppressed;
    const total = this.suppressedTotal;
    this.suppressed = {};
    this.suppressedTotal = 0;
    if (!this.parent.take()) return; // left to the global summary
    this.parent.reported(counts);
    this.log.warn({ ...fields, suppressed: total, codes: counts }, `${total} more decode errors on this connection not logged; fleetmeter_decode_errors_total has them all`);
  }
}
