/**
 * The OpenAPI 3 document, generated from the route schemas (the same TypeBox schemas that
 * validate requests and serialize responses), at /openapi.json, and a browsable page at /docs.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { plugin } from '../plugin.ts';

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
        components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'fmk_<keyId>_<secret>' } } },
        tags: [
          { name: 'accounts' },
          { name: 'devices' },
          { name: 'tariffs' },
          { name: 'usage' },
          { name: 'statements' },
          { name: 'fleet' },
          { name: 'records' },
          { name: 'reconcile' },
          { name: 'webhooks' },
          { name: 'changes' },
          { name: 'admin' },
          { name: 'health' },
        ],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
    app.get('/openapi.json', { config: { scope: 'public' }, schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'fleetmeter-openapi', dependencies: ['fleetmeter-auth'] },
);
