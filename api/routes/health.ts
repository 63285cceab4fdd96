/** Liveness, readiness (storage reachable, migrations applied, configuration loaded). Public. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { plugin } from '../plugin.ts';

const Ready = Type.Object({ status: Type.Enum(['ready', 'not ready']), checks: Type.Object({ storage: Type.String(), migrations: Type.String(), configuration: Type.String() }) });

export interface HealthOptions {
  /** Migration ids that must be applied for /ready to say ready. */
  readonly migrations: readonly string[];
}

export const healthRoutes = plugin<HealthOptions>(
  async (fastify: FastifyInstance, opts) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    let cached: { at: number; ok: boolean; body: { status: 'ready' | 'not ready'; checks: { storage: string; migrations: string; configuration: string } } } | null = null;

    app.get(
      '/health',
      { config: { scope: 'public' }, schema: { tags: ['health'], summary: 'Liveness: the process serves requests', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/ready',
      {
        config: { scope: 'public' },
        schema: { tags: ['health'], summary: 'Readiness: storage reachable, migrations applied, configuration loaded (checked at most once a second)', response: { 200: Ready, 503: Ready } },
      },
      async (_req, reply) => {
        const now = Date.now();
        if (cached === null || now - cached.at > 1000) {
          const ping = await s.store.ping();
          let migrations = 'not checked';
          let migrationsOk = false;
          if (ping.ok) {
            try {
              const done = new Set((await s.store.query<{ id: string }>('SELECT DISTINCT id FROM schema_migrations')).map((r) => r.id));
              const missing = opts.migrations.filter((id) => !done.has(id));
              migrationsOk = missing.length === 0;
              migrations = migrationsOk ? `${opts.migrations.length} applied` : `pending: ${missing.join(', ')}`;
            } catch (err) {
              migrations = `unreadable: ${(err as Error).message.slice(0, 200)}`;
            }
          }
          const snap = s.snapshots.current();
          const ok = ping.ok && migrationsOk && snap !== null;
          cached = {
            at: now,
            ok,
            body: {
              status: ok ? 'ready' : 'not ready',
              checks: {
                storage: ping.ok ? `${s.store.backend} reachable` : `unreachable: ${ping.error.slice(0, 200)}`,
                migrations,
                configuration: snap === null ? 'not loaded' : `loaded ${new Date(snap.loadedAt).toISOString()}`,
              },
            },
          };
        }
        return reply.code(cached.ok ? 200 : 503).send(cached.body);
      },
    );
  },
  { name: 'fleetmeter-routes-health', dependencies: ['fleetmeter-services', 'fleetmeter-auth'], encapsulate: true },
);
