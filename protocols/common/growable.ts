/**
 * A byte buffer whose memory follows the bytes received, never the bytes announced: framers know a
 * frame's length from its header long before its body arrives, and a hostile peer can announce the
 * largest frame and then stay silent. Capacity grows by doubling (from a small floor) up to a
 * `limit` — the announced length — so a partly received frame holds at most about twice what
 * arrived (plus the floor), and a fully received one exactly its length (no final copy).
 */
const FLOOR = 64;
const EMPTY = new Uint8Array(0);

export class GrowableBytes {
  private buf: Uint8Array = EMPTY;
  private len = 0;

  /** Bytes appended so far. */
  get length(): number {
    return this.len;
  }

  /** Bytes of memory held (allocated capacity). */
  get capacity(): number {
    return this.buf.length;
  }

  /**
   * Appends a copy of `src` (the caller may reuse its memory afterwards). `limit` caps the capacity
   * (the frame's known total); it must be ≥ the new length.
   */
  append(src: Uint8Array, limit = Number.MAX_SAFE_INTEGER): void {
    const need = this.len + src.length;
    if (need > this.buf.length) {
      const cap = Math.min(limit, Math.max(need, FLOOR, this.buf.length * 2));
      const next = new Uint8Array(Math.max(cap, need));
      next.set(this.buf.subarray(0, this.len), 0);
      this.buf = next;
    }
    this.buf.set(src, this.len);
    this.len = need;
  }

  /** Last byte appended, or -1 when empty. */
  last(): number {
    return this.len === 0 ? -1 : this.buf[this.len - 1];
  }

  /** Hands the bytes over (a view of exactly `length` bytes) and empties the buffer. */
  take(): Uint8Array {
    const out = this.len === this.buf.length ? this.buf : this.buf.subarray(0, this.len);
    this.reset();
    return out;
  }

  /** Drops the bytes and their memory. */
  reset(): void {
    this.buf = EMPTY;
    this.len = 0;
  }
}

/**
 * An owned copy of `b[start, end)`. Not `b.slice`: on a Node Buffer (what sockets deliver) that is
 * a view which keeps the whole chunk alive.
 */
export function copyBytes(b: Uint8Array, start = 0, end = b.length): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(b.subarray(start, end));
  return out;
}
