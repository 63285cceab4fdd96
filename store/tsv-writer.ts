/**
 * Builds a TabSeparated payload directly as bytes: the ingest hot path writes every record here,
 * so no per-field strings, no per-row string, no join and no UTF-8 re-encoding of the whole batch
 * are allocated (they were most of the gateway's CPU and GC). The buffer grows by doubling and is
 * reused across batches (`reset`).
 *
 * Escaping follows ClickHouse's TabSeparated input rules: backslash, tab, line feed and carriage
 * return are written as `\\`, `\t`, `\n`, `\r`; NULL is `\N`.
 */

const TAB = 9;
const LF = 10;
const CR = 13;
const BACKSLASH = 92;
const QUOTE = 34;
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

export class TsvWriter {
  buf: Buffer;
  len = 0;
  private readonly digits = new Uint8Array(24);

  constructor(initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Empties the writer, keeping its buffer for the next payload. */
  reset(): void {
    this.len = 0;
  }

  /** The payload written so far (a view: valid until the next write or reset). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  toString(): string {
    return this.buf.toString('utf8', 0, this.len);
  }

  tab(): void {
    this.ensure(1);
    this.buf[this.len++] = TAB;
  }

  newline(): void {
    this.ensure(1);
    this.buf[this.len++] = LF;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** Text known to need no escaping and to be ASCII (protocol names, ISO days, hex). */
  ascii(text: string): void {
    const n = text.length;
    this.ensure(n);
    const buf = this.buf;
    let o = this.len;
    for (let i = 0; i < n; i++) buf[o++] = text.charCodeAt(i);
    this.len = o;
  }

  /** Any text, TabSeparated-escaped, as UTF-8. */
  text(text: string): void {
    const n = text.length;
    this.ensure(n);
    const buf = this.buf;
    let o = this.len;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) return this.textSlow(text);
      if (c === BACKSLASH || c === TAB || c === LF || c === CR) return this.textSlow(text);
      buf[o++] = c;
    }
    this.len = o;
  }

  private textSlow(text: string): void {
    const escaped = text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
    const n = Buffer.byteLength(escaped, 'utf8');
    this.ensure(n);
    this.len += this.buf.write(escaped, this.len, n, 'utf8');
  }

  /**
   * A JSON string literal of `text`, TabSeparated-escaped. Plain ASCII without quotes, backslashes
   * or control characters (IO names, most values) is written directly.
   */
  jsonString(text: string): void {
    const n = text.length;
    this.ensure(n + 2);
    const buf = this.buf;
    let o = this.len;
    buf[o++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c >= 0x7f || c === QUOTE || c === BACKSLASH) return this.text(JSON.stringify(text));
      buf[o++] = c;
    }
    buf[o++] = QUOTE;
    this.len = o;
  }

  /**
   * A finite number, exactly: integers by a digit loop; decimals with up to 7 fraction digits (GPS
   * coordinates are n / 1e7, speeds and HDOP a digit or two) as the integer n = v × 10^k with the
   * point put back — the text "n·10^-k" reads back as the double nearest to it, which is n / 10^k
   * (correctly rounded division) and that is v, as checked. Anything else as JavaScript prints it.
   */
  number(v: number): void {
    if (Number.isSafeInteger(v)) return this.integer(v);
    for (let k = 1, scale = 10; k <= 7; k++, scale *= 10) {
      const n = Math.round(v * scale);
      if (n / scale === v && Number.isSafeInteger(n)) return this.fixed(n, k);
    }
    this.ascii(String(v));
  }

  /** n × 10^-k for a safe integer n that is not a multiple of 10^k. */
  private fixed(n: number, k: number): void {
    this.ensure(20 + k);
    const buf = this.buf;
    if (n < 0) {
      buf[this.len++] = 45; // '-'
      n = -n;
    }
    const d = this.digits;
    let count = 0;
    while (n > 0 || count <= k) {
      const q = Math.floor(n / 10);
      d[count++] = 48 + (n - q * 10);
      n = q;
    }
    // d holds the digits least significant first, at least k + 1 of them (a leading 0 if needed).
    let last = 0;
    while (last < k && d[last] === 48) last++; // trailing fraction zeros are not written
    let o = this.len;
    for (let i = count - 1; i >= k; i--) buf[o++] = d[i];
    buf[o++] = 46; // '.'
    for (let i = k - 1; i >= last; i--) buf[o++] = d[i];
    this.len = o;
  }

  /** Bytes as lowercase hex, without an intermediate string. */
  hex(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n * 2);
    const buf = this.buf;
    let o = this.len;
    for (let i = 0; i < n; i++) {
      const b = bytes[i];
      buf[o++] = HEX[b >> 4];
      buf[o++] = HEX[b & 15];
    }
    this.len = o;
  }

  /** A safe integer. */
  integer(v: number): void {
    this.ensure(17);
    const buf = this.buf;
    if (v < 0) {
      buf[this.len++] = 45; // '-'
      v = -v;
    }
    if (v < 10) {
      buf[this.len++] = 48 + v;
      return;
    }
    const d = this.digits;
    let k = 0;
    while (v > 0) {
      const q = Math.floor(v / 10);
      d[k++] = 48 + (v - q * 10);
      v = q;
    }
    let o = this.len;
    while (k > 0) buf[o++] = d[--k];
    this.len = o;
  }

  /** A nullable number column: `\N` for null or non-finite. */
  nullableNumber(v: number | null): void {
    if (v === null || !Number.isFinite(v)) {
      this.ensure(2);
      this.buf[this.len++] = BACKSLASH;
      this.buf[this.len++] = 78; // 'N'
    } else this.number(v);
  }
}
