/** Per-source-address connection rate limit: a token bucket per address, bounded in memory. */
export class ConnectionRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; last: number }>();

  constructor(
    /** New connections allowed per second per address (also the burst size). 0 disables the limit. */
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
    private readonly maxTracked = 100_000,
  ) {}

  allow(address: string): boolean {
    if (this.perSecond <= 0) return true;
    const now = this.now();
    let b = this.buckets.get(address);
    if (!b) {
      if (this.buckets.size >= this.maxTracked) this.evict(now);
      b = { tokens: this.perSecond, last: now };
      this.buckets.set(address, b);
    } else {
      b.tokens = Math.min(this.perSecond, b.tokens + ((now - b.last) / 1000) * this.perSecond);
      b.last = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Drops buckets that have refilled (idle addresses); if none, the oldest half. */
  private evict(now: number): void {
    for (const [k, b] of this.buckets) if (now - b.last > 1000) this.buckets.delete(k);
    if (this.buckets.size >= this.maxTracked) {
      let n = this.buckets.size / 2;
      for (const k of this.buckets.keys()) {
        if (n-- <= 0) break;
        this.buckets.delete(k);
      }
    }
  }
}

/**
 * Per-source-address cap on open connections (the rate limit above bounds how fast they come, this
 * how many stay): a hostile address cannot hold thousands of silent sockets. Counts only addresses
 * with an open connection, so memory follows the open connections.
 */
export class AddressConnectionCap {
  private readonly open = new Map<string, number>();

  /** Open connections allowed per address. 0 disables the cap. */
  constructor(private readonly perAddress: number) {}

  /** Counts a new connection from `address`, or returns false (and counts nothing) at the cap. */
  acquire(address: string): boolean {
    if (this.perAddress <= 0) return true;
    const n = this.open.get(address) ?? 0;
    if (n >= this.perAddress) return false;
    this.open.set(address, n + 1);
    return true;
  }

  /** The connection `acquire` admitted has closed. */
  release(address: string): void {
    if (this.perAddress <= 0) return;
    const n = this.open.get(address) ?? 0;
    if (n <= 1) this.open.delete(address);
    else this.open.set(address, n - 1);
  }

  /** Open connections counted for `address`. */
  count(address: string): number {
    return this.open.get(address) ?? 0;
  }
}
