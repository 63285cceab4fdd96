import { describe, expect, it } from 'vitest';
import type { RatingError } from './errors.ts';
import { definitionHash, parseTariffDefinition, tariffVersion, versionOn } from './tariff.ts';

const base = { name: 'Basic', unit: 'day', price: { model: 'per-unit', unitPrice: '1.50' }, currency: 'EUR' };
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as RatingError).code;
  }
  return 'ok';
};

describe('tariff definitions', () => {
  it('fills documented defaults', () => {
    expect(parseTariffDefinition(base)).toEqual({
      name: 'Basic',
      unit: 'day',
      minActiveMinutes: 1,
      price: { model: 'per-unit', unitPrice: '1.50' },
      includedUnits: '0',
      minimumCharge: '0',
      proration: false,
      currency: 'EUR',
      vatRate: '22',
      pricesIncludeVat: false,
    });
  });

  it('rejects invalid definitions with FM_RATING_BAD_TARIFF', () => {
    expect(code(() => parseTariffDefinition({ ...base, unit: 'week' }))).toBe('FM_RATING_BAD_TARIFF');
    expect(code(() => parseTariffDefinition({ ...base, minActiveMinutes: 0 }))).toBe('FM_RATING_BAD_TARIFF');
    expect(code(() => parseTariffDefinition({ ...base, price: { model: 'package' } }))).toBe('FM_RATING_BAD_TARIFF');
    expect(code(() => parseTariffDefinition({ ...base, price: { model: 'volume', tiers: [{ upTo: '5', unitPrice: '1' }] } }))).toBe('FM_RATING_BAD_TARIFF');
    expect(code(() => parseTariffDefinition({ ...base, vatRate: 22 }))).toBe('FM_RATING_BAD_TARIFF');
    expect(code(() => parseTariffDefinition({ ...base, includedUnits: '-1' }))).toBe('FM_RATING_BAD_TARIFF');
    expect(code(() => parseTariffDefinition({ ...base, currency: 'ZZZ' }))).toBe('FM_RATING_BAD_CURRENCY');
    expect(code(() => parseTariffDefinition({ ...base, price: { model: 'per-unit', unitPrice: '1e2' } }))).toBe('FM_RATING_BAD_DECIMAL');
    expect(code(() => tariffVersion('t', 0, '2024-01-01', base))).toBe('FM_RATING_BAD_TARIFF');
    expect(code(() => tariffVersion('t', 1, '2024-02-30', base))).toBe('FM_RATING_BAD_DATE');
  });

  it('hash is over canonical content (key order does not matter)', () => {
    const a = parseTariffDefinition(base);
    const b = parseTariffDefinition({ currency: 'EUR', price: { unitPrice: '1.50', model: 'per-unit' }, unit: 'day', name: 'Basic' });
    expect(definitionHash(a)).toBe(definitionHash(b));
    expect(definitionHash(parseTariffDefinition({ ...base, vatRate: '20' }))).not.toBe(definitionHash(a));
  });

  it('version in effect: latest effective date, then highest version', () => {
    const v1 = tariffVersion('t', 1, '2024-01-01', base);
    const v2 = tariffVersion('t', 2, '2024-03-15', base);
    const v3 = tariffVersion('t', 3, '2024-03-15', base); // correction of v2
    expect(versionOn([v1, v2, v3], '2023-12-31')).toBeNull();
    expect(versionOn([v3, v1, v2], '2024-03-14')?.version).toBe(1);
    expect(versionOn([v1, v3, v2], '2024-03-15')?.version).toBe(3);
  });
});
