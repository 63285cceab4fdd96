/**
 * Golden statements for effective dating: tariff change mid-month, a device moved between
 * accounts, suspension windows. Expected figures by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import type { PresenceRecord } from './engine.ts';
import { account, at, configOf, lineSummary, minutesOnline, onAccount, rateFrom, suspend, tariff, useTariff } from './testing.ts';

const JUNE = { from: '2024-06-01', to: '2024-07-01' };
const perDay = (price: string, extra: object = {}) => ({ unit: 'day', price: { model: 'per-unit', unitPrice: price }, ...extra });

/** 10 minutes online at 10:00 local every day of June 2024. */
function everyDay(deviceId: string, zone = 'UTC'): PresenceRecord[] {
  return Array.from({ length: 30 }, (_, i) => minutesOnline(deviceId, at(zone, `2024-06-${String(i + 1).padStart(2, '0')}T10:00`), 10)).flat();
}

describe('effective dating', () => {
  it('a tariff version change mid-month splits the period into two lines', () => {
    // v1 1.00/day until June 15; v2 1.20/day from June 16. d1 active all 30 days.
    // v1: 15 × 1.00 = 15.00 (VAT 3.30, 18.30); v2: 15 × 1.20 = 18.00 (VAT 3.96, 21.96). Total 33.00 + 7.26 = 40.26
    const config = configOf({
      accounts: [account('acme')],
      tariffVersions: [tariff('std', 1, '2024-01-01', perDay('1.00')), tariff('std', 2, '2024-06-16', perDay('1.20'))],
      tariffAssignments: [useTariff('acme', 'std', '2024-01-01')],
      deviceAssignments: [onAccount('d1', 'acme', '2024-01-01')],
    });
    const doc = rateFrom(config, 'acme', JUNE, everyDay('d1'));
    expect(lineSummary(doc)).toEqual(['usage std@1/2024-06-01..2024-06-16 q=15 15.00+3.30=18.30', 'usage std@2/2024-06-16..2024-07-01 q=15 18.00+3.96=21.96']);
    expect(doc.totals).toEqual({ amount: '33.00', vat: '7.26', total: '40.26' });
  });

  it('graduated tiers and included units continue across the segments of one tariff', () => {
    // Included 10 units for the period; tiers ≤ 20 at 1.00, above at 0.50; version 2 from June 16 changes nothing but the name.
    // v1 segment: 15 units → 10 free, 5 billable at tier 1 → 5.00. v2: 15 billable: units 6–20 (15) at 1.00 → 15.00.
    // Had tiers restarted at June 16, units would be cheaper; they do not.
    const def = (name: string) => ({ name, unit: 'day', includedUnits: '10', price: { model: 'graduated', tiers: [{ upTo: '20', unitPrice: '1.00' }, { upTo: null, unitPrice: '0.50' }] } });
    const config = configOf({
      accounts: [account('acme')],
      tariffVersions: [tariff('g', 1, '2024-01-01', def('G')), tariff('g', 2, '2024-06-16', def('G2'))],
      tariffAssignments: [useTariff('acme', 'g', '2024-01-01')],
      deviceAssignments: [onAccount('d1', 'acme', '2024-01-01')],
    });
    expect(lineSummary(rateFrom(config, 'acme', JUNE, everyDay('d1')))).toEqual([
      'included g@1/2024-06-01..2024-06-16 q=10 0.00+0.00=0.00',
      'usage g@1/2024-06-01..2024-06-16 q=5 5.00+1.10=6.10',
      'usage g@2/2024-06-16..2024-07-01 q=15 15.00+3.30=18.30',
    ]);
  });

  it('period terms (included units, minimum) come from the latest version in the period', () => {
    // v1 includes 10 units, v2 (from June 16) includes 20 and a 40.00 minimum. 30 units: 20 free
    // (15 in v1's segment, 5 in v2's), 10 billable × 1.00 = 10.00 → minimum top-up 30.00.
    const config = configOf({
      accounts: [account('acme')],
      tariffVersions: [tariff('std', 1, '2024-01-01', perDay('1.00', { includedUnits: '10' })), tariff('std', 2, '2024-06-16', perDay('1.00', { includedUnits: '20', minimumCharge: '40' }))],
      tariffAssignments: [useTariff('acme', 'std', '2024-01-01')],
      deviceAssignments: [onAccount('d1', 'acme', '2024-01-01')],
    });
    expect(lineSummary(rateFrom(config, 'acme', JUNE, everyDay('d1')))).toEqual([
      'included std@1/2024-06-01..2024-06-16 q=15 0.00+0.00=0.00',
      'usage std@1/2024-06-01..2024-06-16 q=0 0.00+0.00=0.00',
      'included std@2/2024-06-16..2024-07-01 q=5 0.00+0.00=0.00',
      'usage std@2/2024-06-16..2024-07-01 q=10 10.00+2.20=12.20',
      'minimum std/minimum/2024-06-01..2024-07-01 q=1 30.00+6.60=36.60',
    ]);
  });

  it('volume tiers across a version change: the period total picks the tier; the flat fee is charged once', () => {
    // 30 units in June (15 + 15) → tier 2 (> 20) in both segments: v1 15 × 0.50 = 7.50; v2 15 × 0.60 = 9.00
    // + v2's tier-2 flat fee 5.00 once, on the last line with units → 14.00.
    const vol = (p1: string, p2: string) => ({ unit: 'day', price: { model: 'volume', tiers: [{ upTo: '20', unitPrice: p1 }, { upTo: null, unitPrice: p2, flatFee: '5.00' }] } });
    const config = configOf({
      accounts: [account('acme')],
      tariffVersions: [tariff('v', 1, '2024-01-01', vol('1.00', '0.50')), tariff('v', 2, '2024-06-16', vol('1.10', '0.60'))],
      tariffAssignments: [useTariff('acme', 'v', '2024-01-01')],
      deviceAssignments: [onAccount('d1', 'acme', '2024-01-01')],
    });
    expect(lineSummary(rateFrom(config, 'acme', JUNE, everyDay('d1')))).toEqual([
      'usage v@1/2024-06-01..2024-06-16 q=15 7.50+1.65=9.15',
      'usage v@2/2024-06-16..2024-07-01 q=15 14.00+3.08=17.08',
    ]);
  });

  it('month unit without proration across a version change: one unit per device, on the last segment it was active in', () => {
    // v1 10.00/month until June 15, v2 12.00 from June 16. d1 active all month → 1 unit at 12.00 (v2).
    // d2 active only June 3 → 1 unit at 10.00 (v1).
    const month = (price: string) => ({ unit: 'month', price: { model: 'per-unit', unitPrice: price } });
    const config = configOf({
      accounts: [account('acme')],
      tariffVersions: [tariff('mo', 1, '2024-01-01', month('10.00')), tariff('mo', 2, '2024-06-16', month('12.00'))],
      tariffAssignments: [useTariff('acme', 'mo', '2024-01-01')],
      deviceAssignments: [onAccount('d1', 'acme', '2024-01-01'), onAccount('d2', 'acme', '2024-01-01')],
    });
    const records = [...everyDay('d1'), ...minutesOnline('d2', at('UTC', '2024-06-03T10:00'), 5)];
    expect(lineSummary(rateFrom(config, 'acme', JUNE, records))).toEqual([
      'usage mo@1/2024-06-01..2024-06-16 q=1 10.00+2.20=12.20',
      'usage mo@2/2024-06-16..2024-07-01 q=1 12.00+2.64=14.64',
    ]);
    expect(rateFrom(config, 'acme', JUNE, records).devices.map((d) => d.units.map((u) => `${u.ref}=${u.quantity}`).join())).toEqual(['mo@2/2024-06-16..2024-07-01=1', 'mo@1/2024-06-01..2024-06-16=1']);
  });

  it('switching the account to another tariff, and a device override', () => {
    // acme: tariff A (1.00) until June 20, B (2.00) from June 21. d2 overridden to C (5.00) June 1–10.
    // d1 (all month): A 20 days = 20.00; B 10 days = 20.00. d2: C 10 days = 50.00, then A 10 days (June 11–20) + B 10 days.
    // A: 30 units = 30.00; B: 20 units = 40.00; C: 10 units = 50.00.
    const config = configOf({
      accounts: [account('acme')],
      tariffVersions: [tariff('A', 1, '2024-01-01', perDay('1.00')), tariff('B', 1, '2024-01-01', perDay('2.00')), tariff('C', 1, '2024-01-01', perDay('5.00'))],
      tariffAssignments: [useTariff('acme', 'A', '2024-01-01'), useTariff('acme', 'B', '2024-06-21'), useTariff('acme', 'C', '2024-06-01', 'd2'), useTariff('acme', null, '2024-06-11', 'd2')],
      deviceAssignments: [onAccount('d1', 'acme', '2024-01-01'), onAccount('d2', 'acme', '2024-01-01')],
    });
    const doc = rateFrom(config, 'acme', JUNE, [...everyDay('d1'), ...everyDay('d2')]);
    expect(lineSummary(doc)).toEqual([
      'usage A@1/2024-06-01..2024-06-21 q=30 30.00+6.60=36.60',
      'usage C@1/2024-06-01..2024-06-11 q=10 50.00+11.00=61.00',
      'usage B@1/2024-06-21..2024-07-01 q=20 40.00+8.80=48.80',
    ]);
  });

  it('a device moved between accounts bills each account only for its own days', () => {
    // d1 on north (1.00/day) until June 10, on south (2.00/day) from June 11; active every day.
    // north: 10 units = 10.00; south: 20 units = 40.00. Minutes follow the device too: 100 and 200.
    const config = configOf({
      accounts: [account('north'), account('south')],
      tariffVersions: [tariff('n', 1, '2024-01-01', perDay('1.00')), tariff('s', 1, '2024-01-01', perDay('2.00'))],
      tariffAssignments: [useTariff('north', 'n', '2024-01-01'), useTariff('south', 's', '2024-01-01')],
      deviceAssignments: [onAccount('d1', 'north', '2024-01-01'), onAccount('d1', 'south', '2024-06-11')],
    });
    const records = everyDay('d1');
    const north = rateFrom(config, 'north', JUNE, records);
    const south = rateFrom(config, 'south', JUNE, records);
    expect(lineSummary(north)).toEqual(['usage n@1/2024-06-01..2024-07-01 q=10 10.00+2.20=12.20']);
    expect(lineSummary(south)).toEqual(['usage s@1/2024-06-01..2024-07-01 q=20 40.00+8.80=48.80']);
    expect(north.devices).toEqual([{ deviceId: 'd1', onlineMinutes: 100, implausibleMinutes: 0, units: [{ ref: 'n@1/2024-06-01..2024-07-01', quantity: '10' }] }]);
    expect(south.devices[0].onlineMinutes).toBe(200);
  });

  it('a move between accounts in different time zones splits at the new account’s midnight', () => {
    // d1 moves from berlin (Europe/Berlin) to vlad (Asia/Vladivostok, UTC+10) effective June 11:
    // the switch is June 11 00:00 Vladivostok = June 10 14:00Z. Online June 10 12:00–12:59Z and 15:00–15:59Z.
    // berlin (minute tariff) gets 60 minutes (12:xx), vlad gets 60 (15:xx): each minute billed once.
    const min = { unit: 'minute', price: { model: 'per-unit', unitPrice: '0.01' } };
    const config = configOf({
      accounts: [account('berlin', 'Europe/Berlin'), account('vlad', 'Asia/Vladivostok')],
      tariffVersions: [tariff('m', 1, '2024-01-01', min)],
      tariffAssignments: [useTariff('berlin', 'm', '2024-01-01'), useTariff('vlad', 'm', '2024-01-01')],
      deviceAssignments: [onAccount('d1', 'berlin', '2024-01-01'), onAccount('d1', 'vlad', '2024-06-11')],
    });
    const records = [...minutesOnline('d1', at('UTC', '2024-06-10T12:00'), 60), ...minutesOnline('d1', at('UTC', '2024-06-10T15:00'), 60)];
    expect(lineSummary(rateFrom(config, 'berlin', JUNE, records))).toEqual(['usage m@1/2024-06-01..2024-07-01 q=60 0.60+0.13=0.73']);
    expect(lineSummary(rateFrom(config, 'vlad', JUNE, records))).toEqual(['usage m@1/2024-06-01..2024-07-01 q=60 0.60+0.13=0.73']);
  });

  it('suspensions: nothing is billable while an account or device is suspended', () => {
    // Account suspended June 10–14 (to June 15, exclusive): 5 days. d2 suspended from June 20, open-ended.
    // d1: 30 − 5 = 25 units. d2: June 1–9 (9) + June 15–19 (5) = 14. Total 39 × 1.00 = 39.00; VAT 8.58; 47.58.
    // A cancelled suspension changes nothing.
    const config = configOf({
      accounts: [account('acme')],
      tariffVersions: [tariff('std', 1, '2024-01-01', perDay('1.00'))],
      tariffAssignments: [useTariff('acme', 'std', '2024-01-01')],
      deviceAssignments: [onAccount('d1', 'acme', '2024-01-01'), onAccount('d2', 'acme', '2024-01-01')],
      suspensions: [suspend('s1', 'acme', '2024-06-10', '2024-06-15'), suspend('s2', 'acme', '2024-06-20', null, 'd2'), { ...suspend('s3', 'acme', '2024-06-01', null), cancelled: true }],
    });
    const doc = rateFrom(config, 'acme', JUNE, [...everyDay('d1'), ...everyDay('d2')]);
    expect(lineSummary(doc)).toEqual(['usage std@1/2024-06-01..2024-07-01 q=39 39.00+8.58=47.58']);
    expect(doc.devices.map((d) => `${d.deviceId}:${d.units[0].quantity}`)).toEqual(['d1:25', 'd2:14']);
  });

  it('re-recording an assignment for the same date corrects it (the later record wins)', () => {
    const base = {
      accounts: [account('acme')],
      tariffVersions: [tariff('std', 1, '2024-01-01', perDay('1.00'))],
      tariffAssignments: [useTariff('acme', 'std', '2024-01-01')],
    };
    // A move to `other` on June 11 (recorded 1) is corrected (recorded 2, same date) to stay on acme: 30 days.
    const corrected = [onAccount('d1', 'acme', '2024-01-01'), onAccount('d1', 'other', '2024-06-11', 2), onAccount('d1', 'acme', '2024-06-11', 3)];
    const withOther = { ...base, accounts: [account('acme'), account('other')] };
    expect(rateFrom(configOf({ ...withOther, deviceAssignments: corrected }), 'acme', JUNE, everyDay('d1')).lines[0].quantity).toBe('30');
    expect(rateFrom(configOf({ ...withOther, deviceAssignments: [...corrected].reverse() }), 'acme', JUNE, everyDay('d1')).lines[0].quantity).toBe('30');
    expect(rateFrom(configOf({ ...withOther, deviceAssignments: corrected.slice(0, 2) }), 'acme', JUNE, everyDay('d1')).lines[0].quantity).toBe('10');
    // Unassigning from June 16 (same account): June 11–15 → 5
    const off = configOf({ ...base, deviceAssignments: [onAccount('d1', 'acme', '2024-06-11'), onAccount('d1', null, '2024-06-16')] });
    expect(rateFrom(off, 'acme', JUNE, everyDay('d1')).lines[0].quantity).toBe('5');
  });
});
