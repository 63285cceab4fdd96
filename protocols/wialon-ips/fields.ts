/**
 * Low-level field helpers shared by every Wialon IPS packet: byte constants, UTF-8 text, and the
 * strict-but-liberal number syntax of §6/§10 (`NA` = absent, `.` decimal separator).
 *
 * Convention: a parser returns `null` for an absent field and `NaN` for a malformed one, so the hot
 * path allocates nothing for errors; callers turn NaN into the packet's answer code.
 */

export const CR = 0x0d;
export const LF = 0x0a;
export const HASH = 0x23; // '#'
export const SEMICOLON = 0x3b; // ';'
export const CRLF: Uint8Array = Uint8Array.of(CR, LF);

const decoder = new TextDecoder('utf-8'); // not fatal: invalid UTF-8 becomes U+FFFD (§4: decode after CRC)
const encoder = new TextEncoder();

/** §4: the text is UTF-8 in practice; decode only after the CRC was computed over the raw bytes. */
export function utf8(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return decoder.decode(bytes.subarray(start, end));
}

export function toBytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Bytes as printable ASCII for error messages (non-ASCII as `\xNN`), capped. */
export function preview(bytes: Uint8Array, max = 48): string {
  const n = Math.min(bytes.length, max);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    parts.push(b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '\\x' + b.toString(16).padStart(2, '0'));
  }
  return parts.join('') + (bytes.length > max ? `… (${bytes.length} bytes)` : '');
}

export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  let len = total ?? 0;
  if (total === undefined) for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** §10: `NA` means absent; an empty field (`;;`) too. */
export function isAbsent(s: string): boolean {
  return s === '' || s === 'NA';
}

/** Exact powers of ten as doubles (10^0..10^22). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * A decimal number: optional sign, digits, optional `.` fraction, optional exponent. No spaces,
 * no hex, no `Infinity`. Returns NaN when `s` is not one (including the empty string).
 *
 * Hot path (every numeric field of every record): up to 15 digits and no exponent are converted
 * as `mantissa / 10^k`, Clinger's fast path — one correctly rounded division of two exactly
 * representable values, so the result equals `Number(s)` bit for bit. Anything else goes to
 * `Number` after a syntax check.
 */
export function parseDecimal(s: string): number {
  const n = s.length;
  if (n === 0 || n > 64) return NaN;
  let i = 0;
  let c = s.charCodeAt(0);
  const neg = c === 0x2d;
  if (neg || c === 0x2b) i = 1;
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let dot = false;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      if (dot) fraction++;
    } else if (c === 0x2e && !dot) {
      dot = true;
    } else {
      return parseDecimalSlow(s);
    }
  }
  if (digits === 0) return NaN;
  if (digits > 15) return parseDecimalSlow(s);
  const v = fraction === 0 ? mantissa : mantissa / POW10[fraction];
  return neg ? -v : v;
}

function parseDecimalSlow(s: string): number {
  let digits = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) digits = true;
    else if (c !== 0x2e && c !== 0x2d && c !== 0x2b && c !== 0x65 && c !== 0x45) return NaN; // . - + e E
  }
  if (!digits) return NaN;
  const v = Number(s); // rejects "1-2", "1.2.3", "--1", "e5"…
  return Number.isFinite(v) ? v : NaN;
}

/** `NA`/empty → null, a decimal → number, anything else → NaN. */
export function parseOptionalDecimal(s: string): number | null {
  return isAbsent(s) ? null : parseDecimal(s);
}

function allDigits(s: string, from: number): boolean {
  if (from >= s.length) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Non-negative decimal integer made of digits only and at most `maxDigits` of them; else NaN. */
export function parseUnsigned(s: string, maxDigits = 15): number {
  if (s.length > maxDigits || !allDigits(s, 0)) return NaN;
  return Number(s);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * §7 TYPE 1: "int or long long". Optional `-`, digits. A `number` when it is a safe integer, a
 * `bigint` beyond that, `null` when outside the signed 64-bit range or not an integer.
 */
export function parseInt64(s: string): number | bigint | null {
  return parseBigInteger(s, true, INT64_MIN, INT64_MAX);
}

/** §7 inputs/outputs: an unsigned bitmask up to 64 bits; same number/bigint split as `parseInt64`. */
export function parseBitmask(s: string): number | bigint | null {
  return parseBigInteger(s, false, 0n, UINT64_MAX);
}

function parseBigInteger(s: string, signed: boolean, min: bigint, max: bigint): number | bigint | null {
  const neg = signed && s.charCodeAt(0) === 0x2d;
  const from = neg ? 1 : 0;
  const len = s.length - from;
  if (len < 1 || len > 40) return null;
  if (len <= 15) {
    // ≤ 15 digits is always a safe integer: accumulate directly
    let v = 0;
    for (let i = from; i < s.length; i++) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return null;
      v = v * 10 + d;
    }
    return neg && v !== 0 ? -v : v; // "-0" → 0
  }
  if (!allDigits(s, from)) return null;
  const big = BigInt(s);
  if (big < min || big > max) return null;
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** Canonical form of an integer for `decode(encode(x))`: a number when safe, else a bigint. */
export function canonicalInteger(v: number | bigint): number | bigint {
  if (typeof v === 'number') return v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Text form of a finite number as the decoder reads it back exactly (`String` round-trips doubles). */
export function formatNumber(v: number, what: string): string {
  if (!Number.isFinite(v)) throw new RangeError(`${what} must be a finite number, got ${v}`);
  return Object.is(v, -0) ? '0' : String(v);
}
