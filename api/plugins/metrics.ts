/**
 * Request metrics (count and latency by route, method and status), served at /metrics (scope
 * read) together with the gateway's metrics when the API runs in `fleetmeter serve`.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Type } from 'typebox';
import { plugin } from '../plugin.ts';

export interface ApiMetricsOptions {
  /** Other registries to expose on the same endpoint (the gateway's). */
  readonly registries?: readonly Registry[];
}

export const metricsPlugin = plugin<ApiMetricsOptions>(
  async (app: FastifyInstance, opts) => {
    const registry = new Registry();
    const labels = ['method', 'route', 'status'] as const;
    const requests = new Counter({ name: 'fleetmeter_api_requests_total', help: 'API requests by route and status', labelNames: labels, registers: [registry] });
    const latency = new Histogram({
      name: 'fleetmeter_api_request_seconds',
      help: 'API request latency',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const s = app.services;
    new Gauge({
      name: 'fleetmeter_api_usage_cache_hits_total',
      help: 'Device usage responses served from the response cache',
      registers: [registry],
      collect() {
        this.set(s.usage.hits);
      },
    });
    new Gauge({
      name: 'fleetmeter_api_presence_cache_device_days',
      help: 'Device-days in the presence read cache',
      registers: [registry],
      collect() {
        this.set(s.live.presenceCache.stats().deviceDays);
      },
    });
    const merged = Registry.merge([registry, ...(opts.registries ?? [])]);

    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unknown';
      requests.inc({ method: req.method, route, status: reply.statusCode });
      latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    });

    app.get(
      '/metrics',
      { config: { scope: 'read' }, schema: { tags: ['health'], summary: 'Prometheus metrics (API and, in serve, the gateway)', response: { 200: Type.String() } } },
      async (_req, reply) => {
        reply.header('content-type', merged.contentType);
        return merged.metrics();
      },
    );
  },
  { name: 'fleetmeter-metrics', dependencies: ['fleetmeter-services', 'fleetmeter-auth'] },
);
