import { describe, expect, it } from 'vitest';
import type { RatingError } from './errors.ts';
import { assertTimeZone, dayBoundaries, hourBoundaries, localDateOf, localMidnight, monthPeriod, monthsOf, nextPeriod } from './calendar.ts';

const H = 3_600_000;

describe('local calendar', () => {
  it('Berlin: the March day has 23 hours and the October day 25', () => {
    // 2024-03-31: clocks jump 02:00 CET → 03:00 CEST. 2024-10-27: 03:00 CEST → 02:00 CET.
    const [m0, m1] = dayBoundaries({ from: '2024-03-31', to: '2024-04-01' }, 'Europe/Berlin');
    expect(m0).toBe(Date.UTC(2024, 2, 30, 23)); // 00:00 CET = 23:00Z the day before
    expect((m1 - m0) / H).toBe(23);
    expect(hourBoundaries(m0, m1, 'Europe/Berlin')).toHaveLength(24); // 23 buckets
    const [o0, o1] = dayBoundaries({ from: '2024-10-27', to: '2024-10-28' }, 'Europe/Berlin');
    expect((o1 - o0) / H).toBe(25);
    expect(hourBoundaries(o0, o1, 'Europe/Berlin')).toHaveLength(26); // 25 buckets, 02:00 twice
  });

  it('Vladivostok (UTC+10, no DST): the month starts at 14:00Z the day before', () => {
    expect(localMidnight('2024-03-01', 'Asia/Vladivostok')).toBe(Date.UTC(2024, 1, 29, 14));
    expect(localDateOf(Date.UTC(2024, 1, 29, 14), 'Asia/Vladivostok')).toBe('2024-03-01');
    expect(localDateOf(Date.UTC(2024, 1, 29, 13, 59), 'Asia/Vladivostok')).toBe('2024-02-29');
  });

  it('half-hour zones get local hours that start at :30 UTC', () => {
    const d0 = localMidnight('2024-01-10', 'Asia/Kolkata');
    const hours = hourBoundaries(d0, localMidnight('2024-01-11', 'Asia/Kolkata'), 'Asia/Kolkata');
    expect(hours).toHaveLength(25);
    expect(new Date(hours[1]).toISOString()).toBe('2024-01-09T19:30:00.000Z');
  });

  it('a half-hour DST shift (Lord Howe, April 2024): the bucket is the wall-clock hour, 90 minutes here', () => {
    // 2024-04-07 02:00 LHDT (+11) → 01:30 LHST (+10:30) at 15:00Z. Wall clock reads HH:00 at
    // 13:00Z (00:00), 14:00Z (01:00), 15:30Z (02:00): the 01:00 hour lasts 90 minutes.
    const zone = 'Australia/Lord_Howe';
    const d0 = localMidnight('2024-04-07', zone);
    const hours = hourBoundaries(d0, localMidnight('2024-04-08', zone), zone);
    expect(hours.slice(0, 4).map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(['13:00', '14:00', '15:30', '16:30']);
    expect(hours).toHaveLength(25);
  });

  it('periods and months', () => {
    expect(monthPeriod('2024-02')).toEqual({ from: '2024-02-01', to: '2024-03-01' });
    expect(nextPeriod(monthPeriod('2024-12'))).toEqual({ from: '2025-01-01', to: '2025-02-01' });
    expect(nextPeriod({ from: '2024-01-10', to: '2024-01-20' })).toEqual({ from: '2024-01-20', to: '2024-01-30' });
    expect(monthsOf({ from: '2024-01-20', to: '2024-03-05' })).toEqual([
      { from: '2024-01-20', to: '2024-02-01', daysInMonth: 31 },
      { from: '2024-02-01', to: '2024-03-01', daysInMonth: 29 },
      { from: '2024-03-01', to: '2024-03-05', daysInMonth: 31 },
    ]);
  });

  it('rejects unknown zones', () => {
    try {
      assertTimeZone('Mars/Olympus');
      expect.unreachable();
    } catch (e) {
      expect((e as RatingError).code).toBe('FM_RATING_BAD_TIME_ZONE');
    }
    expect(assertTimeZone('Asia/Vladivostok')).toBe('Asia/Vladivostok');
  });
});
