/** Fastify type augmentation for the API's decorators and route config. */
import type { ApiKeyInfo, Scope } from '../api-keys.ts';
import type { ApiServices } from '../services/index.ts';

/** Every route declares one: a scope, or `public` (health, readiness, the OpenAPI document, docs). */
export const ROUTE_SCOPES = ['read', 'write', 'admin', 'public'] as const;
export type RouteScope = Scope | 'public';

declare module 'fastify' {
  interface FastifyInstance {
    services: ApiServices;
  }
  interface FastifyRequest {
    apiKey: ApiKeyInfo | null;
    /** The API key of the console session the request carries (console routes only; api/console/). */
    sessionKey: string | null;
  }
  interface FastifyContextConfig {
    scope?: RouteScope;
    /** The key comes from the console session, not from a header (api/console/). */
    session?: boolean;
  }
}
