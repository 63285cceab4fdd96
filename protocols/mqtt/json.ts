/**
 * The JSON payload: one point object, or an array of them (a batch), validated against a
 * documented TypeBox schema (README "MQTT"). Unknown fields are errors, so a typo such as
 * `"latitude"` for `"lat"` is reported instead of silently storing a record without a position.
 *
 *   {"time": 1767225600000, "lat": 55.7512, "lon": 37.6184, "alt": 151, "speed": 42.5,
 *    "course": 270, "sats": 11, "hdop": 0.8, "io": {"ignition": true, "fuel_l": 41.5}}
 *
 * `time` is ms since the epoch (integer) or an ISO 8601 time with a zone; a field the device does
 * not have is left out (never sent as 0). IO values are numbers, strings or booleans; an integer
 * beyond 2^53 must be sent as a string to stay exact.
 */
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { protocolError } from '../common/errors.ts';
import type { DecodeContext, IoElement } from '../record.ts';
import { POINT_LIMITS, pointRecord, type RangedField } from './point.ts';
import type { PayloadResult } from './result.ts';

const ISO_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';

const range = (field: RangedField, what: string, unit: string) => {
  const { min, max } = POINT_LIMITS[field];
  return { minimum: min, maximum: max, description: `${what} ${min}..${max}${unit}` };
};
const ranged = (field: RangedField, unit: string) => Type.Number(range(field, 'a number', unit));

export const JsonPointSchema = Type.Object(
  {
    time: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: POINT_LIMITS.time.max }), Type.String({ pattern: ISO_TIME })], {
        description: 'ms since the epoch (a non-negative integer) or an ISO 8601 time with a zone, e.g. "2026-01-01T00:00:00Z"',
      }),
    ),
    lat: Type.Optional(ranged('latitude', ' (degrees)')),
    lon: Type.Optional(ranged('longitude', ' (degrees)')),
    alt: Type.Optional(ranged('altitude', ' (metres)')),
    speed: Type.Optional(ranged('speed', ' (km/h)')),
    course: Type.Optional(ranged('course', ' (degrees)')),
    sats: Type.Optional(Type.Integer(range('satellites', 'an integer', ''))),
    hdop: Type.Optional(ranged('hdop', '')),
    valid: Type.Optional(Type.Boolean({ description: 'a boolean' })),
    archive: Type.Optional(Type.Boolean({ description: 'a boolean' })),
    io: Type.Optional(
      Type.Record(
        Type.String({ pattern: `^[^\\u0000]{1,${POINT_LIMITS.ioNameLength}}$` }),
        Type.Union([Type.Number(), Type.String({ maxLength: POINT_LIMITS.ioTextLength }), Type.Boolean()], {
          description: `a number, a string of up to ${POINT_LIMITS.ioTextLength} characters or a boolean`,
        }),
        {
          additionalProperties: false,
          maxProperties: POINT_LIMITS.ioEntries,
          description: `an object of up to ${POINT_LIMITS.ioEntries} entries named by 1..${POINT_LIMITS.ioNameLength} characters`,
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type JsonPoint = Static<typeof JsonPointSchema>;

/** The whole payload: a point or a batch (array) of 1..1000 points. Documentation and tests use it. */
export const JsonPayloadSchema = Type.Union([JsonPointSchema, Type.Array(JsonPointSchema, { minItems: 1, maxItems: POINT_LIMITS.points })]);

const checkPoint = Compile(JsonPointSchema);
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeJsonPayload(bytes: Uint8Array, ctx: DecodeContext): PayloadResult {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch (e) {
    const why = e instanceof SyntaxError ? e.message : 'not UTF-8';
    return { ok: false, error: protocolError('FM_ERR_MALFORMED', `payload: expected JSON, got ${bytes.length} bytes that are ${why.startsWith('not') ? why : `not JSON (${why})`}`) };
  }
  const batch = Array.isArray(value);
  const points: unknown[] = batch ? (value as unknown[]) : [value];
  if (batch && (points.length === 0 || points.length > POINT_LIMITS.points)) {
    return { ok: false, error: protocolError('FM_ERR_BAD_FIELD', `batch: expected 1..${POINT_LIMITS.points} points, got ${points.length}`) };
  }
  const records = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (!checkPoint.Check(p)) return { ok: false, error: schemaError(p, batch ? `[${i}]` : '') };
    let time: number | null = null;
    if (typeof p.time === 'number') time = p.time;
    else if (typeof p.time === 'string') {
      time = Math.floor(Date.parse(p.time));
      if (!(time >= 0)) {
        return { ok: false, error: protocolError('FM_ERR_BAD_FIELD', `${batch ? `[${i}]` : ''}/time: expected a real time at or after 1970, got ${JSON.stringify(p.time)}`) };
      }
    }
    records.push(
      pointRecord('mqtt-json', ctx, {
        time,
        latitude: p.lat ?? null,
        longitude: p.lon ?? null,
        altitude: p.alt ?? null,
        speed: p.speed ?? null,
        course: p.course ?? null,
        satellites: p.sats ?? null,
        hdop: p.hdop ?? null,
        valid: p.valid ?? null,
        archive: p.archive ?? false,
        io: p.io ? ioElements(p.io) : [],
      }),
    );
  }
  return { ok: true, records };
}

function ioElements(io: { [name: string]: number | string | boolean }): IoElement[] {
  const out: IoElement[] = [];
  for (const id of Object.keys(io)) out.push({ id, value: io[id] });
  return out;
}

/** The first schema violation as "where: expected …, got …". */
function schemaError(point: unknown, at: string) {
  const errors = checkPoint.Errors(point);
  let e = errors[0];
  if (!e) return protocolError('FM_ERR_BAD_FIELD', `${at || '/'}: expected a point object, got ${short(point)}`);
  // A union (time, an IO value) fails every branch: report the union, which says what it takes.
  if (e.schemaPath.includes('/anyOf/')) e = errors.find((x) => x.keyword === 'anyOf' && x.instancePath === e!.instancePath) ?? e;
  const where = `${at}${e.instancePath || '/'}`;
  if (e.keyword === 'additionalProperties' || (e.keyword === 'boolean' && e.schemaPath.endsWith('/additionalProperties'))) {
    if (e.instancePath.startsWith('/io/')) return protocolError('FM_ERR_BAD_FIELD', `${where}: expected an IO name of 1..${POINT_LIMITS.ioNameLength} characters (no NUL)`);
    return protocolError('FM_ERR_BAD_FIELD', `${where}: unknown field (a point has ${Object.keys(JsonPointSchema.properties).join(', ')})`);
  }
  const expected = (pointer(JsonPointSchema, e.schemaPath.replace(/^#/, '')) as { description?: string } | undefined)?.description ?? e.message.replace(/^must be /, '');
  return protocolError('FM_ERR_BAD_FIELD', `${where}: expected ${expected}, got ${short(pointer(point, e.instancePath))}`);
}

/** The value at a JSON pointer (`/io/a`), or undefined. */
function pointer(value: unknown, path: string): unknown {
  let v = value;
  for (const part of path.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as { [k: string]: unknown })[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

function short(v: unknown): string {
  const text = v === undefined ? 'nothing' : JSON.stringify(v);
  return text.length > 80 ? text.slice(0, 77) + '...' : text;
}
