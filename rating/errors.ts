/**
 * Rating errors are values with a stable code; tests assert the code, never the message.
 * Messages say what was expected and what came.
 */

export const RATING_ERROR_CODES = [
  'FM_RATING_BAD_DATE',
  'FM_RATING_BAD_PERIOD',
  'FM_RATING_BAD_TIME_ZONE',
  'FM_RATING_BAD_DECIMAL',
  'FM_RATING_BAD_CURRENCY',
  'FM_RATING_BAD_TARIFF',
  'FM_RATING_TARIFF_CONFLICT',
  'FM_RATING_CURRENCY_MISMATCH',
  'FM_RATING_UNKNOWN_ACCOUNT',
  'FM_RATING_UNKNOWN_TARIFF',
  'FM_RATING_PERIOD_NOT_ENDED',
  'FM_RATING_CLOSE_OUT_OF_ORDER',
  'FM_RATING_ALREADY_CLOSED',
  'FM_RATING_SNAPSHOT_CORRUPT',
] as const;
export type RatingErrorCode = (typeof RATING_ERROR_CODES)[number];

/** Thrown by rating functions on invalid input; `code` is the stable contract. */
export class RatingError extends Error {
  readonly code: RatingErrorCode;
  /** Facts a caller may act on (e.g. `earliestOpenPeriod` of FM_RATING_CLOSE_OUT_OF_ORDER); the API passes them on in `details`. */
  readonly details?: { readonly [key: string]: unknown };
  constructor(code: RatingErrorCode, message: string, details?: { readonly [key: string]: unknown }) {
    super(message);
    this.name = 'RatingError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

export function ratingError(code: RatingErrorCode, message: string, details?: { readonly [key: string]: unknown }): RatingError {
  return new RatingError(code, message, details);
}
