/**
 * API keys and scopes. Enforced at registration: a route that declares no `config.scope` (read,
 * write, admin — admin ⊇ write ⊇ read — or an explicit `public`) makes `fastify.ready()` throw,
 * so no endpoint is open by accident. Only health, readiness, the OpenAPI document and the docs
 * page are public. At request time: no/invalid key → 401, a key without the scope → 403.
 * Keys come as `Authorization: Bearer fmk_…` (or `X-Api-Key: fmk_…`).
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { scopeAllows } from '../api-keys.ts';
import { ApiError } from '../errors.ts';
import { plugin } from '../plugin.ts';
import { ROUTE_SCOPES, type RouteScope } from './types.ts';

/** Routes other plugins register (the docs UI) that are public by name. */
export const PUBLIC_PREFIXES = ['/docs'] as const;
export const PUBLIC_ROUTES = ['/health', '/ready', '/openapi.json'] as const;

function presentedKey(req: FastifyRequest): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m ? m[1] : null;
  }
  const k = req.headers['x-api-key'];
  return typeof k === 'string' ? k : null;
}

export const authPlugin = plugin(
  async (app: FastifyInstance) => {
    app.decorateRequest('apiKey', null);
    app.addHook('onRoute', (route: RouteOptions) => {
      const url = route.url ?? '';
      const config = (route.config ?? {}) as { scope?: RouteScope };
      if (PUBLIC_PREFIXES.some((p) => url === p || url.startsWith(`${p}/`))) {
        route.config = { ...config, scope: 'public' };
        return;
      }
      if (config.scope === undefined || !(ROUTE_SCOPES as readonly string[]).includes(config.scope)) {
        throw new Error(`route ${String(route.method)} ${url} declares no scope: set config.scope to one of ${ROUTE_SCOPES.join(', ')}`);
      }
      if (config.scope === 'public' && !(PUBLIC_ROUTES as readonly string[]).includes(url)) {
        throw new Error(`route ${String(route.method)} ${url} is declared public, but only ${PUBLIC_ROUTES.join(', ')} and the docs may be`);
      }
      if (config.scope !== 'public' && route.schema) {
        // OpenAPI: the key and the scope each operation needs.
        const s = route.schema as { security?: unknown; description?: string };
        s.security = [{ apiKey: [] }];
        s.description = `${s.description ? `${s.description}\n\n` : ''}Scope: \`${config.scope}\`.`;
        (s as { 'x-scope'?: string })['x-scope'] = config.scope;
      }
    });
    app.addHook('onRequest', async (req) => {
      const scope = req.routeOptions.config.scope;
      if (scope === undefined || scope === 'public') return;
      const presented = presentedKey(req);
      if (presented === null) throw new ApiError('FM_ERR_UNAUTHORIZED', 'an API key is required: Authorization: Bearer fmk_…');
      const key = app.services.keys.verify(presented);
      if (key === null) throw new ApiError('FM_ERR_UNAUTHORIZED', 'the API key is not valid (unknown, revoked or malformed)');
      if (!scopeAllows(key.scopes, scope)) throw new ApiError('FM_ERR_FORBIDDEN', `this route needs scope ${scope}; the key has ${key.scopes.join(', ') || 'none'}`, { required: scope, granted: key.scopes });
      req.apiKey = key;
    });
  },
  { name: 'fleetmeter-auth', dependencies: ['fleetmeter-services'] },
);

/** The actor of a write (the authenticated key) for the audit trail. */
export function actorOf(req: FastifyRequest): { keyId: string; requestId: string } {
  return { keyId: req.apiKey?.keyId ?? 'anonymous', requestId: String(req.id) };
}
