/**
 * Golden statements for each price model and period step. Expected figures are computed by hand
 * in the comments; the code under test never computes its own expectations.
 */
import { describe, expect, it } from 'vitest';
import type { PresenceRecord } from './engine.ts';
import type { RatingError } from './errors.ts';
import { statementHash, statementJson } from './statement.ts';
import { account, at, configOf, lineSummary, minutesOnline, onAccount, rateFrom, tariff, useTariff } from './testing.ts';

const JUNE = { from: '2024-06-01', to: '2024-07-01' };
const utc = (local: string) => at('UTC', local);

/** `minutes` online minutes at 10:00 UTC on each given June day. */
function daily(deviceId: string, days: number[], minutes = 10): PresenceRecord[] {
  return days.flatMap((d) => minutesOnline(deviceId, utc(`2024-06-${String(d).padStart(2, '0')}T10:00`), minutes));
}
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

function scenario(def: object, devices: string[] = ['d1', 'd2', 'd3']) {
  return configOf({
    accounts: [account('acme')],
    tariffVersions: [tariff('t', 1, '2024-01-01', def)],
    tariffAssignments: [useTariff('acme', 't', '2024-01-01')],
    deviceAssignments: devices.map((d) => onAccount(d, 'acme', '2024-01-01')),
  });
}

