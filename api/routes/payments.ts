/** Payments and balances: /v1/accounts/{id}/payments, …/reversal, /v1/accounts/{id}/balance. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { plugin } from '../plugin.ts';
import { actorOf } from '../plugins/auth.ts';
import { AccountParams } from '../schemas/accounts.ts';
import { Balance, Payment, PaymentCreate, PaymentListQuery, PaymentPage, PaymentParams, ReversalCreate } from '../schemas/billing.ts';
import { responses } from '../schemas/common.ts';

export const paymentRoutes = plugin(
  async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    const tags = ['payments'];

    app.post(
      '/v1/accounts/:accountId/payments',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Post a payment (idempotent on externalId)',
          description:
            'Allocated to closed statements oldest first. The same externalId with the same body answers 200 with the payment already recorded; with another body 409. The currency must be the account\'s (409). The suspension policy is evaluated at once: a payment that clears the overdue amount reactivates the account.',
          params: AccountParams,
          body: PaymentCreate,
          response: responses({ 200: Payment, 201: Payment }, 404, 409, 422),
        },
      },
      async (req, reply) => {
        const r = await s.billing.postPayment(req.params.accountId, req.body, actorOf(req));
        return reply
          .code(r.created ? 201 : 200)
          .header('location', `/v1/accounts/${encodeURIComponent(req.params.accountId)}/payments/${r.payment.id}`)
          .send(r.payment);
      },
    );

    app.get(
      '/v1/accounts/:accountId/payments',
      {
        config: { scope: 'read' },
        schema: { tags, summary: 'Payments of an account, reversed ones included (newest value date first)', params: AccountParams, querystring: PaymentListQuery, response: responses({ 200: PaymentPage }, 404) },
      },
      async (req) => {
        const { limit, cursor, sort, ...filter } = req.query;
        return s.billing.listPayments(req.params.accountId, filter, { limit, cursor, sort });
      },
    );

    app.get(
      '/v1/accounts/:accountId/payments/:paymentId',
      { config: { scope: 'read' }, schema: { tags, summary: 'One payment', params: PaymentParams, response: responses({ 200: Payment }, 404) } },
      async (req) => s.billing.payment(req.params.accountId, req.params.paymentId),
    );

    app.post(
      '/v1/accounts/:accountId/payments/:paymentId/reversal',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Reverse a payment (idempotent)',
          description: 'The payment then counts for nothing; allocation and the suspension policy are recomputed at once. Again with the same reason: 200; with another reason: 409.',
          params: PaymentParams,
          body: ReversalCreate,
          response: responses({ 200: Payment, 201: Payment }, 404, 409, 422),
        },
      },
      async (req, reply) => {
        const r = await s.billing.reversePayment(req.params.accountId, req.params.paymentId, req.body.reason, actorOf(req));
        return reply.code(r.created ? 201 : 200).send(r.payment);
      },
    );

    app.get(
      '/v1/accounts/:accountId/balance',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'Balance and each closed statement\'s payment state (unpaid, partially_paid, paid, overdue)',
          description: 'Recomputed from the payment list on every call: billed (closed statements), paid, balance, overdue, credit, and per statement its due date, paid amount, what remains and which payments paid it.',
          params: AccountParams,
          response: responses({ 200: Balance }, 404),
        },
      },
      async (req) => s.billing.balance(req.params.accountId),
    );
  },
  { name: 'fleetmeter-routes-payments', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
