/** Automatic suspension: state, decision log, manual override, an on-demand evaluation. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { plugin } from '../plugin.ts';
import { actorOf } from '../plugins/auth.ts';
import { AccountParams } from '../schemas/accounts.ts';
import { DecisionListQuery, DecisionPage, EvaluateBody, EvaluateResult, OverrideCleared, OverrideCreate, OverrideResult, SuspensionStatus } from '../schemas/billing.ts';
import { responses } from '../schemas/common.ts';

export const suspensionRoutes = plugin(
  async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    const tags = ['suspension'];

    app.get(
      '/v1/accounts/:accountId/suspension',
      { config: { scope: 'read' }, schema: { tags, summary: 'Suspension state (active, warning, suspended), mode and the override in force', params: AccountParams, response: responses({ 200: SuspensionStatus }, 404) } },
      async (req) => s.billing.status(req.params.accountId),
    );

    app.get(
      '/v1/accounts/:accountId/suspension-decisions',
      {
        config: { scope: 'read' },
        schema: { tags, summary: 'Every suspension decision of an account with its reason in words and figures (newest first)', params: AccountParams, querystring: DecisionListQuery, response: responses({ 200: DecisionPage }, 404) },
      },
      async (req) => s.billing.decisions(req.params.accountId, req.query),
    );

    app.post(
      '/v1/accounts/:accountId/suspension-override',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Set a manual override: it beats the policy until it expires',
          description: 'state active keeps the account active (and lifts a suspension at once); suspended suspends it at once. Replaces an override in force. expiresAt must be in the future (400).',
          params: AccountParams,
          body: OverrideCreate,
          response: responses({ 201: OverrideResult }, 404, 422),
        },
      },
      async (req, reply) => reply.code(201).send(await s.billing.setOverride(req.params.accountId, req.body, actorOf(req))),
    );

    app.delete(
      '/v1/accounts/:accountId/suspension-override',
      {
        config: { scope: 'write' },
        schema: { tags, summary: 'Clear the override in force: the policy applies again at once', params: AccountParams, response: responses({ 200: OverrideCleared }, 404) },
      },
      async (req) => s.billing.clearOverride(req.params.accountId, actorOf(req)),
    );

    app.post(
      '/v1/billing/suspension/evaluate',
      {
        // write: the billing system (1C) that posts payments and closes periods may apply the policy at once.
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Run the suspension policy now (for every account, or one); what the schedule runs',
          body: EvaluateBody,
          response: responses({ 200: EvaluateResult }, 404),
        },
      },
      async (req) => s.billing.evaluate(req.body.accountId),
    );
  },
  { name: 'fleetmeter-routes-suspension', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
