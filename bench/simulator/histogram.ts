/**
 * A small HdrHistogram-style latency histogram: values are bucketed by power of two, each octave
 * split into 64 linear sub-buckets, so any recorded value is reported within 1/64 (~1.6 %) of its
 * true value. Memory is fixed (a few KB) whatever the count; recording is a shift and an increment.
 *
 * Values are integers in the histogram's unit (the simulator records microseconds); values above
 * `maxValue` are clamped to it and counted in `clamped`.
 */

const SUB_BITS = 6;
const SUB_COUNT = 1 << SUB_BITS; // 64 sub-buckets per octave
const HALF = SUB_COUNT >> 1;

/** Bucket index of a value (0 ≤ v). Values below SUB_COUNT map to themselves (exact). */
function indexOf(v: number): number {
  if (v < SUB_COUNT) return v;
  const msb = 31 - Math.clz32(v); // v < 2^31 here
  const shift = msb - SUB_BITS + 1;
  // The top SUB_BITS bits of v, in [HALF, SUB_COUNT), placed after the octaves below.
  return shift * HALF + (v >>> shift);
}

/** Highest value that falls into bucket `i` (reported values are upper bounds, as HdrHistogram does). */
function highestOf(i: number): number {
  if (i < SUB_COUNT) return i;
  const shift = Math.floor((i - SUB_COUNT) / HALF) + 1;
  const top = i - shift * HALF;
  return ((top + 1) << shift) - 1;
}

export class Histogram {
  private readonly counts: Float64Array;
  private total = 0;
  private sum = 0;
  private minSeen = Infinity;
  private maxSeen = 0;
  clamped = 0;

  constructor(readonly maxValue = 2 ** 30) {
    this.counts = new Float64Array(indexOf(maxValue) + 1);
  }

  record(value: number): void {
    let v = value < 0 ? 0 : Math.round(value);
    if (v > this.maxValue) {
      v = this.maxValue;
      this.clamped++;
    }
    this.counts[indexOf(v)]++;
    this.total++;
    this.sum += v;
    if (v < this.minSeen) this.minSeen = v;
    if (v > this.maxSeen) this.maxSeen = v;
  }

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.total === 0 ? 0 : this.maxSeen;
  }

  get min(): number {
    return this.total === 0 ? 0 : this.minSeen;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  /** The value at percentile p (0..100): the smallest bucket bound with at least p % of values at or below it. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(highestOf(i), this.maxSeen);
    }
    return this.maxSeen;
  }

  /** Adds another histogram's counts (same maxValue). */
  add(other: Histogram): void {
    if (other.counts.length !== this.counts.length) throw new RangeError('histograms with different ranges cannot be added');
    for (let i = 0; i < other.counts.length; i++) this.counts[i] += other.counts[i];
    this.total += other.total;
    this.sum += other.sum;
    this.clamped += other.clamped;
    if (other.total > 0) {
      this.minSeen = Math.min(this.minSeen, other.minSeen);
      this.maxSeen = Math.max(this.maxSeen, other.maxSeen);
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.minSeen = Infinity;
    this.maxSeen = 0;
    this.clamped = 0;
  }
}
