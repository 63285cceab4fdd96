import { describe, expect, it } from 'vitest';
import { adjustmentsFor } from './adjustments.ts';
import { account, configOf, minutesOnline, onAccount, rateFrom, tariff, useTariff, at } from './testing.ts';

const JUNE = { from: '2024-06-01', to: '2024-07-01' };
const config = configOf({
  accounts: [account('acme')],
  tariffVersions: [tariff('v', 1, '2024-01-01', { unit: 'day', price: { model: 'volume', tiers: [{ upTo: '2', unitPrice: '1.00' }, { upTo: null, unitPrice: '0.50' }] } })],
  tariffAssignments: [useTariff('acme', 'v', '2024-01-01')],
  deviceAssignments: [onAccount('d1', 'acme', '2024-01-01'), onAccount('d2', 'acme', '2024-01-01')],
});
const on = (deviceId: string, d: number) => minutesOnline(deviceId, at('UTC', `2024-06-${String(d).padStart(2, '0')}T08:00`), 3);

describe('adjustments', () => {
  it('nothing changed → no adjustment lines', () => {
    const doc = rateFrom(config, 'acme', JUNE, on('d1', 1));
    expect(adjustmentsFor(doc, [], doc)).toEqual([]);
  });

  it('the difference per line, with the devices that changed; volume tiers can lower the amount', () => {
    // closed: d1 2 days → tier 1: 2 × 1.00 = 2.00. Late data: d2 2 days → 4 units, tier 2: 4 × 0.50 = 2.00.
    // Difference: +2 units, +0.00 amount (the cheaper tier absorbs it).
    const closed = rateFrom(config, 'acme', JUNE, [...on('d1', 1), ...on('d1', 2)]);
    const now = rateFrom(config, 'acme', JUNE, [...on('d1', 1), ...on('d1', 2), ...on('d2', 3), ...on('d2', 4)]);
    const adj = adjustmentsFor(closed, [], now);
    expect(adj.map((a) => [a.refKind, a.ref, a.quantity, a.amount, a.vat, a.total, a.devices])).toEqual([['usage', 'v@1/2024-06-01..2024-07-01', '2', '0.00', '0.00', '0.00', [{ deviceId: 'd2', quantity: '2' }]]]);
    // 5 units: 2.50 — against 2.00 closed and the +0.00 already adjusted: +1 unit, +0.50 (VAT +0.11)
    const later = rateFrom(config, 'acme', JUNE, [...on('d1', 1), ...on('d1', 2), ...on('d2', 3), ...on('d2', 4), ...on('d2', 5)]);
    expect(adjustmentsFor(closed, adj, later).map((a) => [a.quantity, a.amount, a.vat, a.total, a.devices])).toEqual([['1', '0.50', '0.11', '0.61', [{ deviceId: 'd2', quantity: '1' }]]]);
    expect(adjustmentsFor(closed, [...adj, ...adjustmentsFor(closed, adj, later)], later)).toEqual([]);
  });
});
