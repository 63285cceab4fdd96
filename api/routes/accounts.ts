/** /v1/accounts: the provider's customers. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { plugin } from '../plugin.ts';
import { actorOf } from '../plugins/auth.ts';
import { Account, AccountCreate, AccountListQuery, AccountPage, AccountParams, AccountPatch } from '../schemas/accounts.ts';
import { responses } from '../schemas/common.ts';

export const accountRoutes = plugin(
  async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    const tags = ['accounts'];

    app.get(
      '/v1/accounts',
      { config: { scope: 'read' }, schema: { tags, summary: 'List accounts', querystring: AccountListQuery, response: responses({ 200: AccountPage }) } },
      async (req) => {
        const { limit, cursor, sort, ...filter } = req.query;
        return s.accounts.list(filter, { limit, cursor, sort });
      },
    );

    app.post(
      '/v1/accounts',
      { config: { scope: 'write' }, schema: { tags, summary: 'Create an account (rating account and API profile)', body: AccountCreate, response: responses({ 201: Account }, 409, 422) } },
      async (req, reply) => {
        const a = await s.accounts.create(req.body, actorOf(req));
        return reply.code(201).header('location', `/v1/accounts/${encodeURIComponent(a.id)}`).send(a);
      },
    );

    app.get(
      '/v1/accounts/:accountId',
      { config: { scope: 'read' }, schema: { tags, summary: 'One account', params: AccountParams, response: responses({ 200: Account }, 404) } },
      async (req) => s.accounts.get(req.params.accountId),
    );

    app.patch(
      '/v1/accounts/:accountId',
      {
        config: { scope: 'write' },
        schema: { tags, summary: 'Change an account (time zone and currency only while no period is closed)', params: AccountParams, body: AccountPatch, response: responses({ 200: Account }, 404, 409) },
      },
      async (req) => s.accounts.patch(req.params.accountId, req.body, actorOf(req)),
    );
  },
  { name: 'fleetmeter-routes-accounts', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
