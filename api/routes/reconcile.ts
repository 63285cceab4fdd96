/** Run a reconcile for an account-period and return the report. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { plugin } from '../plugin.ts';
import { AccountParams } from '../schemas/accounts.ts';
import { responses } from '../schemas/common.ts';
import { ReconcileBody, ReconcileReport } from '../schemas/reconcile.ts';

export const reconcileRoutes = plugin(
  async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;

    app.post(
      '/v1/accounts/:accountId/reconcile',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['reconcile'],
          summary: 'Recompute the period from raw records and compare with stored presence and the statement; optionally repair stored presence',
          description: '`ok` is true when stored presence matches the records bit for bit and no statement line would change. Reads every record of the account\'s devices in the period: run it as a job, not in a loop.',
          params: AccountParams,
          body: ReconcileBody,
          response: responses({ 200: ReconcileReport }, 404, 422),
        },
      },
      async (req) => s.reconcile.run(req.params.accountId, req.body.period, req.body.repair === true),
    );
  },
  { name: 'fleetmeter-routes-reconcile', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
