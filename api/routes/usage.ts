/** Live usage: /v1/devices/:id/usage and /v1/accounts/:id/usage. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { plugin } from '../plugin.ts';
import { AccountParams } from '../schemas/accounts.ts';
import { responses } from '../schemas/common.ts';
import { DeviceParams } from '../schemas/devices.ts';
import { AccountUsage, DeviceUsage, UsageQuery } from '../schemas/usage.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

export const usageRoutes = plugin(
  async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    const tags = ['usage'];

    app.get(
      '/v1/devices/:deviceId/usage',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'Live usage of a device: online minutes, billable units per tariff version, per-unit estimate',
          description: 'Fresh as soon as a record is committed. Defaults to the current month in the zone of the device\'s account. Per account the device was on in the range.',
          params: DeviceParams,
          querystring: UsageQuery,
          response: responses({ 200: DeviceUsage }, 404, 409),
        },
      },
      async (req, reply) => reply.type(JSON_TYPE).send((await s.usage.deviceUsageBody(req.params.deviceId, req.query)) as never),
    );

    app.get(
      '/v1/accounts/:accountId/usage',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'Live usage of an account: minutes, units and money so far (the range rated as a draft)',
          params: AccountParams,
          querystring: UsageQuery,
          response: responses({ 200: AccountUsage }, 404, 409),
        },
      },
      async (req) => s.usage.accountUsage(req.params.accountId, req.query),
    );
  },
  { name: 'fleetmeter-routes-usage', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
