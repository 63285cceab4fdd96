import { describe, expect, it } from 'vitest';
import { ConfigIndex, entryOn, timeline } from './assignments.ts';
import type { RatingError } from './errors.ts';
import { account, at, configOf, onAccount, suspend, tariff, useTariff } from './testing.ts';

describe('effective-dated timelines', () => {
  it('one entry per date, the later record wins; lookup by date', () => {
    const tl = timeline([
      { effectiveFrom: '2024-03-01', recordedAt: 1, v: 'a' },
      { effectiveFrom: '2024-01-01', recordedAt: 1, v: 'b' },
      { effectiveFrom: '2024-03-01', recordedAt: 5, v: 'c' },
    ]);
    expect(tl.map((e) => e.v)).toEqual(['b', 'c']);
    expect(entryOn(tl, '2023-12-31')).toBeUndefined();
    expect(entryOn(tl, '2024-02-29')?.v).toBe('b');
    expect(entryOn(tl, '2024-03-01')?.v).toBe('c');
  });
});

describe('config index', () => {
  const index = new ConfigIndex(
    configOf({
      accounts: [account('berlin', 'Europe/Berlin'), account('vlad', 'Asia/Vladivostok')],
      deviceAssignments: [onAccount('d', 'berlin', '2024-01-01'), onAccount('d', 'vlad', '2024-06-11'), onAccount('d', null, '2024-07-01')],
      tariffVersions: [tariff('t', 1, '2024-01-01', { unit: 'day', price: { model: 'per-unit', unitPrice: '1' } }), tariff('u', 1, '2024-05-01', { unit: 'day', price: { model: 'per-unit', unitPrice: '2' } })],
      tariffAssignments: [useTariff('berlin', 't', '2024-01-01'), useTariff('berlin', 'u', '2024-06-01', 'd'), useTariff('berlin', null, '2024-06-05', 'd')],
      suspensions: [suspend('s', 'berlin', '2024-02-01', '2024-02-03', 'd')],
    }),
  );

  it('memberships start at the local midnight of the account moved to (or left)', () => {
    expect(index.memberships('d')).toEqual([
      { accountId: 'berlin', from: at('Europe/Berlin', '2024-01-01T00:00'), to: at('Asia/Vladivostok', '2024-06-11T00:00') },
      { accountId: 'vlad', from: at('Asia/Vladivostok', '2024-06-11T00:00'), to: at('Asia/Vladivostok', '2024-07-01T00:00') }, // unassigned in vlad's zone
    ]);
    expect(index.devicesEverOn('vlad')).toEqual(['d']);
    expect(index.membershipOn('d', 'vlad', 0, at('UTC', '2024-06-20T00:00'))).toEqual([{ from: at('Asia/Vladivostok', '2024-06-11T00:00'), to: at('UTC', '2024-06-20T00:00') }]);
  });

  it('device overrides win over the account tariff; null at device level follows the account again', () => {
    expect(index.versionFor('berlin', 'd', '2024-05-31')?.tariffId).toBe('t');
    expect(index.versionFor('berlin', 'd', '2024-06-01')?.tariffId).toBe('u');
    expect(index.versionFor('berlin', 'd', '2024-06-05')?.tariffId).toBe('t');
    expect(index.versionFor('berlin', 'other', '2024-06-01')?.tariffId).toBe('t');
    expect(index.accountVersion('vlad', '2024-06-01')).toBeNull();
  });

  it('suspensions are [from, to)', () => {
    expect(index.suspended('berlin', 'd', '2024-01-31')).toBe(false);
    expect(index.suspended('berlin', 'd', '2024-02-02')).toBe(true);
    expect(index.suspended('berlin', 'd', '2024-02-03')).toBe(false);
    expect(index.suspended('berlin', null, '2024-02-02')).toBe(false);
  });

  it('unknown accounts are an error with a code', () => {
    try {
      index.account('nope');
      expect.unreachable();
    } catch (e) {
      expect((e as RatingError).code).toBe('FM_RATING_UNKNOWN_ACCOUNT');
    }
  });
});
