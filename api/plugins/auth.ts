/**
 * API keys and scopes. Enforced at registration: a route that declares no `config.scope` (read,
 * write, admin — admin ⊇ write ⊇ read — or an explicit `public`) makes `fastify.ready()` throw,
 * so no endpoint is open by accident. Only health, readiness, the OpenAPI document and the docs
 * page are public (and `/`, a redirect to the staff console). At request time: no/invalid key → 401, a key without the scope → 403.
 * Keys come as `Authorization: Bearer fmk_…` (or `X-Api-Key: fmk_…`). Routes that declare
 * `config.session: true` (the staff console) take the key from the console's server-side session
 * instead (`req.sessionKey`, set by the console's onRequest hook) and never from a header: the same
 * check, the same scopes.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { authorizeKey, presentedKey, type Scope } from '../api-keys.ts';
import { ApiError } from '../errors.ts';
import { plugin } from '../plugin.ts';
import { ROUTE_SCOPES, type RouteScope } from './types.ts';

/** Routes other plugins register (the docs UI) that are public by name. */
export const PUBLIC_PREFIXES = ['/docs'] as const;
export const PUBLIC_ROUTES = ['/', '/health', '/ready', '/openapi.json', '/console/login', '/console/assets/console.css', '/console/assets/console.js'] as const;

/**
 * The onRequest check of one scope, on the key the headers present or (`fromSession`, the console)
 * the key of the console session. Callback style, no promise per request.
 */
function scopeCheck(app: FastifyInstance, scope: Scope, fromSession: boolean) {
  return (req: FastifyRequest, _reply: unknown, done: (err?: Error) => void) => {
    const keys = app.services.keys;
    const key = fromSession ? authorizeKey(keys, req.sessionKey, scope, 'sign in to the console first') : authorizeKey(keys, presentedKey(req.headers), scope);
    if (key instanceof ApiError) return done(key);
    req.apiKey = key;
    done();
  };
}

export const authPlugin = plugin(
  async (app: FastifyInstance) => {
    app.decorateRequest('apiKey', null);
    app.decorateRequest('sessionKey', null);
    app.addHook('onRoute', (route: RouteOptions) => {
      const url = route.url ?? '';
      const config = (route.config ?? {}) as { scope?: RouteScope; session?: boolean };
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
      if (config.scope !== 'public') {
        // Each protected route gets its own check, bound to its scope (no per-request lookups).
        const check = scopeCheck(app, config.scope, config.session === true);
        route.onRequest = [check as never, ...(route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest])];
      }
      if (config.scope !== 'public' && route.schema && (route.schema as { 'x-scope'?: string })['x-scope'] === undefined) {
        // OpenAPI: the key and the scope each operation needs. Once per schema: the HEAD route
        // fastify adds to a GET shares its schema object.
        const s = route.schema as { security?: unknown; description?: string };
        s.security = [{ apiKey: [] }];
        s.description = `${s.description ? `${s.description}\n\n` : ''}Scope: \`${config.scope}\`.`;
        (s as { 'x-scope'?: string })['x-scope'] = config.scope;
      }
    });
  },
  { name: 'fleetmeter-auth', dependencies: ['fleetmeter-services'] },
);

/** The actor of a write (the authenticated key) for the audit trail. */
export function actorOf(req: FastifyRequest): { keyId: string; requestId: string } {
  return { keyId: req.apiKey?.keyId ?? 'anonymous', requestId: String(req.id) };
}
