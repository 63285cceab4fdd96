import { describe, expect, it } from 'vitest';
import { Scheduler, type Sleeper } from './scheduler.ts';
import { Histogram } from './histogram.ts';

describe('Scheduler', () => {
  it('wakes each sleeper once at (or just after) its latest time, across reschedules and the horizon', async () => {
    const sched = new Scheduler(2, 16); // 32 ms horizon, to exercise re-filing
    const woken: { id: number; late: number }[] = [];
    const make = (id: number): Sleeper & { due: number } => ({
      wakeAt: 0,
      slot: -1,
      due: 0,
      onWake(now) {
        woken.push({ id, late: now - this.due });
      },
    });
    const t0 = performance.now();
    const a = make(1);
    const b = make(2);
    const c = make(3);
    a.due = t0 + 10;
    sched.schedule(a, a.due);
    b.due = t0 + 80; // beyond the horizon
    sched.schedule(b, t0 + 5);
    sched.schedule(b, b.due); // moved later: the first entry goes stale
    c.due = t0 + 20;
    sched.schedule(c, t0 + 60);
    sched.schedule(c, c.due); // moved earlier
    sched.start();
    await new Promise((r) => setTimeout(r, 150));
    sched.stop();
    expect(woken.map((w) => w.id)).toEqual([1, 3, 2]);
    for (const w of woken) expect(w.late).toBeGreaterThanOrEqual(0);
  });
});

describe('Histogram', () => {
  it('reports percentiles within 1/64 of the exact value', () => {
    const h = new Histogram();
    const values: number[] = [];
    for (let i = 1; i <= 100_000; i++) values.push(Math.floor((i * 7919) % 1_000_003) + 1);
    for (const v of values) h.record(v);
    values.sort((x, y) => x - y);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = values[Math.ceil((p / 100) * values.length) - 1];
      const got = h.percentile(p);
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got).toBeLessThanOrEqual(exact * (1 + 1 / 32));
    }
    expect(h.max).toBe(values[values.length - 1]);
    expect(h.count).toBe(100_000);
  });

  it('is exact for small values and empty-safe', () => {
    const h = new Histogram();
    expect(h.percentile(99)).toBe(0);
    for (const v of [1, 2, 3, 63]) h.record(v);
    expect(h.percentile(50)).toBe(2);
    expect(h.percentile(100)).toBe(63);
  });
});
