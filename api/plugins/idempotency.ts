/**
 * `Idempotency-Key` on POSTs: the first response to a key (per API key, 24 h) is stored; the same
 * key with the same request (method, URL, body) replays it — status and body — with
 * `Idempotent-Replayed: true`; the same key with a different request is 422. Requests with the
 * same key in flight at once run one after the other. 5xx responses are not stored (a retry may
 * succeed); requests rejected by validation never reach the store.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { canonicalJson } from '../../rating/canonical-json.ts';
import { ApiError } from '../errors.ts';
import { plugin } from '../plugin.ts';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

interface Pending {
  readonly key: string;
  readonly hash: string;
  readonly release: () => void;
}

const pendingOf = new WeakMap<FastifyRequest, Pending>();

export function requestHash(req: FastifyRequest): string {
  let body: string;
  try {
    body = req.body === undefined ? '' : canonicalJson(req.body);
  } catch {
    body = JSON.stringify(req.body);
  }
  return createHash('sha256').update(`${req.method} ${req.url}\n${body}`).digest('hex');
}

export const idempotencyPlugin = plugin(
  async (app: FastifyInstance) => {
    const preHandler = async (req: FastifyRequest, reply: FastifyReply) => {
      const header = req.headers['idempotency-key'];
      if (header === undefined) return;
      const key = Array.isArray(header) ? header[0] : header;
      if (!KEY_PATTERN.test(key)) throw new ApiError('FM_ERR_VALIDATION', 'headers.idempotency-key: 1–255 visible ASCII characters', { field: 'headers.idempotency-key' });
      const keyId = req.apiKey?.keyId ?? 'anonymous';
      const store = app.services.idempotency;
      const hash = requestHash(req);
      const release = await store.acquire(keyId, key);
      try {
        const found = await store.lookup(keyId, key);
        if (found !== null) {
          release();
          if (found.requestHash !== hash) {
            throw new ApiError('FM_ERR_IDEMPOTENCY_MISMATCH', `Idempotency-Key ${JSON.stringify(key)} was used for a different request; use a new key for a new request`, { field: 'headers.idempotency-key' });
          }
          reply.header('idempotent-replayed', 'true').header('content-type', found.contentType).code(found.status);
          return reply.send(found.body);
        }
      } catch (err) {
        release();
        throw err;
      }
      pendingOf.set(req, { key, hash, release });
    };

    const onSend = async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const p = pendingOf.get(req);
      if (p === undefined) return payload;
      pendingOf.delete(req);
      try {
        if (reply.statusCode < 500 && (typeof payload === 'string' || Buffer.isBuffer(payload))) {
          await app.services.idempotency.save(req.apiKey?.keyId ?? 'anonymous', p.key, {
            requestHash: p.hash,
            status: reply.statusCode,
            contentType: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8'),
            body: payload.toString(),
          });
        }
      } finally {
        p.release();
      }
      return payload;
    };

    const onRequestAbort = async (req: FastifyRequest) => {
      const p = pendingOf.get(req);
      if (p === undefined) return;
      pendingOf.delete(req);
      p.release();
    };

    // Only POST routes carry the hooks: reads pay nothing for idempotency.
    app.addHook('onRoute', (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (!methods.includes('POST')) return;
      const add = <T>(existing: T | T[] | undefined, hook: T): T[] => [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]), hook];
      route.preHandler = add(route.preHandler, preHandler as never);
      route.onSend = add(route.onSend, onSend as never);
      route.onRequestAbort = add(route.onRequestAbort, onRequestAbort as never);
    });
  },
  { name: 'fleetmeter-idempotency', dependencies: ['fleetmeter-services', 'fleetmeter-auth'] },
);
