import { describe, expect, it } from 'vitest';
import { ConfigIndex } from './assignments.ts';
import { buildPlan } from './plan.ts';
import { account, at, configOf, onAccount, suspend, tariff, useTariff } from './testing.ts';

const day = { unit: 'day', price: { model: 'per-unit', unitPrice: '1' } };
const config = new ConfigIndex(
  configOf({
    accounts: [account('acme', 'Europe/Berlin')],
    tariffVersions: [tariff('t', 1, '2024-01-01', day), tariff('t', 2, '2024-03-20', day)],
    tariffAssignments: [useTariff('acme', 't', '2024-01-01')],
    deviceAssignments: [onAccount('a', 'acme', '2024-01-01'), onAccount('b', 'acme', '2024-03-10')],
    suspensions: [suspend('s', 'acme', '2024-03-25', '2024-03-27', 'a')],
  }),
);

describe('rating plan', () => {
  const plan = buildPlan(config, 'acme', { from: '2024-03-01', to: '2024-04-01' });

  it('local-day bounds of the period, DST included', () => {
    expect(plan.dates).toHaveLength(31);
    expect(plan.bounds[0]).toBe(at('Europe/Berlin', '2024-03-01T00:00'));
    expect(plan.bounds[31] - plan.bounds[0]).toBe((31 * 24 - 1) * 3_600_000); // one 23-hour day
  });

  it('segments per version; pieces per device split by version and suspension', () => {
    expect(plan.segments.map((s) => s.ref)).toEqual(['t@1/2024-03-01..2024-03-20', 't@2/2024-03-20..2024-04-01']);
    expect(plan.pieces.map((p) => `${p.deviceId} ${p.segment!.ref} ${plan.dates[p.fromIdx]}+${p.toIdx - p.fromIdx}`)).toEqual([
      'a t@1/2024-03-01..2024-03-20 2024-03-01+19',
      'a t@2/2024-03-20..2024-04-01 2024-03-20+5',
      'a t@2/2024-03-20..2024-04-01 2024-03-27+5',
      'b t@1/2024-03-01..2024-03-20 2024-03-10+10',
      'b t@2/2024-03-20..2024-04-01 2024-03-20+12',
    ]);
    expect([...plan.members.keys()]).toEqual(['a', 'b']);
  });

  it('a device not on the account in the period is not a member', () => {
    expect([...buildPlan(config, 'acme', { from: '2024-02-01', to: '2024-03-01' }).members.keys()]).toEqual(['a']);
  });
});
