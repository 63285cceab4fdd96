/**
 * One device's online minutes in one UTC day: 1440 bits in 45 × 32-bit words = 180 bytes.
 * Bit `m` (minute of day 0…1439) lives in word `m >>> 5`, bit `m & 31`.
 *
 * Set semantics: setting a bit twice, or in any order, or OR-ing bitmaps from several writers,
 * always gives the same bitmap, which is what makes presence idempotent.
 */
import { MINUTES_PER_DAY } from './time.ts';

export const WORDS_PER_DAY = 45;
export const BYTES_PER_DAY = WORDS_PER_DAY * 4;

export type DayBits = Uint32Array;

export function newDayBits(): DayBits {
  return new Uint32Array(WORDS_PER_DAY);
}

/** Sets minute `m`; returns true if the bit was not set before. */
export function setMinute(bits: DayBits, m: number): boolean {
  const w = m >>> 5;
  const mask = 1 << (m & 31);
  const old = bits[w];
  if ((old & mask) !== 0) return false;
  bits[w] = old | mask;
  return true;
}

export function hasMinute(bits: DayBits, m: number): boolean {
  return (bits[m >>> 5] & (1 << (m & 31))) !== 0;
}

export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export function countBits(bits: DayBits): number {
  let n = 0;
  for (let i = 0; i < WORDS_PER_DAY; i++) n += popcount32(bits[i]);
  return n;
}

/** Set bits among minutes [from, to) of the day (clamped to 0…1440). */
export function countRange(bits: DayBits, from: number, to: number): number {
  return countRangeUpTo(bits, from, to, Infinity);
}

/**
 * Like `countRange`, but may stop counting once `limit` bits are found: returns the exact count
 * when it is below `limit`, otherwise some value ≥ `limit` (threshold tests: "≥ k minutes?").
 */
export function countRangeUpTo(bits: DayBits, from: number, to: number, limit: number): number {
  if (from < 0) from = 0;
  if (to > MINUTES_PER_DAY) to = MINUTES_PER_DAY;
  if (from >= to) return 0;
  const wFrom = from >>> 5;
  const wTo = (to - 1) >>> 5;
  const lowMask = (~0 << (from & 31)) >>> 0;
  const highBits = ((to - 1) & 31) + 1;
  const highMask = highBits === 32 ? 0xffffffff : ((1 << highBits) - 1) >>> 0;
  if (wFrom === wTo) return popcount32(bits[wFrom] & lowMask & highMask);
  let n = popcount32(bits[wFrom] & lowMask);
  for (let w = wFrom + 1; w < wTo && n < limit; w++) n += popcount32(bits[w]);
  return n >= limit ? n : n + popcount32(bits[wTo] & highMask);
}

/** target |= source; returns true if target changed. */
export function orInto(target: DayBits, source: DayBits): boolean {
  let changed = false;
  for (let i = 0; i < WORDS_PER_DAY; i++) {
    const v = (target[i] | source[i]) >>> 0;
    if (v !== target[i]) {
      target[i] = v;
      changed = true;
    }
  }
  return changed;
}

export function orBits(a: DayBits, b: DayBits): DayBits {
  const out = newDayBits();
  for (let i = 0; i < WORDS_PER_DAY; i++) out[i] = a[i] | b[i];
  return out;
}

