/**
 * VAT per statement line, after the line is rounded. Rate in percent (default 22).
 * - Prices without VAT: amount = round(net); vat = round(amount × rate / 100); total = amount + vat.
 *   100 units × 0.105 = 10.50; VAT 22 % = 2.31; total 12.81.
 * - Prices with VAT: total = round(gross); vat = round(total × rate / (100 + rate)); amount = total − vat.
 *   12.81 gross → VAT 2.31 (12.81 × 22 / 122), amount 10.50.
 * Statement totals are sums of the rounded lines.
 */
import { type Currency, type Dec, dec, roundMoney } from './money.ts';

export const DEFAULT_VAT_RATE = '22';

export interface VatLine {
  /** Net amount (without VAT). */
  readonly amount: Dec;
  readonly vat: Dec;
  /** Gross amount (with VAT). */
  readonly total: Dec;
}

export function applyVat(priced: Dec, ratePercent: Dec, pricesIncludeVat: boolean, c: Currency): VatLine {
  if (pricesIncludeVat) {
    const total = roundMoney(priced, c);
    const vat = roundMoney(total.times(ratePercent).dividedBy(dec(100).plus(ratePercent)), c);
    return { amount: total.minus(vat), vat, total };
  }
  const amount = roundMoney(priced, c);
  const vat = roundMoney(amount.times(ratePercent).dividedBy(100), c);
  return { amount, vat, total: amount.plus(vat) };
}
