/**
 * Row versions for ReplacingMergeTree tables whose newest row wins: strictly increasing within a
 * process (two writes in one millisecond still order), and never behind the clock, so versions
 * written by several instances order by time.
 */
export class VersionClock {
  private last = 0;

  constructor(private readonly now: () => number = Date.now) {}

  next(): number {
    this.last = Math.max(this.last + 1, this.now());
    return this.last;
  }
}
