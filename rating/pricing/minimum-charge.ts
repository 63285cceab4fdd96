/**
 * Minimum charge per account, tariff and period: if the period's rounded usage lines of the tariff
 * add up to less than the minimum (compared in the tariff's price basis: with VAT if its prices
 * include VAT, else without), a top-up line brings them to it. 40.00 charged, minimum 50.00 →
 * top-up 10.00; 60.00 charged → none.
 */
import { type Dec, ZERO } from './money.ts';

export function minimumTopUp(charged: Dec, minimum: Dec): Dec {
  return charged.lessThan(minimum) ? minimum.minus(charged) : ZERO;
}
