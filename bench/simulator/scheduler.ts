/**
 * One shared clock for every simulated device: a timing wheel driven by a single interval timer.
 * A device has at most one wake-up time; `schedule()` files it into the wheel slot of that time.
 * Moving a wake-up leaves the old entry behind as stale (it is recognised by the device's `slot`
 * no longer matching and skipped), so no timer, no closure and no removal per device or packet:
 * 10 000 devices cost one interval timer.
 */

export interface Sleeper {
  /** ms (performance.now() clock) of the next wake-up; 0 = none. Owned by the scheduler. */
  wakeAt: number;
  /** Slot time of the sleeper's live entry, or -1. Owned by the scheduler. */
  slot: number;
  onWake(now: number): void;
}

export class Scheduler {
  private readonly slots: Sleeper[][];
  private readonly mask: number;
  /** The slot time (ms, a multiple of tickMs) processed next. */
  private cursor: number;
  private timer: NodeJS.Timeout | null = null;
  private lastRun = 0;
  private running = false;

  constructor(
    /** Slot width in ms: the wake-up resolution. */
    private readonly tickMs = 2,
    /** Slots (a power of two); the horizon is tickMs × slotCount. */
    slotCount = 8192,
  ) {
    if ((slotCount & (slotCount - 1)) !== 0) throw new RangeError('slotCount must be a power of two');
    this.slots = Array.from({ length: slotCount }, () => []);
    this.mask = slotCount - 1;
    this.cursor = this.slotTime(performance.now());
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.run(), this.tickMs);
  }

  /**
   * Runs what is due if a tick has passed since the last run. Called from I/O callbacks: under
   * heavy I/O libuv's poll phase can run for seconds (up to 48 × 1024 events) before timers get
   * their turn, and pacing must not stall meanwhile.
   */
  poll(now: number): void {
    if (now - this.lastRun >= this.tickMs && !this.running) this.run(now);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Wakes `s` at `at` (ms, performance.now() clock), replacing any earlier wake-up. */
  schedule(s: Sleeper, at: number): void {
    s.wakeAt = at > 0 ? at : 1;
    this.file(s, s.wakeAt);
  }

  cancel(s: Sleeper): void {
    s.wakeAt = 0;
  }

  private slotTime(t: number): number {
    return Math.floor(t / this.tickMs) * this.tickMs;
  }

  private file(s: Sleeper, at: number): void {
    const horizon = this.cursor + this.tickMs * this.mask;
    const t = Math.max(this.cursor, Math.min(this.slotTime(at), horizon));
    if (s.slot === t) return; // its live entry is already there
    this.slots[(t / this.tickMs) & this.mask].push(s);
    s.slot = t;
  }

  private visit(s: Sleeper, now: number): void {
    if (s.slot !== this.cursor) return; // stale entry: the live one is elsewhere
    s.slot = -1;
    if (s.wakeAt === 0) return;
    if (s.wakeAt <= now) {
      s.wakeAt = 0;
      s.onWake(now);
    } else {
      this.file(s, s.wakeAt); // later in this slot, or beyond the horizon it was filed at
    }
  }

  /** Called at the start of every run (timer tick or poll): for checks that must not wait for a timer. */
  onRun: ((now: number) => void) | null = null;

  private run(now = performance.now()): void {
    this.lastRun = now;
    this.running = true;
    try {
      this.onRun?.(now);
      this.runUntil(now);
    } finally {
      this.running = false;
    }
  }

  private runUntil(now: number): void {
    for (;;) {
      const index = (this.cursor / this.tickMs) & this.mask;
      const current = this.cursor + this.tickMs > now;
      // A past slot is emptied completely (what is filed into it while it runs is due too);
      // the current slot gets one pass and is visited again on the next tick.
      for (let pass = 0; pass < 8 && this.slots[index].length > 0; pass++) {
        const due = this.slots[index];
        this.slots[index] = [];
        for (let i = 0; i < due.length; i++) this.visit(due[i], now);
        if (current) break;
      }
      if (current) return;
      this.cursor += this.tickMs;
    }
  }
}
