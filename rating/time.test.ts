import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RatingError } from './errors.ts';
import { addDays, civilFromDays, dayIndexOf, dayToIso, daysBetween, daysFromCivil, daysInMonth, isoToDay, minuteOfDay, monthOf } from './time.ts';

describe('time', () => {
  it('day index and minute of day for known instants', () => {
    expect(dayIndexOf(0)).toBe(0);
    expect(dayIndexOf(-1)).toBe(-1);
    // 2024-03-31T01:59:59.999Z is day 19813, minute 119
    const t = Date.UTC(2024, 2, 31, 1, 59, 59, 999);
    expect(dayIndexOf(t)).toBe(19813);
    expect(minuteOfDay(t)).toBe(119);
    expect(minuteOfDay(Date.UTC(2024, 2, 31, 23, 59))).toBe(1439);
  });

  it('iso dates round-trip and match Date.UTC', () => {
    expect(isoToDay('1970-01-01')).toBe(0);
    expect(isoToDay('2000-01-01')).toBe(10957);
    expect(dayToIso(19813)).toBe('2024-03-31');
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 100_000 }), (day) => {
        const iso = dayToIso(day);
        expect(isoToDay(iso)).toBe(day);
        expect(new Date(day * 86_400_000).toISOString().slice(0, 10)).toBe(iso);
      }),
      { numRuns: 300 },
    );
    const { y, m, d } = civilFromDays(daysFromCivil(2024, 2, 29));
    expect([y, m, d]).toEqual([2024, 2, 29]);
  });

  it('rejects non-dates with a code', () => {
    for (const bad of ['2024-02-30', '2023-13-01', '2024-1-01', 'yesterday', '2024-00-10']) {
      try {
        isoToDay(bad);
        expect.unreachable(bad);
      } catch (e) {
        expect((e as RatingError).code).toBe('FM_RATING_BAD_DATE');
      }
    }
  });

  it('calendar arithmetic', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(daysBetween('2024-03-01', '2024-04-01')).toBe(31);
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2023, 2)).toBe(28);
    expect(daysInMonth(2024, 12)).toBe(31);
    expect(monthOf('2024-12-17')).toEqual({ from: '2024-12-01', to: '2025-01-01' });
  });
});
