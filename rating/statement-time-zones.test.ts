/**
 * Golden statements at time-zone edges: an account far from UTC (Asia/Vladivostok, UTC+10) at
 * month boundaries, and Europe/Berlin's 23-hour (March) and 25-hour (October) days.
 */
import { describe, expect, it } from 'vitest';
import { monthPeriod } from './calendar.ts';
import { account, at, configOf, lineSummary, minutesOnline, onAccount, rateFrom, tariff, useTariff } from './testing.ts';

function fleet(zone: string, def: object) {
  return configOf({
    accounts: [account('acme', zone)],
    tariffVersions: [tariff('t', 1, '2024-01-01', def)],
    tariffAssignments: [useTariff('acme', 't', '2024-01-01')],
    deviceAssignments: [onAccount('d1', 'acme', '2024-01-01')],
  });
}
const perUnit = (unit: string, price: string) => ({ unit, price: { model: 'per-unit', unitPrice: price } });

describe('time zones', () => {
  it('Asia/Vladivostok: months and days start at 14:00Z the day before', () => {
    // Online 2024-02-29 13:30–14:29Z = Feb 29 23:30–23:59 + Mar 1 00:00–00:29 local,
    // and 2024-03-31 13:50–14:09Z = Mar 31 23:50–23:59 + Apr 1 00:00–00:09 local.
    // Minutes: February 30, March 30 + 10 = 40, April 10. Days: February 1, March 2 (Mar 1, Mar 31), April 1.
    // A UTC account would see February 60 minutes (Feb 29) and March 20 (Mar 31) instead.
    const records = [...minutesOnline('d1', at('UTC', '2024-02-29T13:30'), 60), ...minutesOnline('d1', at('UTC', '2024-03-31T13:50'), 20)];
    const minutes = fleet('Asia/Vladivostok', perUnit('minute', '0.01'));
    expect(['2024-02', '2024-03', '2024-04'].map((m) => rateFrom(minutes, 'acme', monthPeriod(m), records).lines[0].quantity)).toEqual(['30', '40', '10']);
    const days = fleet('Asia/Vladivostok', perUnit('day', '1.00'));
    expect(['2024-02', '2024-03', '2024-04'].map((m) => rateFrom(days, 'acme', monthPeriod(m), records).lines[0].quantity)).toEqual(['1', '2', '1']);
    const utc = fleet('UTC', perUnit('minute', '0.01'));
    expect(['2024-02', '2024-03'].map((m) => rateFrom(utc, 'acme', monthPeriod(m), records).lines[0].quantity)).toEqual(['60', '20']);
    // March in Vladivostok: 40 minutes × 0.01 = 0.40; VAT 0.088 → 0.09; 0.49
    expect(lineSummary(rateFrom(minutes, 'acme', monthPeriod('2024-03'), records))).toEqual(['usage t@1/2024-03-01..2024-04-01 q=40 0.40+0.09=0.49']);
  });

  it('Europe/Berlin, March: the 23-hour day has 23 hour units and 1380 minutes', () => {
    // Online all of March 31 local: 2024-03-30T23:00Z to 2024-03-31T22:00Z (CET → CEST at 02:00).
    const records = minutesOnline('d1', at('Europe/Berlin', '2024-03-31T00:00'), 23 * 60);
    expect(records[records.length - 1].deviceTime! < at('Europe/Berlin', '2024-04-01T00:00')).toBe(true);
    const march = monthPeriod('2024-03');
    expect(rateFrom(fleet('Europe/Berlin', perUnit('hour', '0.10')), 'acme', march, records).lines[0].quantity).toBe('23');
    expect(rateFrom(fleet('Europe/Berlin', perUnit('minute', '0.01')), 'acme', march, records).lines[0].quantity).toBe('1380');
    expect(rateFrom(fleet('Europe/Berlin', perUnit('day', '1.00')), 'acme', march, records).lines[0].quantity).toBe('1');
    // 23 hours × 0.10 = 2.30; VAT 0.506 → 0.51; 2.81
    expect(lineSummary(rateFrom(fleet('Europe/Berlin', perUnit('hour', '0.10')), 'acme', march, records))).toEqual(['usage t@1/2024-03-01..2024-04-01 q=23 2.30+0.51=2.81']);
  });

  it('Europe/Berlin, October: the 25-hour day has 25 hour units (02:00 counts twice) and 1500 minutes', () => {
    // Online all of October 27 local: 2024-10-26T22:00Z to 2024-10-27T23:00Z (CEST → CET at 03:00).
    const records = minutesOnline('d1', at('Europe/Berlin', '2024-10-27T00:00'), 25 * 60);
    const october = monthPeriod('2024-10');
    expect(rateFrom(fleet('Europe/Berlin', perUnit('hour', '0.10')), 'acme', october, records).lines[0].quantity).toBe('25');
    expect(rateFrom(fleet('Europe/Berlin', perUnit('minute', '0.01')), 'acme', october, records).lines[0].quantity).toBe('1500');
    expect(rateFrom(fleet('Europe/Berlin', perUnit('day', '1.00')), 'acme', october, records).lines[0].quantity).toBe('1');
    // Only the second 02:00–02:59 (CET, 01:00–01:59Z): one hour unit, not two.
    const repeated = minutesOnline('d1', at('UTC', '2024-10-27T01:00'), 60);
    expect(rateFrom(fleet('Europe/Berlin', perUnit('hour', '0.10')), 'acme', october, repeated).lines[0].quantity).toBe('1');
  });

  it('Europe/Berlin month boundary: 2024-03-01 00:30 local is still February 29 in UTC', () => {
    const records = minutesOnline('d1', at('Europe/Berlin', '2024-03-01T00:30'), 5); // 2024-02-29T23:30Z
    expect(rateFrom(fleet('Europe/Berlin', perUnit('minute', '1')), 'acme', monthPeriod('2024-03'), records).lines[0].quantity).toBe('5');
    expect(rateFrom(fleet('Europe/Berlin', perUnit('minute', '1')), 'acme', monthPeriod('2024-02'), records).lines[0].quantity).toBe('0');
  });
});