export function equalBits(a: DayBits, b: DayBits): boolean {
  for (let i = 0; i < WORDS_PER_DAY; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isEmpty(bits: DayBits): boolean {
  for (let i = 0; i < WORDS_PER_DAY; i++) if (bits[i] !== 0) return false;
  return true;
}

/** Minutes set in `a` but not in `b`, ascending. */
export function minutesOnlyIn(a: DayBits, b: DayBits): number[] {
  const out: number[] = [];
  for (let w = 0; w < WORDS_PER_DAY; w++) {
    let x = (a[w] & ~b[w]) >>> 0;
    while (x !== 0) {
      const low = x & -x;
      out.push(w * 32 + 31 - Math.clz32(low));
      x = (x ^ low) >>> 0;
    }
  }
  return out;
}

export function minutesOf(bits: DayBits): number[] {
  return minutesOnlyIn(bits, newDayBits());
}

/**
 * Storage encoding: the words as unsigned 32-bit integers, trailing zero words dropped (a device
 * that went quiet at noon stores 23 words, not 45). Portable as ClickHouse `Array(UInt32)`.
 */
export function encodeWords(bits: DayBits): number[] {
  let n = WORDS_PER_DAY;
  while (n > 0 && bits[n - 1] === 0) n--;
  return Array.from(bits.subarray(0, n));
}

/** Inverse of `encodeWords`; rejects anything that is not ≤ 45 unsigned 32-bit integers. */
export function decodeWords(words: readonly unknown[]): DayBits {
  if (words.length > WORDS_PER_DAY) throw new Error(`presence bitmap has ${words.length} words, at most ${WORDS_PER_DAY} expected`);
  const bits = newDayBits();
  for (let i = 0; i < words.length; i++) {
    const v = typeof words[i] === 'string' ? Number(words[i]) : words[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new Error(`presence bitmap word ${i} is ${JSON.stringify(words[i])}, an unsigned 32-bit integer expected`);
    }
    bits[i] = v;
  }
  return bits;
}

/**
 * Fast path for reads: the words as decimal text joined by commas ('0,4294967295,12'), as
 * ClickHouse's `arrayStringConcat(arrayMap(x -> toString(x), words), ',')` returns them. JSON
 * arrays of large integers parse several times slower than one string.
 */
export function decodeWordText(text: string): DayBits {
  const bits = newDayBits();
  let w = 0;
  let v = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 44;
    if (c === 44) {
      if (digits === 0) {
        if (text.length === 0) break;
        throw new Error(`presence bitmap text has an empty word at ${i}: ${JSON.stringify(text.slice(0, 40))}`);
      }
      if (w >= WORDS_PER_DAY || v > 0xffffffff) throw new Error(`presence bitmap text out of range: ${JSON.stringify(text.slice(0, 40))}`);
      bits[w++] = v;
      v = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 10) {
      v = v * 10 + (c - 48);
      digits++;
    } else {
      throw new Error(`presence bitmap text has ${JSON.stringify(text[i])} at ${i}, digits and commas expected`);
    }
  }
  return bits;
}

/** Token for an all-ones word (60 % of the words of a working day): not a hex digit, so unambiguous. */
export const FULL_WORD_TOKEN = 'x';

/**
 * The compact read format: words joined by commas, each one '' (zero), 'x' (0xFFFFFFFF) or hex
 * digits ('1F', as ClickHouse's `hex()` writes a UInt32: whole bytes, no leading zero bytes), e.g.
 * ',,,F0,x,x,1' — what `if(x = 0, '', if(x = 4294967295, 'x', hex(x)))` per word produces. About half
 * the bytes of decimal text for working-day bitmaps, so half the formatting, transfer and parsing.
 * Strict: anything else (a 9th hex digit, a 46th word, another character) is an error.
 * With `into`, decodes into that (zeroed) bitmap instead of a new one; with `start`/`end`, only
 * that part of `text` (no substring needed).
 */
export function decodeWordTokens(text: string, into?: DayBits, start = 0, end = text.length): DayBits {
  // `into` (zeroed, e.g. a view into one buffer for many rows): saves an ArrayBuffer per bitmap.
  const bits = into ?? newDayBits();
  if (end <= start) return bits;
  let w = 0;
  let v = 0;
  let digits = 0;
  let full = false;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 44;
    if (c === 44) {
      if (w >= WORDS_PER_DAY) throw new Error(`presence bitmap has more than ${WORDS_PER_DAY} words: ${JSON.stringify(text.slice(start, Math.min(end, start + 40)))}`);
      bits[w++] = full ? 0xffffffff : v;
      v = 0;
      digits = 0;
      full = false;
    } else if (c === 120 && digits === 0 && !full) {
      full = true; // 'x'
    } else if (!full && digits < 8 && ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) {
      v = v * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
      digits++;
    } else {
      throw new Error(`presence bitmap tokens have ${JSON.stringify(text[i])} at ${i - start}: ${JSON.stringify(text.slice(start, Math.min(end, start + 40)))}`);
    }
  }
  return bits;
}

/** Inverse of `decodeWordTokens` (tests; the SQL builds the same text in ClickHouse). */
export function encodeWordTokens(bits: DayBits): string {
  return encodeWords(bits)
    .map((x) => (x === 0 ? '' : x === 0xffffffff ? FULL_WORD_TOKEN : x.toString(16).toUpperCase().padStart(x > 0xffffff ? 8 : x > 0xffff ? 6 : x > 0xff ? 4 : 2, '0')))
    .join(',');
}

/** A day's bitmap from a list of minutes (tests, synthetic data). */
export function bitsFromMinutes(minutes: Iterable<number>): DayBits {
  const bits = newDayBits();
  for (const m of minutes) {
    if (!Number.isInteger(m) || m < 0 || m >= MINUTES_PER_DAY) throw new Error(`minute of day out of range: ${m}`);
    setMinute(bits, m);
  }
  return bits;
}

/** Sets minutes [from, to) (synthetic data, tests). */
export function setRange(bits: DayBits, from: number, to: number): void {
  for (let m = Math.max(0, from); m < Math.min(MINUTES_PER_DAY, to); m++) setMinute(bits, m);
}
