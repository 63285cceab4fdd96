import { describe, expect, it } from 'vitest';
import { currency, dec } from './money.ts';
import { applyVat } from './vat.ts';

const eur = currency('EUR');
const show = (v: ReturnType<typeof applyVat>) => [v.amount.toFixed(2), v.vat.toFixed(2), v.total.toFixed(2)];

describe('VAT per line', () => {
  it('prices without VAT: round the net, VAT on the rounded net', () => {
    // 100 × 0.105 = 10.5 net; 22 % of 10.50 = 2.31; total 12.81
    expect(show(applyVat(dec('10.5'), dec('22'), false, eur))).toEqual(['10.50', '2.31', '12.81']);
    // 10.005 → 10.01 (half-up); VAT 2.2022 → 2.20
    expect(show(applyVat(dec('10.005'), dec('22'), false, eur))).toEqual(['10.01', '2.20', '12.21']);
  });

  it('prices with VAT: round the gross, VAT extracted from it', () => {
    // 12.81 gross: VAT = 12.81 × 22/122 = 2.31 exactly; net 10.50
    expect(show(applyVat(dec('12.81'), dec('22'), true, eur))).toEqual(['10.50', '2.31', '12.81']);
    // 100 gross at 20 %: VAT 16.666… → 16.67, net 83.33
    expect(show(applyVat(dec('100'), dec('20'), true, eur))).toEqual(['83.33', '16.67', '100.00']);
  });

  it('zero rate', () => {
    expect(show(applyVat(dec('9.999'), dec('0'), false, eur))).toEqual(['10.00', '0.00', '10.00']);
  });
});
