/**
 * The OpenAPI 3 document, generated from the route schemas (the same TypeBox schemas that
 * validate requests and serialize responses), at /openapi.json, and a browsable page at /docs;
 * `GET /` redirects to the page. What the document adds to the route schemas (operation ids,
 * shared components, examples, error responses) is in api/schemas/openapi.ts; the checks it
 * passes are test/openapi-lint.test.ts.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { plugin } from '../plugin.ts';
import { componentSchemas, finishDocument } from '../schemas/openapi.ts';
import { PUBLIC_ROUTES } from './auth.ts';

export const API_VERSION = '1.0.0';

export const openapiPlugin = plugin(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'fleetmeter API',
          version: API_VERSION,
          description:
            'Registry, live usage, statements and fleet health for billing systems (1C:Enterprise HTTP services, scripts, billing staff). ' +
            'Every route under /v1 needs an API key (`Authorization: Bearer fmk_…`, created with `fleetmeter apikey create`) with the scope it names. ' +
            'Errors are `{ statusCode, code, message, details?, errorId? }` with stable codes. Lists take `limit`, `cursor` and `sort` and return `{ items, nextCursor }`. ' +
            'POSTs accept an `Idempotency-Key` header.',
        },
        servers: [{ url: '/', description: 'this server (the document is served by the API it describes)' }],
        components: {
          securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'fmk_<keyId>_<secret>, created with `fleetmeter apikey create`' } },
          schemas: componentSchemas() as never,
        },
        tags: [
          { name: 'accounts', description: 'the provider\'s customers' },
          { name: 'devices', description: 'the device registry, account assignments, discovered devices' },
          { name: 'tariffs', description: 'tariffs, immutable versions, tariff assignments' },
          { name: 'usage', description: 'live usage: minutes, units, money so far' },
          { name: 'statements', description: 'statements (JSON, CSV), closing periods, the billing run' },
          { name: 'payments', description: 'payments, reversals, balances (docs/billing.md)' },
          { name: 'suspension', description: 'automatic suspension for non-payment, overrides (docs/billing.md)' },
          { name: 'fleet', description: 'fleet health: online, silent, unbilled' },
          { name: 'records', description: 'stored records with their raw frames' },
          { name: 'reconcile', description: 'recompute a period from raw records' },
          { name: 'webhooks', description: 'signed event delivery (docs/billing.md)' },
          { name: 'changes', description: 'the change feed for exchange jobs' },
          { name: 'admin', description: 'audit trail, API keys, scheduled jobs' },
          { name: 'health', description: 'liveness, readiness, metrics' },
        ],
      },
      transformObject: (d) => finishDocument((d as { openapiObject: never }).openapiObject, { publicPaths: new Set<string>(PUBLIC_ROUTES) }) as never,
    });
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
    app.get('/openapi.json', { config: { scope: 'public' }, schema: { hide: true } }, async () => app.swagger());
    // The root lands on the staff console (the docs are at /docs).
    app.get('/', { config: { scope: 'public' }, schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/', 302));
  },
  { name: 'fleetmeter-openapi', dependencies: ['fleetmeter-auth'] },
);
