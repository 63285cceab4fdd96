/**
 * Shared schemas: ids, dates, money, errors, list queries and pages. One place, reused for
 * request validation, response serialization and the OpenAPI document.
 */
import { type TProperties, type TSchema, Type } from 'typebox';
import { API_ERROR_CODES, API_ERROR_STATUS } from '../errors.ts';

/** Account, tariff and API ids: what a billing system can use as a key (1C codes, INNs, slugs). */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$';
/** Device ids: IMEI (15 digits), Wialon IPS ids, MQTT client ids. */
export const DEVICE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$';

export const Id = (description: string) => Type.String({ pattern: ID_PATTERN, description });
export const DeviceId = Type.String({ pattern: DEVICE_ID_PATTERN, description: 'device id: IMEI (Teltonika), login id (Wialon IPS), client id (MQTT)' });
export const IsoDate = (description = 'calendar date YYYY-MM-DD') => Type.String({ format: 'date', description });
export const DateTime = (description = 'instant, ISO 8601 UTC') => Type.String({ format: 'date-time', description });
export const NullableDateTime = (description?: string) => Type.Union([DateTime(description), Type.Null()]);
export const DecimalText = (description = 'non-negative decimal as text, e.g. "1.50"') => Type.String({ pattern: '^(0|[1-9][0-9]*)(\\.[0-9]+)?$', description });
export const Money = Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', description: 'amount as decimal text with the currency\'s minor digits' });
export const Quantity = Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', description: 'quantity as decimal text' });
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' });
export const Period = Type.Object({ from: IsoDate('first local date'), to: IsoDate('local date after the last (exclusive)') });
/** '2024-06' (a calendar month) or '2024-06-01..2024-06-16' (local dates, end exclusive). */
export const PERIOD_PATTERN = '^[0-9]{4}-[0-9]{2}(-[0-9]{2}\\.\\.[0-9]{4}-[0-9]{2}-[0-9]{2})?$';
export const PeriodText = Type.String({ pattern: PERIOD_PATTERN, description: 'a month "2024-06" or local dates "2024-06-01..2024-06-16" (end exclusive)' });
export const Totals = Type.Object({ amount: Money, vat: Money, total: Money });

export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.Enum([...API_ERROR_CODES], { description: 'stable error code' }),
    message: Type.String({ description: 'what was expected and what came' }),
    details: Type.Optional(Type.Unknown({ description: 'machine-readable specifics: field, conflicts, …' })),
    errorId: Type.Optional(Type.String({ description: '500/503 only: quote it; the same id is in the server log' })),
  },
  { description: 'error' },
);

const ERROR_DESCRIPTIONS: { readonly [status: number]: string } = {
  400: 'invalid request: the message names the field and the problem',
  401: 'missing or invalid API key',
  403: 'the API key lacks the scope this route needs',
  404: 'unknown id',
  409: 'conflict with the current state (details say with what)',
  413: 'body too large',
  415: 'unsupported content type',
  422: 'Idempotency-Key reused with a different request',
  500: 'internal error; the body carries an errorId that is in the log',
  503: 'storage unavailable',
};

/** Response schemas: the success ones given, plus an error body for each status listed and the ones every route can return. */
export function responses<S extends { [status: number]: TSchema }>(success: S, ...errors: number[]): S & { [status: number]: TSchema } {
  const out: { [status: number]: TSchema } = { ...success };
  for (const status of new Set([400, 401, 403, 500, 503, ...errors])) {
    if (!(status in API_STATUSES)) throw new Error(`no error code has status ${status}`);
    out[status] = { ...ErrorBody, description: ERROR_DESCRIPTIONS[status] ?? 'error' } as TSchema;
  }
  return out as S & { [status: number]: TSchema };
}
const API_STATUSES: { [status: number]: true } = Object.fromEntries(Object.values(API_ERROR_STATUS).map((s) => [s, true]));

export const LIMIT_MAX = 1000;
export const LIMIT_DEFAULT = 100;

/**
 * The query of every list endpoint: `limit` (1…1000, default 100), `cursor` (opaque, from the
 * previous page's `nextCursor`), `sort` (a field, `-field` for descending), plus its filters.
 */
export function listQuery<const S extends readonly string[], F extends TProperties>(sorts: S, filters: F) {
  const sortValues = [...sorts, ...sorts.map((s) => `-${s}` as `-${S[number]}`)] as [...S, ...`-${S[number]}`[]];
  return Type.Object(
    {
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMIT_MAX, description: `page size (default ${LIMIT_DEFAULT})` })),
      cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'opaque: nextCursor of the previous page' })),
      sort: Type.Optional(Type.Enum(sortValues, { description: 'sort field; prefix "-" for descending' })),
      ...filters,
    },
    { additionalProperties: false },
  );
}

export function page<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as cursor for the next page; null on the last page' }),
  });
}

export const IdParams = <K extends string>(key: K, description: string) => Type.Object({ [key]: Id(description) } as { [P in K]: ReturnType<typeof Id> });
