import { describe, expect, it } from 'vitest';
import { ConfigIndex } from './assignments.ts';
import { monthPeriod } from './calendar.ts';
import { buildPlan } from './plan.ts';
import { dayPlan, devicePlan } from './plan-slices.ts';
import { PresenceSet } from './presence.ts';
import { rateStatement } from './statement.ts';
import { tariffVersion } from './tariff.ts';

const config = new ConfigIndex({
  accounts: [{ id: 'acc', name: 'A', timeZone: 'Europe/Berlin', currency: 'EUR' }],
  deviceAssignments: [
    { deviceId: 'd1', accountId: 'acc', effectiveFrom: '2024-01-01', recordedAt: 1 },
    { deviceId: 'd2', accountId: 'acc', effectiveFrom: '2024-06-10', recordedAt: 1 },
  ],
  tariffVersions: [
    tariffVersion('h', 1, '2024-01-01', { name: 'Hourly', unit: 'hour', minActiveMinutes: 5, price: { model: 'per-unit', unitPrice: '0.10' }, currency: 'EUR' }),
    tariffVersion('h', 2, '2024-06-16', { name: 'Hourly', unit: 'hour', minActiveMinutes: 5, price: { model: 'per-unit', unitPrice: '0.20' }, currency: 'EUR' }),
  ],
  tariffAssignments: [{ accountId: 'acc', deviceId: null, tariffId: 'h', effectiveFrom: '2024-01-01', recordedAt: 1 }],
  suspensions: [],
});

// Both devices online 08:00–10:29 UTC every day of June 2024 (10:00–12:29 Berlin): 3 hours a day with ≥ 5 minutes.
const presence = new PresenceSet();
for (let d = 1; d <= 30; d++) {
  for (let m = 0; m < 150; m++) for (const id of ['d1', 'd2']) presence.setMinute(id, Date.UTC(2024, 5, d, 8, m), 0);
}
const view = presence.view('receive-time');

describe('plan slices', () => {
  const plan = buildPlan(config, 'acc', monthPeriod('2024-06'));
  const full = rateStatement(plan, view, 'receive-time');

  it('a device slice gives the device exactly its units in the full statement', () => {
    for (const id of ['d1', 'd2']) {
      const doc = rateStatement(devicePlan(plan, id)!, view, 'receive-time');
      expect(doc.devices).toEqual(full.devices.filter((d) => d.deviceId === id));
    }
    expect(devicePlan(plan, 'nobody')).toBeNull();
  });

  it('day slices add up to the period: d2 joins June 10, v2 from June 16', () => {
    const perVersion = new Map<number, number>();
    for (let i = 0; i < plan.dates.length; i++) {
      const doc = rateStatement(dayPlan(devicePlan(plan, 'd2')!, i), view, 'receive-time');
      for (const l of doc.lines) perVersion.set(l.tariffVersion, (perVersion.get(l.tariffVersion) ?? 0) + Number(l.quantity));
    }
    // d2: June 10–15 = 6 days × 3 h under v1; June 16–30 = 15 days × 3 h under v2.
    expect(Object.fromEntries(perVersion)).toEqual({ 1: 18, 2: 45 });
    const d2 = full.devices.find((d) => d.deviceId === 'd2')!;
    expect(d2.units.map((u) => Number(u.quantity))).toEqual([18, 45]);
  });
});
