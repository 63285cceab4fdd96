/**
 * Money: decimal.js only, never a JS number. One Decimal constructor for all rating math
 * (50 significant digits, half-up), and the one rounding rule: half-up (away from zero on a tie)
 * to the currency's minor unit, applied per statement line.
 */
import { Decimal } from 'decimal.js';
import { ratingError } from '../errors.ts';

export const Dec = Decimal.clone({ precision: 50, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -60, toExpPos: 60 });
export type Dec = Decimal;

export const ZERO: Dec = new Dec(0);

const DECIMAL_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** A decimal from its text ('12.5', '-0.01') or an integer. Rejects exponents, NaN, Infinity, floats. */
export function dec(value: string | number | Dec): Dec {
  if (Decimal.isDecimal(value)) return new Dec(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw ratingError('FM_RATING_BAD_DECIMAL', `expected an integer or a decimal string, got the number ${value}`);
    return new Dec(value);
  }
  if (typeof value !== 'string' || !DECIMAL_TEXT.test(value)) throw ratingError('FM_RATING_BAD_DECIMAL', `expected a decimal string like "12.50", got ${JSON.stringify(value)}`);
  return new Dec(value);
}

/** ISO 4217 minor units of the currencies a fleet provider is likely to invoice in. */
export const CURRENCY_MINOR_UNITS: { readonly [code: string]: number } = Object.freeze({
  AED: 2, AMD: 2, AZN: 2, BGN: 2, BHD: 3, BYN: 2, CAD: 2, CHF: 2, CLP: 0, CNY: 2, CZK: 2, DKK: 2, EUR: 2,
  GBP: 2, GEL: 2, HUF: 2, INR: 2, ISK: 0, JOD: 3, JPY: 0, KGS: 2, KRW: 0, KWD: 3, KZT: 2, MDL: 2, NOK: 2,
  OMR: 3, PLN: 2, RON: 2, RSD: 2, RUB: 2, SEK: 2, TJS: 2, TMT: 2, TND: 3, TRY: 2, UAH: 2, USD: 2, UZS: 2, VND: 0,
});

export interface Currency {
  readonly code: string;
  readonly minorUnit: number;
}

export function currency(code: string): Currency {
  const minorUnit = CURRENCY_MINOR_UNITS[code];
  if (minorUnit === undefined) throw ratingError('FM_RATING_BAD_CURRENCY', `unknown currency ${JSON.stringify(code)}; known: ${Object.keys(CURRENCY_MINOR_UNITS).join(', ')}`);
  return { code, minorUnit };
}

/** Half-up to the minor unit: 0.125 EUR → 0.13, −0.125 → −0.13, 0.5 JPY → 1. */
export function roundMoney(x: Dec, c: Currency): Dec {
  return x.toDecimalPlaces(c.minorUnit, Decimal.ROUND_HALF_UP);
}

/** Money as text with exactly the minor-unit digits: '12.30', '-0.05', '100' (JPY). */
export function formatMoney(x: Dec, c: Currency): string {
  const r = roundMoney(x, c);
  return (r.isZero() ? new Dec(0) : r).toFixed(c.minorUnit);
}

/** A plain decimal as text, no exponent, no trailing zeros: '10', '0.322581', '-3'. */
export function formatDecimal(x: Dec): string {
  const s = (x.isZero() ? new Dec(0) : x).toFixed();
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

export function sum(values: readonly Dec[]): Dec {
  let s = ZERO;
  for (const v of values) s = s.plus(v);
  return s;
}

export function min(a: Dec, b: Dec): Dec {
  return a.lessThan(b) ? a : b;
}

export function max(a: Dec, b: Dec): Dec {
  return a.greaterThan(b) ? a : b;
}