describe('statement: price models', () => {
  it('per-unit, day unit, prices without VAT', () => {
    // d1: 10 active days, d2: 2 days, d3 silent → 12 day-units × 1.50 = 18.00; VAT 22 % = 3.96; 21.96
    const doc = rateFrom(scenario({ unit: 'day', price: { model: 'per-unit', unitPrice: '1.50' } }), 'acme', JUNE, [...daily('d1', range(1, 10)), ...daily('d2', [5, 30])]);
    expect(lineSummary(doc)).toEqual(['usage t@1/2024-06-01..2024-07-01 q=12 18.00+3.96=21.96']);
    expect(doc.lines[0].pricing).toEqual({ model: 'per-unit', unitPrice: '1.5' });
    expect(doc.totals).toEqual({ amount: '18.00', vat: '3.96', total: '21.96' });
    expect(doc.devices.map((d) => [d.deviceId, d.onlineMinutes, d.units.map((u) => u.quantity).join()])).toEqual([
      ['d1', 100, '10'],
      ['d2', 20, '2'],
      ['d3', 0, '0'],
    ]);
  });

  it('a day needs min_active_minutes online minutes to count', () => {
    // threshold 30: d1 has 30 minutes on June 1 (counts) and 29 on June 2 (does not) → 1 unit
    const doc = rateFrom(scenario({ unit: 'day', minActiveMinutes: 30, price: { model: 'per-unit', unitPrice: '1' } }), 'acme', JUNE, [...daily('d1', [1], 30), ...daily('d1', [2], 29)]);
    expect(doc.lines[0].quantity).toBe('1');
  });

  it('graduated tiers, minute unit, with a tier flat fee', () => {
    // 150 + 1000 = 1150 minutes. Tiers: ≤100 at 0.02, ≤1000 at 0.01 (+1.00 when entered), above at 0.005.
    // 100 × 0.02 = 2.00; 900 × 0.01 + 1.00 = 10.00; 150 × 0.005 = 0.75 → 12.75; VAT 2.805 → 2.81; 15.56
    const def = {
      unit: 'minute',
      price: {
        model: 'graduated',
        tiers: [
          { upTo: '100', unitPrice: '0.02' },
          { upTo: '1000', unitPrice: '0.01', flatFee: '1.00' },
          { upTo: null, unitPrice: '0.005' },
        ],
      },
    };
    const doc = rateFrom(scenario(def), 'acme', JUNE, [...minutesOnline('d1', utc('2024-06-03T00:00'), 150), ...minutesOnline('d2', utc('2024-06-04T00:00'), 1000)]);
    expect(lineSummary(doc)).toEqual(['usage t@1/2024-06-01..2024-07-01 q=1150 12.75+2.81=15.56']);
    expect(doc.lines[0].pricing).toEqual({
      model: 'graduated',
      tiers: [
        { tier: 1, from: '0', upTo: '100', quantity: '100', unitPrice: '0.02', flatFee: '0', amount: '2' },
        { tier: 2, from: '100', upTo: '1000', quantity: '900', unitPrice: '0.01', flatFee: '1', amount: '10' },
        { tier: 3, from: '1000', upTo: null, quantity: '150', unitPrice: '0.005', flatFee: '0', amount: '0.75' },
      ],
    });
  });

  it('volume tiers, hour unit with a 5-minute threshold', () => {
    // d1: June 3 00:00–02:59 → 3 hours; 05:00–05:03 is 4 minutes < 5 → no unit. d2: 08:00–17:59 → 10 hours.
    // 13 hours in the period → tier 2 (> 10) for all: 13 × 0.40 + 2.00 flat = 7.20; VAT 1.584 → 1.58; 8.78
    const def = {
      unit: 'hour',
      minActiveMinutes: 5,
      price: { model: 'volume', tiers: [{ upTo: '10', unitPrice: '0.50' }, { upTo: null, unitPrice: '0.40', flatFee: '2.00' }] },
    };
    const records = [...minutesOnline('d1', utc('2024-06-03T00:00'), 180), ...minutesOnline('d1', utc('2024-06-03T05:00'), 4), ...minutesOnline('d2', utc('2024-06-04T08:00'), 600)];
    const doc = rateFrom(scenario(def), 'acme', JUNE, records);
    expect(lineSummary(doc)).toEqual(['usage t@1/2024-06-01..2024-07-01 q=13 7.20+1.58=8.78']);
    expect(doc.lines[0].pricing).toEqual({ model: 'volume', tiers: [{ tier: 2, from: '10', upTo: null, quantity: '13', unitPrice: '0.4', flatFee: '2', amount: '7.2' }] });
  });

  it('included units come off first, then the minimum charge tops up', () => {
    // d1 active 8 days. 5 included → 3 billable × 2.00 = 6.00 (VAT 1.32, 7.32).
    // Minimum 20.00 (net, as prices exclude VAT): top-up 14.00 (VAT 3.08, 17.08). Totals 20.00 + 4.40 = 24.40
    const def = { unit: 'day', price: { model: 'per-unit', unitPrice: '2.00' }, includedUnits: '5', minimumCharge: '20.00' };
    const doc = rateFrom(scenario(def), 'acme', JUNE, daily('d1', range(1, 8)));
    expect(lineSummary(doc)).toEqual([
      'included t@1/2024-06-01..2024-07-01 q=5 0.00+0.00=0.00',
      'usage t@1/2024-06-01..2024-07-01 q=3 6.00+1.32=7.32',
      'minimum t/minimum/2024-06-01..2024-07-01 q=1 14.00+3.08=17.08',
    ]);
    expect(doc.totals).toEqual({ amount: '20.00', vat: '4.40', total: '24.40' });
    // the device detail keeps the measured units (8), for disputes
    expect(doc.devices[0].units).toEqual([{ ref: 't@1/2024-06-01..2024-07-01', quantity: '8' }]);
  });

  it('usage above the minimum: no minimum line; included units larger than usage: nothing billable', () => {
    const def = { unit: 'day', price: { model: 'per-unit', unitPrice: '2.00' }, includedUnits: '50', minimumCharge: '0' };
    const doc = rateFrom(scenario(def), 'acme', JUNE, daily('d1', range(1, 8)));
    expect(lineSummary(doc)).toEqual(['included t@1/2024-06-01..2024-07-01 q=8 0.00+0.00=0.00', 'usage t@1/2024-06-01..2024-07-01 q=0 0.00+0.00=0.00']);
    // 8 units × 3.00 = 24.00 ≥ 20.00 minimum: no minimum line. With one included unit: 7 × 3.00 = 21.00.
    const above = rateFrom(scenario({ unit: 'day', price: { model: 'per-unit', unitPrice: '3.00' }, minimumCharge: '20.00' }), 'acme', JUNE, daily('d1', range(1, 8)));
    expect(lineSummary(above)).toEqual(['usage t@1/2024-06-01..2024-07-01 q=8 24.00+5.28=29.28']);
    const one = rateFrom(scenario({ unit: 'day', price: { model: 'per-unit', unitPrice: '3.00' }, includedUnits: '1', minimumCharge: '20.00' }), 'acme', JUNE, daily('d1', range(1, 8)));
    expect(lineSummary(one)).toEqual(['included t@1/2024-06-01..2024-07-01 q=1 0.00+0.00=0.00', 'usage t@1/2024-06-01..2024-07-01 q=7 21.00+4.62=25.62']);
  });

  it('prices with VAT: the gross is rounded, VAT extracted, and the minimum is gross too', () => {
    // 7 days × 0.99 gross = 6.93; VAT = 6.93 × 22/122 = 1.2496… → 1.25; net 5.68.
    // Minimum 10.00 gross: top-up 3.07 gross; VAT 3.07 × 22/122 = 0.5536… → 0.55; net 2.52.
    const def = { unit: 'day', price: { model: 'per-unit', unitPrice: '0.99' }, pricesIncludeVat: true, minimumCharge: '10.00' };
    const doc = rateFrom(scenario(def), 'acme', JUNE, daily('d1', range(1, 7)));
    expect(lineSummary(doc)).toEqual(['usage t@1/2024-06-01..2024-07-01 q=7 5.68+1.25=6.93', 'minimum t/minimum/2024-06-01..2024-07-01 q=1 2.52+0.55=3.07']);
    expect(doc.totals).toEqual({ amount: '8.20', vat: '1.80', total: '10.00' });
  });

  it('a VAT rate other than the default', () => {
    // 10 days × 1.00 at 20 % → 10.00 + 2.00
    const doc = rateFrom(scenario({ unit: 'day', price: { model: 'per-unit', unitPrice: '1' }, vatRate: '20' }), 'acme', JUNE, daily('d1', range(1, 10)));
    expect(lineSummary(doc)).toEqual(['usage t@1/2024-06-01..2024-07-01 q=10 10.00+2.00=12.00']);
  });

  it('month unit with proration by days', () => {
    // d1 on the account all June and online: 1 unit. d2 joins June 21 (10 of 30 days), online June 25:
    // 10/30 = 0.333333. d3 on all month but silent: 0. Quantity 1.333333 × 10.00 = 13.33333 → 13.33;
    // VAT 2.9326 → 2.93; 16.26
    const def = { unit: 'month', proration: true, price: { model: 'per-unit', unitPrice: '10.00' } };
    const config = configOf({
      ...scenario(def),
      deviceAssignments: [onAccount('d1', 'acme', '2024-01-01'), onAccount('d2', 'acme', '2024-06-21'), onAccount('d3', 'acme', '2024-01-01')],
    });
    const records = [...daily('d1', [3]), ...daily('d2', [25])];
    const doc = rateFrom(config, 'acme', JUNE, records);
    expect(lineSummary(doc)).toEqual(['usage t@1/2024-06-01..2024-07-01 q=1.333333 13.33+2.93=16.26']);
    expect(doc.devices.map((d) => d.units[0]?.quantity)).toEqual(['1', '0.333333', undefined]);
    // Without proration every active device pays a full month: 2 × 10.00
    const flat = rateFrom(configOf({ ...config, tariffVersions: [tariff('t', 1, '2024-01-01', { ...def, proration: false })] }), 'acme', JUNE, records);
    expect(lineSummary(flat)).toEqual(['usage t@1/2024-06-01..2024-07-01 q=2 20.00+4.40=24.40']);
  });

  it('is deterministic: same inputs → byte-identical JSON and hash', () => {
    const def = { unit: 'hour', price: { model: 'per-unit', unitPrice: '0.10' } };
    const records = [...daily('d2', [1, 2]), ...daily('d1', [3])];
    const a = statementJson(rateFrom(scenario(def), 'acme', JUNE, records));
    const b = statementJson(rateFrom(scenario(def, ['d3', 'd2', 'd1']), 'acme', JUNE, [...records].reverse()));
    expect(a).toBe(b);
    expect(statementHash(a)).toBe(statementHash(b));
    expect(a.startsWith('{"accountId":"acme","accountName":"Account acme","adjustments":[],"closedAt":null,"currency":"EUR","devices":[')).toBe(true);
  });

  it('refuses a tariff in another currency than the account', () => {
    const config = configOf({ ...scenario({ unit: 'day', price: { model: 'per-unit', unitPrice: '1' } }), accounts: [account('acme', 'UTC', 'RUB')] });
    try {
      rateFrom(config, 'acme', JUNE, []);
      expect.unreachable();
    } catch (e) {
      expect((e as RatingError).code).toBe('FM_RATING_CURRENCY_MISMATCH');
    }
  });

  it('implausible device times: receive-time counts them, quarantine only reports them', () => {
    // d1: 10 plausible minutes on June 3. d2: 5 records with no device time and 5 stamped 1970,
    // received June 4 10:00–10:09 → 10 fallback minutes.
    const plausible = daily('d1', [3]);
    const received = Array.from({ length: 10 }, (_, i) => ({ deviceId: 'd2', deviceTime: i < 5 ? null : 0, receivedAt: utc('2024-06-04T10:00') + i * 60_000 }));
    const config = scenario({ unit: 'minute', price: { model: 'per-unit', unitPrice: '0.10' } });
    // receive-time: 10 + 10 minutes × 0.10 = 2.00
    const counted = rateFrom(config, 'acme', JUNE, [...plausible, ...received], 'receive-time');
    expect(lineSummary(counted)).toEqual(['usage t@1/2024-06-01..2024-07-01 q=20 2.00+0.44=2.44']);
    // quarantine: 10 minutes × 0.10 = 1.00; d2's 10 minutes appear only as the quarantine tally
    const quarantined = rateFrom(config, 'acme', JUNE, [...plausible, ...received], 'quarantine');
    expect(lineSummary(quarantined)).toEqual(['usage t@1/2024-06-01..2024-07-01 q=10 1.00+0.22=1.22']);
    expect(quarantined.implausibleTimePolicy).toBe('quarantine');
    expect(quarantined.devices.map((d) => [d.deviceId, d.onlineMinutes, d.implausibleMinutes])).toEqual([
      ['d1', 10, 0],
      ['d2', 0, 10],
      ['d3', 0, 0],
    ]);
  });

  it('online minutes without a tariff are reported, not billed', () => {
    const config = configOf({ ...scenario({ unit: 'day', price: { model: 'per-unit', unitPrice: '1' } }), tariffAssignments: [useTariff('acme', 't', '2024-06-10')] });
    const doc = rateFrom(config, 'acme', JUNE, daily('d1', [5, 12]));
    expect(doc.warnings).toEqual([{ code: 'FM_RATING_UNRATED_USAGE', deviceId: 'd1', from: '2024-06-01', to: '2024-06-10', minutes: 10 }]);
    expect(lineSummary(doc)).toEqual(['usage t@1/2024-06-10..2024-07-01 q=1 1.00+0.22=1.22']);
  });
});
