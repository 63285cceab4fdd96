import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hourBoundaries, localMidnight } from './calendar.ts';
import { type DayBits, bitsFromMinutes, setRange, newDayBits } from './minute-bitmap.ts';
import { activeBuckets, minutesWithin, onlineMinutes, utcDaysOf } from './units.ts';

const DAY = 19875; // 2024-06-01
const T0 = DAY * 86_400_000;
const M = 60_000;
const lookup = (days: Map<number, DayBits>) => (d: number) => days.get(d);

describe('units', () => {
  it('online minutes over a range that crosses UTC midnight', () => {
    const days = new Map([
      [DAY, bitsFromMinutes([0, 1438, 1439])],
      [DAY + 1, bitsFromMinutes([0, 5])],
    ]);
    expect(onlineMinutes(lookup(days), T0 + 1438 * M, T0 + 1446 * M)).toBe(4); // 1438, 1439, next-day 0, 5
    expect(onlineMinutes(lookup(days), T0, T0)).toBe(0);
    expect(onlineMinutes(lookup(days), T0 + M, T0 + 1438 * M)).toBe(0);
  });

  it('online minutes equal a brute-force count (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 * 1440 - 1 }), { maxLength: 200 }), fc.integer({ min: 0, max: 3 * 1440 }), fc.integer({ min: 0, max: 3 * 1440 }), (ms, a, b) => {
        const days = new Map<number, DayBits>();
        for (const m of ms) {
          const d = DAY + Math.floor(m / 1440);
          if (!days.has(d)) days.set(d, newDayBits());
          days.get(d)![m % 1440 >>> 5] |= 1 << (m % 1440 & 31);
        }
        const expected = new Set(ms.filter((m) => m >= a && m < b)).size;
        expect(onlineMinutes(lookup(days), T0 + a * M, T0 + b * M)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('hour buckets with a threshold, only inside billable intervals', () => {
    const bits = newDayBits();
    setRange(bits, 0, 10); // 00:00–00:09 UTC: 10 minutes in hour 0
    setRange(bits, 60, 61); // 1 minute in hour 1
    setRange(bits, 125, 180); // 55 minutes in hour 2
    const online = lookup(new Map([[DAY, bits]]));
    const hours = hourBoundaries(localMidnight('2024-06-01', 'UTC'), localMidnight('2024-06-02', 'UTC'), 'UTC');
    const all = [{ from: T0, to: T0 + 86_400_000 }];
    expect(activeBuckets(online, all, hours, 1)).toBe(3);
    expect(activeBuckets(online, all, hours, 10)).toBe(2);
    expect(activeBuckets(online, all, hours, 56)).toBe(0);
    // billable only from 02:30: hour 2 keeps 30 minutes
    expect(minutesWithin(online, [{ from: T0 + 150 * M, to: T0 + 86_400_000 }], T0 + 120 * M, T0 + 180 * M)).toBe(30);
    expect(activeBuckets(online, [{ from: T0 + 150 * M, to: T0 + 86_400_000 }], hours, 31)).toBe(0);
  });

  it('utc days touched by a range', () => {
    expect(utcDaysOf(T0 - 10 * 3_600_000, T0 + 86_400_000)).toEqual({ fromDay: DAY - 1, toDay: DAY + 1 });
  });

  it('activeBuckets equals the per-bucket definition: minutesWithin(bucket) ≥ threshold (property)', () => {
    const H = 3_600_000;
    // three UTC days of random minutes, random disjoint intervals, random ascending boundaries
    const arb = fc.record({
      // runs of online minutes (dense, like real days) plus scattered single minutes
      runs: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * 1440 - 1 }), fc.integer({ min: 1, max: 240 })), { maxLength: 12 }),
      singles: fc.array(fc.integer({ min: 0, max: 3 * 1440 - 1 }), { maxLength: 60 }),
      cuts: fc.uniqueArray(fc.integer({ min: -60, max: 3 * 1440 + 60 }), { minLength: 0, maxLength: 10 }),
      bounds: fc.uniqueArray(fc.integer({ min: -2, max: 74 }), { minLength: 2, maxLength: 40 }),
      quarter: fc.integer({ min: 0, max: 3 }),
      seconds: fc.integer({ min: 0, max: 59 }),
      minActive: fc.integer({ min: 0, max: 70 }),
    });
    fc.assert(
      fc.property(arb, ({ runs, singles, cuts, bounds, quarter, seconds, minActive }) => {
        const ms = [...singles, ...runs.flatMap(([start, len]) => Array.from({ length: Math.min(len, 3 * 1440 - start) }, (_, i) => start + i))];
        const days = new Map<number, DayBits>();
        for (const m of ms) {
          const d = DAY + Math.floor(m / 1440);
          if (!days.has(d)) days.set(d, newDayBits());
          days.get(d)![(m % 1440) >>> 5] |= 1 << ((m % 1440) & 31);
        }
        const online = lookup(days);
        // intervals from sorted cut points (pairs), not minute-aligned (seconds) to exercise flooring
        const c = [...cuts].sort((a, b) => a - b).map((m) => T0 + m * M + seconds * 1000);
        const intervals = [];
        for (let i = 0; i + 1 < c.length; i += 2) if (c[i + 1] > c[i]) intervals.push({ from: c[i], to: c[i + 1] });
        const boundaries = [...bounds].sort((a, b) => a - b).map((h) => T0 + h * H + quarter * 15 * M);
        // the reference: the plain per-bucket definition (buckets outside [first, last) are not looked at)
        const counts: number[] = [];
        for (let i = 0; i + 1 < boundaries.length && intervals.length > 0; i++) {
          if (boundaries[i + 1] <= intervals[0].from || boundaries[i] >= intervals[intervals.length - 1].to) continue;
          counts.push(minutesWithin(online, intervals, boundaries[i], boundaries[i + 1]));
        }
        // every threshold at which a bucket flips, so an off-by-one-minute anywhere shows
        for (const threshold of new Set([minActive, ...counts, ...counts.map((c) => c + 1)])) {
          expect(activeBuckets(online, intervals, boundaries, threshold)).toBe(counts.filter((c) => c >= threshold).length);
        }
      }),
      { numRuns: 500 },
    );
  });
});
