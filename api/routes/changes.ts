/** GET /v1/changes (the change feed, read scope) and /v1/jobs (scheduled jobs, admin scope). */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { JobBusyError, UnknownJobError } from '../../billing/scheduler.ts';
import { conflict, notFound } from '../errors.ts';
import { plugin } from '../plugin.ts';
import { responses } from '../schemas/common.ts';
import { ChangePage, ChangesQuery, JobList, JobParams, JobRun, JobRunList } from '../schemas/webhooks.ts';
import { jobView, runView, WebhooksService } from '../services/webhooks.ts';

export const changeRoutes = plugin(
  async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    const hooks = new WebhooksService(s.ops, s.events, s.audit, s.now);

    app.get(
      '/v1/changes',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['changes'],
          summary: 'Every billing-relevant change in order, for incremental pull (1C exchange)',
          description:
            'Billing events and configuration changes (audit.<action>: accounts, devices, tariffs), oldest first. Keep `nextCursor` and ask again with `after=<it>`: ' +
            'after any failure, resume from the last cursor stored. Changes appear a few seconds after they happen (settle delay), so none is skipped.',
          querystring: ChangesQuery,
          response: responses({ 200: ChangePage }),
        },
      },
      async (req) => hooks.changes(req.query),
    );

    app.get('/v1/jobs', { config: { scope: 'admin' }, schema: { tags: ['admin'], summary: 'Scheduled jobs: last run, result, and which instance holds the lease', response: responses({ 200: JobList }) } }, async () => ({
      items: (await s.ops.scheduler.states()).map((j) => jobView(j, s.now())),
    }));

    app.get(
      '/v1/jobs/:name/runs',
      { config: { scope: 'admin' }, schema: { tags: ['admin'], summary: 'Recent runs of a job, newest first', params: JobParams, response: responses({ 200: JobRunList }, 404) } },
      async (req) => {
        if (!s.ops.scheduler.has(req.params.name)) throw notFound('job', req.params.name);
        return { items: (await s.ops.scheduler.runs.list(req.params.name, 50)).map(runView) };
      },
    );

    app.post(
      '/v1/jobs/:name/run',
      {
        config: { scope: 'admin' },
        schema: { tags: ['admin'], summary: 'Run a job now on this instance (it is idempotent); 409 while another instance holds it', params: JobParams, response: responses({ 200: JobRun }, 404, 409) },
      },
      async (req) => {
        try {
          return runView(await s.ops.scheduler.trigger(req.params.name));
        } catch (err) {
          if (err instanceof UnknownJobError) throw notFound('job', req.params.name);
          if (err instanceof JobBusyError) throw conflict(err.message, { owner: err.lease.owner, expiresAt: new Date(err.lease.expiresAt).toISOString() });
          throw err;
        }
      },
    );
  },
  { name: 'fleetmeter-routes-changes', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
