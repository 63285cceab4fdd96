/** Admin: the audit trail and API keys (keys are created by `fleetmeter apikey create`). */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { notFound } from '../errors.ts';
import { plugin } from '../plugin.ts';
import { actorOf } from '../plugins/auth.ts';
import { ApiKeyInfo, ApiKeyList, AuditListQuery, AuditPage } from '../schemas/audit.ts';
import { responses } from '../schemas/common.ts';

const keyView = (k: { keyId: string; name: string; scopes: readonly ('read' | 'write' | 'admin')[]; createdAt: number; revoked: boolean }) => ({
  keyId: k.keyId,
  name: k.name,
  scopes: [...k.scopes],
  createdAt: new Date(k.createdAt).toISOString(),
  revoked: k.revoked,
});

export const adminRoutes = plugin(
  async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    const tags = ['admin'];

    app.get(
      '/v1/audit',
      { config: { scope: 'admin' }, schema: { tags, summary: 'Who changed what, when (newest first)', querystring: AuditListQuery, response: responses({ 200: AuditPage }) } },
      async (req) => {
        const { limit, cursor, sort, ...filter } = req.query;
        return s.audit.list(filter, { limit, cursor, sort });
      },
    );

    app.get(
      '/v1/api-keys',
      { config: { scope: 'admin' }, schema: { tags, summary: 'API keys (never their secrets)', response: responses({ 200: ApiKeyList }) } },
      async () => ({ items: s.keys.list().map(keyView) }),
    );

    app.delete(
      '/v1/api-keys/:keyId',
      {
        config: { scope: 'admin' },
        schema: { tags, summary: 'Revoke a key (effective on every instance within ~1 s)', params: Type.Object({ keyId: Type.String({ pattern: '^[0-9a-f]{16}$' }) }), response: responses({ 200: ApiKeyInfo }, 404) },
      },
      async (req) => {
        const before = s.keys.list().find((k) => k.keyId === req.params.keyId);
        if (before === undefined || !(await s.keys.revoke(req.params.keyId))) throw notFound('API key', req.params.keyId);
        const after = s.keys.list().find((k) => k.keyId === req.params.keyId)!;
        await s.audit.record(actorOf(req), 'apikey.revoke', 'api-key', req.params.keyId, keyView(before), keyView(after));
        return keyView(after);
      },
    );
  },
  { name: 'fleetmeter-routes-admin', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
