/** Billing errors: values with a stable code (the API maps each to a status); tests assert codes. */

export const BILLING_ERROR_CODES = [
  'FM_BILLING_UNKNOWN_ACCOUNT',
  'FM_BILLING_UNKNOWN_PAYMENT',
  'FM_BILLING_BAD_AMOUNT',
  'FM_BILLING_BAD_DATE',
  'FM_BILLING_CURRENCY_MISMATCH',
  'FM_BILLING_EXTERNAL_ID_REUSED',
  'FM_BILLING_ALREADY_REVERSED',
  'FM_BILLING_NO_OVERRIDE',
] as const;
export type BillingErrorCode = (typeof BILLING_ERROR_CODES)[number];

export class BillingError extends Error {
  constructor(
    readonly code: BillingErrorCode,
    message: string,
    readonly details: { readonly [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = 'BillingError';
  }
}

export const billingError = (code: BillingErrorCode, message: string, details?: { readonly [key: string]: unknown }) => new BillingError(code, message, details);
