/**
 * API errors: created once with a stable code and an HTTP status (fastify's createError idea).
 * Tests assert codes, never message text. Messages name the field or id and say what was expected
 * and what came. 5xx responses hide internals and carry an error id that is also in the log line.
 */
import { RatingError, type RatingErrorCode } from '../rating/errors.ts';

export const API_ERROR_STATUS = {
  FM_ERR_VALIDATION: 400,
  FM_ERR_BAD_BODY: 400,
  FM_ERR_UNAUTHORIZED: 401,
  FM_ERR_FORBIDDEN: 403,
  FM_ERR_NOT_FOUND: 404,
  FM_ERR_CONFLICT: 409,
  FM_ERR_EFFECTIVE_DATE_CONFLICT: 409,
  FM_ERR_PAYLOAD_TOO_LARGE: 413,
  FM_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  FM_ERR_IDEMPOTENCY_MISMATCH: 422,
  FM_ERR_INTERNAL: 500,
  FM_ERR_UNAVAILABLE: 503,
} as const;
export type ApiErrorCode = keyof typeof API_ERROR_STATUS;
export const API_ERROR_CODES = Object.keys(API_ERROR_STATUS) as readonly ApiErrorCode[];

export type ErrorDetails = { readonly [key: string]: unknown };

export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = API_ERROR_STATUS[code];
  }
}

export const notFound = (what: string, id: string) => new ApiError('FM_ERR_NOT_FOUND', `${what} ${JSON.stringify(id)} not found`, { resource: what, id });
export const conflict = (message: string, details?: ErrorDetails) => new ApiError('FM_ERR_CONFLICT', message, details);
export const badRequest = (field: string, message: string, details?: ErrorDetails) => new ApiError('FM_ERR_VALIDATION', `${field}: ${message}`, { field, ...details });
export const dateConflict = (message: string, conflicts: readonly unknown[], details?: ErrorDetails) =>
  new ApiError('FM_ERR_EFFECTIVE_DATE_CONFLICT', message, { conflicts, ...details });

/** How each rating error reaches a caller: bad input → 400, unknown ids → 404, state conflicts → 409. */
const RATING_STATUS: { readonly [K in RatingErrorCode]: ApiErrorCode } = {
  FM_RATING_BAD_DATE: 'FM_ERR_VALIDATION',
  FM_RATING_BAD_PERIOD: 'FM_ERR_VALIDATION',
  FM_RATING_BAD_TIME_ZONE: 'FM_ERR_VALIDATION',
  FM_RATING_BAD_DECIMAL: 'FM_ERR_VALIDATION',
  FM_RATING_BAD_CURRENCY: 'FM_ERR_VALIDATION',
  FM_RATING_BAD_TARIFF: 'FM_ERR_VALIDATION',
  FM_RATING_TARIFF_CONFLICT: 'FM_ERR_CONFLICT',
  FM_RATING_CURRENCY_MISMATCH: 'FM_ERR_CONFLICT',
  FM_RATING_UNKNOWN_ACCOUNT: 'FM_ERR_NOT_FOUND',
  FM_RATING_UNKNOWN_TARIFF: 'FM_ERR_NOT_FOUND',
  FM_RATING_PERIOD_NOT_ENDED: 'FM_ERR_CONFLICT',
  FM_RATING_CLOSE_OUT_OF_ORDER: 'FM_ERR_CONFLICT',
  FM_RATING_ALREADY_CLOSED: 'FM_ERR_CONFLICT',
  FM_RATING_SNAPSHOT_CORRUPT: 'FM_ERR_INTERNAL',
};

/** A rating error as an API error (the rating code kept in `details.reason`, its own details beside it); other errors unchanged. */
export function fromRatingError(err: unknown, field?: string): unknown {
  if (!(err instanceof RatingError)) return err;
  const code = RATING_STATUS[err.code] ?? 'FM_ERR_INTERNAL';
  if (code === 'FM_ERR_INTERNAL') return err;
  const message = field !== undefined && code === 'FM_ERR_VALIDATION' ? `${field}: ${err.message}` : err.message;
  return new ApiError(code, message, { ...err.details, reason: err.code, ...(field !== undefined ? { field } : {}) });
}

/** Runs `fn`, turning rating errors into API errors. */
export async function rated<T>(fn: () => Promise<T> | T, field?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromRatingError(err, field);
  }
}
