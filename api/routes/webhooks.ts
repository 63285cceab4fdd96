/**
 * /v1/webhooks: subscriptions (admin scope: a subscription sends billing data to any URL, and
 * holds a secret), their delivery log and manual replay.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { plugin } from '../plugin.ts';
import { actorOf } from '../plugins/auth.ts';
import { responses } from '../schemas/common.ts';
import { Delivery, DeliveryDetail, DeliveryListQuery, DeliveryPage, DeliveryParams, ReplayBody, ReplayResult, Webhook, WebhookCreate, WebhookList, WebhookParams, WebhookPatch } from '../schemas/webhooks.ts';
import { WebhooksService } from '../services/webhooks.ts';

export const webhookRoutes = plugin(
  async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    const hooks = new WebhooksService(s.ops, s.events, s.audit, s.now);
    const tags = ['webhooks'];

    app.get('/v1/webhooks', { config: { scope: 'admin' }, schema: { tags, summary: 'Webhook subscriptions (never their secrets)', response: responses({ 200: WebhookList }) } }, async () => ({ items: await hooks.list() }));

    app.post(
      '/v1/webhooks',
      {
        config: { scope: 'admin' },
        schema: {
          tags,
          summary: 'Subscribe a URL to billing events',
          description:
            'Events published from now on are POSTed as `{"id","type","createdAt","data"}` with `Fleetmeter-Event-Id` (the same on every retry: dedupe on it) and ' +
            '`Fleetmeter-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. A 2xx answer is delivery; anything else is retried with exponential backoff (docs/billing.md).',
          body: WebhookCreate,
          response: responses({ 201: Webhook }, 422),
        },
      },
      async (req, reply) => {
        const w = await hooks.create(req.body, actorOf(req));
        return reply.code(201).header('location', `/v1/webhooks/${w.id}`).send(w);
      },
    );

    app.get('/v1/webhooks/:webhookId', { config: { scope: 'admin' }, schema: { tags, summary: 'One subscription', params: WebhookParams, response: responses({ 200: Webhook }, 404) } }, async (req) => hooks.get(req.params.webhookId));

    app.patch(
      '/v1/webhooks/:webhookId',
      { config: { scope: 'admin' }, schema: { tags, summary: 'Change URL, secret, types, or pause/resume (active)', params: WebhookParams, body: WebhookPatch, response: responses({ 200: Webhook }, 404) } },
      async (req) => hooks.patch(req.params.webhookId, req.body, actorOf(req)),
    );

    app.delete(
      '/v1/webhooks/:webhookId',
      { config: { scope: 'admin' }, schema: { tags, summary: 'Delete a subscription (its delivery log stays)', params: WebhookParams, response: responses({ 204: { type: 'null', description: 'deleted' } as never }, 404) } },
      async (req, reply) => {
        await hooks.remove(req.params.webhookId, actorOf(req));
        return reply.code(204).send();
      },
    );

    app.get(
      '/v1/webhooks/:webhookId/deliveries',
      { config: { scope: 'admin' }, schema: { tags, summary: 'Delivery log: one row per event, newest first, with attempts and the last error', params: WebhookParams, querystring: DeliveryListQuery, response: responses({ 200: DeliveryPage }, 404) } },
      async (req) => hooks.deliveries(req.params.webhookId, req.query),
    );

    app.get(
      '/v1/webhooks/:webhookId/deliveries/:eventId',
      { config: { scope: 'admin' }, schema: { tags, summary: 'One delivery with every attempt', params: DeliveryParams, response: responses({ 200: DeliveryDetail }, 404) } },
      async (req) => hooks.delivery(req.params.webhookId, req.params.eventId),
    );

    app.post(
      '/v1/webhooks/:webhookId/deliveries/:eventId/replay',
      {
        config: { scope: 'admin' },
        schema: { tags, summary: 'Send one event again (same id and body); the dispatcher takes it on its next pass', params: DeliveryParams, response: responses({ 202: Delivery }, 404, 422) },
      },
      async (req, reply) => reply.code(202).send(await hooks.replayOne(req.params.webhookId, req.params.eventId, actorOf(req))),
    );

    app.post(
      '/v1/webhooks/:webhookId/replay',
      {
        config: { scope: 'admin' },
        schema: { tags, summary: 'Send again the subscription\'s events after a change-feed cursor, a batch at a time', params: WebhookParams, body: ReplayBody, response: responses({ 202: ReplayResult }, 404, 422) },
      },
      async (req, reply) => reply.code(202).send(await hooks.replayAfter(req.params.webhookId, req.body.after, req.body.limit ?? 100, actorOf(req))),
    );
  },
  { name: 'fleetmeter-routes-webhooks', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
