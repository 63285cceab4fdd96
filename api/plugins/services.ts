/** Makes the API's services (store, rating, caches, repositories) available to every route. */
import type { FastifyInstance } from 'fastify';
import { plugin } from '../plugin.ts';
import type { ApiServices } from '../services/index.ts';

export const servicesPlugin = plugin<{ services: ApiServices }>(
  async (app: FastifyInstance, opts) => {
    app.decorate('services', opts.services);
  },
  { name: 'fleetmeter-services' },
);
