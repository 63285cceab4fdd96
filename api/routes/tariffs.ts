/** /v1/tariffs and /v1/accounts/:id/tariff-assignments. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { plugin } from '../plugin.ts';
import { actorOf } from '../plugins/auth.ts';
import { AccountParams } from '../schemas/accounts.ts';
import { responses } from '../schemas/common.ts';
import {
  Tariff,
  TariffAssignmentCreate,
  TariffAssignmentListQuery,
  TariffAssignmentPage,
  TariffAssignmentResult,
  TariffCreate,
  TariffListQuery,
  TariffPage,
  TariffParams,
  TariffVersion,
  VersionCreate,
  VersionParams,
  VersionResult,
} from '../schemas/tariffs.ts';

export const tariffRoutes = plugin(
  async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    const tags = ['tariffs'];

    app.get(
      '/v1/tariffs',
      { config: { scope: 'read' }, schema: { tags, summary: 'List tariffs with their versions', querystring: TariffListQuery, response: responses({ 200: TariffPage }) } },
      async (req) => {
        const { limit, cursor, sort, ...filter } = req.query;
        return s.tariffs.list(filter, { limit, cursor, sort });
      },
    );

    app.post(
      '/v1/tariffs',
      { config: { scope: 'write' }, schema: { tags, summary: 'Create a tariff with its version 1', body: TariffCreate, response: responses({ 201: Tariff }, 409, 422) } },
      async (req, reply) => {
        const t = await s.tariffs.create(req.body, actorOf(req));
        return reply.code(201).header('location', `/v1/tariffs/${encodeURIComponent(t.id)}`).send(t);
      },
    );

    app.get(
      '/v1/tariffs/:tariffId',
      { config: { scope: 'read' }, schema: { tags, summary: 'One tariff with every version', params: TariffParams, response: responses({ 200: Tariff }, 404) } },
      async (req) => s.tariffs.get(req.params.tariffId),
    );

    app.post(
      '/v1/tariffs/:tariffId/versions',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Add an immutable version (a change mid-period splits the period)',
          description: 'The next number by default. An existing number with the same content is a no-op (200); with other content 409. An effective date on or before the latest version\'s, or inside a closed period of an account using the tariff, is 409 unless `correction: true`.',
          params: TariffParams,
          body: VersionCreate,
          response: responses({ 200: VersionResult, 201: VersionResult }, 404, 409, 422),
        },
      },
      async (req, reply) => {
        const r = await s.tariffs.addVersion(req.params.tariffId, req.body, actorOf(req));
        return reply.code(r.result === 'created' ? 201 : 200).send(r as never);
      },
    );

    app.get(
      '/v1/tariffs/:tariffId/versions/:version',
      { config: { scope: 'read' }, schema: { tags, summary: 'One tariff version', params: VersionParams, response: responses({ 200: TariffVersion }, 404) } },
      async (req) => s.tariffs.version(req.params.tariffId, req.params.version),
    );

    app.get(
      '/v1/accounts/:accountId/tariff-assignments',
      {
        config: { scope: 'read' },
        schema: { tags, summary: 'Tariff assignments of an account (account level and device overrides)', params: AccountParams, querystring: TariffAssignmentListQuery, response: responses({ 200: TariffAssignmentPage }, 404) },
      },
      async (req) => {
        const { limit, cursor, sort, ...filter } = req.query;
        return s.tariffs.assignments(req.params.accountId, filter, { limit, cursor, sort });
      },
    );

    app.post(
      '/v1/accounts/:accountId/tariff-assignments',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Put the account (or one of its devices) on a tariff from a local date',
          description: 'Appends to the history of that key; a date on or before an existing entry, or inside a closed period, is 409 unless `correction: true`. The tariff must be priced in the account\'s currency.',
          params: AccountParams,
          body: TariffAssignmentCreate,
          response: responses({ 200: TariffAssignmentResult, 201: TariffAssignmentResult }, 404, 409, 422),
        },
      },
      async (req, reply) => {
        const r = await s.tariffs.assign(req.params.accountId, req.body, actorOf(req));
        return reply.code(r.result === 'created' ? 201 : 200).send(r);
      },
    );
  },
  { name: 'fleetmeter-routes-tariffs', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
