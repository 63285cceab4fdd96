/**
 * Request metrics (count and latency by route, method and status), served at /metrics (scope
 * read) together with the gateway's metrics when the API runs in `fleetmeter serve`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
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
    // Names and types as promtool checks them (test/metrics-lint.test.ts): a running count is a
    // counter ending in _total; a unit suffix only for base units (no "days").
    new Counter({
      name: 'fleetmeter_api_usage_cache_hits_total',
      help: 'Device usage responses served from the response cache',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(s.usage.hits);
      },
    });
    new Gauge({
      name: 'fleetmeter_api_presence_cache_entries',
      help: 'Entries in the presence read cache, one per device and UTC day',
      registers: [registry],
      collect() {
        this.set(s.live.presenceCache.stats().deviceDays);
      },
    });
    const merged = Registry.merge([registry, ...(opts.registries ?? [])]);

    // Per route, label-bound children made once: an observation is a few additions.
    app.addHook('onRoute', (route: RouteOptions) => {
      const url = route.url ?? 'unknown';
      const byMethod = new Map<string, { latency: ReturnType<typeof latency.labels>; status: Map<number, ReturnType<typeof requests.labels>> }>();
      const hook = (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
        let m = byMethod.get(req.method);
        if (m === undefined) byMethod.set(req.method, (m = { latency: latency.labels(req.method, url), status: new Map() }));
        let c = m.status.get(reply.statusCode);
        if (c === undefined) m.status.set(reply.statusCode, (c = requests.labels(req.method, url, String(reply.statusCode))));
        c.inc();
        m.latency.observe(reply.elapsedTime / 1000);
        done();
      };
      route.onResponse = [...(route.onResponse === undefined ? [] : Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse]), hook as never];
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
