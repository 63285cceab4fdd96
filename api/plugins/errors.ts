/**
 * One error shape for every failure: `{ statusCode, code, message, details?, errorId? }`.
 * Validation errors name the field and the problem; rating errors keep their code in
 * `details.reason`; anything unexpected is a 500 that hides internals and returns an `errorId`
 * that the log line carries too.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, fromRatingError } from '../errors.ts';
import { plugin } from '../plugin.ts';

interface Problem {
  readonly field: string;
  readonly message: string;
}

interface ValidationItem {
  readonly schemaPath?: string;
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly message?: string;
  readonly params?: { readonly [k: string]: unknown };
}

/**
 * In a union, report the member the client most likely meant: members whose discriminator (a
 * const/enum) did not match are dropped, then the one(s) with the fewest errors are kept. When no
 * member's discriminator matched, only the discriminator errors are reported.
 */
function relevant(items: readonly ValidationItem[]): readonly ValidationItem[] {
  const member = (v: ValidationItem) => /^(.*?\/anyOf\/)(\d+)/.exec(v.schemaPath ?? '');
  const counts = new Map<string, Map<string, number>>();
  const rejected = new Set<string>();
  for (const v of items) {
    const m = member(v);
    if (m === null) continue;
    let c = counts.get(m[1]);
    if (c === undefined) counts.set(m[1], (c = new Map()));
    c.set(m[2], (c.get(m[2]) ?? 0) + 1);
    if (v.keyword === 'const' || v.keyword === 'enum') rejected.add(m[1] + m[2]);
  }
  const keep = new Map<string, Set<string> | null>();
  for (const [prefix, c] of counts) {
    const candidates = [...c].filter(([i]) => !rejected.has(prefix + i));
    if (candidates.length === 0) keep.set(prefix, null);
    else {
      const min = Math.min(...candidates.map(([, n]) => n));
      keep.set(prefix, new Set(candidates.filter(([, n]) => n === min).map(([i]) => i)));
    }
  }
  return items.filter((v) => {
    const m = member(v);
    if (m === null) return true;
    const k = keep.get(m[1]);
    return k === null ? v.keyword === 'const' || v.keyword === 'enum' : k!.has(m[2]);
  });
}

/** TypeBox/Ajv errors → "body.effectiveFrom: must match format "date"" problems. */
export function validationProblems(context: string, raw: readonly ValidationItem[]): Problem[] {
  const items = relevant(raw);
  const out: Problem[] = [];
  const unknownAt = new Set<string>();
  for (const v of items) {
    const base = [context, ...(v.instancePath ?? '').split('/').filter(Boolean)].join('.');
    const p = v.params ?? {};
    if (v.keyword === 'additionalProperties' && Array.isArray(p.additionalProperties)) {
      for (const name of p.additionalProperties as string[]) {
        unknownAt.add(`${base}.${name}`);
        out.push({ field: `${base}.${name}`, message: 'unknown field' });
      }
    } else if (v.keyword === 'required' && Array.isArray(p.requiredProperties)) {
      for (const name of p.requiredProperties as string[]) out.push({ field: `${base}.${name}`, message: 'is required' });
    } else if (v.keyword === 'required' && typeof p.missingProperty === 'string') {
      out.push({ field: `${base}.${p.missingProperty}`, message: 'is required' });
    } else {
      out.push({ field: base, message: v.message ?? 'is invalid' });
    }
  }
  // TypeBox also reports each unknown field as "schema is false" at its own path: keep one line.
  return out.filter((p, i) => !(unknownAt.has(p.field) && p.message !== 'unknown field') && out.findIndex((q) => q.field === p.field && q.message === p.message) === i);
}

export function errorBody(err: ApiError) {
  return { statusCode: err.statusCode, code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) };
}

function toApiError(raw: unknown): ApiError | null {
  const err = fromRatingError(raw);
  if (err instanceof ApiError) return err;
  const e = err as FastifyError & { validation?: ValidationItem[]; validationContext?: string };
  if (Array.isArray(e.validation)) {
    const problems = validationProblems(e.validationContext ?? 'request', e.validation);
    const first = problems[0] ?? { field: e.validationContext ?? 'request', message: 'is invalid' };
    return new ApiError('FM_ERR_VALIDATION', `${first.field}: ${first.message}`, { field: first.field, problems });
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return new ApiError('FM_ERR_PAYLOAD_TOO_LARGE', e.message);
  if (status === 415) return new ApiError('FM_ERR_UNSUPPORTED_MEDIA_TYPE', e.message);
  if (status >= 400 && status < 500) return new ApiError(e.code?.startsWith('FST_ERR_CTP') ? 'FM_ERR_BAD_BODY' : 'FM_ERR_VALIDATION', `body: ${e.message}`, { field: 'body', reason: e.code });
  return null;
}

export const errorsPlugin = plugin(
  async (app: FastifyInstance) => {
    // Async: it returns the body (fastify sends it); calling reply.send and returning nothing would
    // race the async onSend hooks and send an empty body.
    app.setErrorHandler(async (raw: unknown, req: FastifyRequest, reply: FastifyReply) => {
      let err: ApiError | null;
      try {
        err = toApiError(raw);
      } catch (handlerErr) {
        req.log.error({ err: handlerErr }, 'error handler failed');
        err = null;
      }
      if (err !== null) {
        if (err.statusCode >= 500) req.log.error({ err: raw }, 'request failed');
        reply.code(err.statusCode);
        return errorBody(err);
      }
      const errorId = randomUUID();
      // Storage down is not a bug: say so (503, retry later) rather than "internal error".
      const storage = app.hasDecorator('services') ? await app.services.store.ping().catch(() => ({ ok: false as const, error: 'ping failed' })) : { ok: true as const };
      req.log.error({ err: raw, errorId, method: req.method, url: req.url, storage: storage.ok ? 'reachable' : 'unreachable' }, 'request failed unexpectedly');
      if (!storage.ok) {
        reply.code(503);
        return { statusCode: 503, code: 'FM_ERR_UNAVAILABLE', message: `storage is unavailable; retry later (errorId ${errorId})`, errorId };
      }
      reply.code(500);
      return { statusCode: 500, code: 'FM_ERR_INTERNAL', message: `internal error; quote errorId ${errorId} when reporting it`, errorId };
    });
    app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
      reply.code(404).send(errorBody(new ApiError('FM_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`, { resource: 'route' })));
    });
  },
  { name: 'fleetmeter-errors' },
);
