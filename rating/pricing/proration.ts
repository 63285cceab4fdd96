/**
 * Proration of the `month` unit by days: a device on the tariff for `days` of a month of
 * `daysInMonth` counts days/daysInMonth of a unit, rounded half-up to 6 decimals per device and
 * line (so every later step is exact decimal arithmetic). 10 of 31 days → 0.322581.
 */
import { type Dec, dec } from './money.ts';
import { Decimal } from 'decimal.js';

export const PRORATION_DECIMALS = 6;

export function proratedQuantity(days: number, daysInMonth: number): Dec {
  if (days >= daysInMonth) return dec(1);
  return dec(days).dividedBy(daysInMonth).toDecimalPlaces(PRORATION_DECIMALS, Decimal.ROUND_HALF_UP);
}
