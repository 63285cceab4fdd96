/**
 * The fastify app, built in layers — external (errors, services), app services (auth, OpenAPI,
 * idempotency, metrics), then routes — each a named plugin with declared dependencies.
 */
import { randomUUID } from 'node:crypto';
import { registerAjvFormats, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type ConsoleOptions, consolePlugin } from './console/plugin.ts';
import { authPlugin } from './plugins/auth.ts';
import { errorsPlugin } from './plugins/errors.ts';
import { idempotencyPlugin } from './plugins/idempotency.ts';
import { metricsPlugin } from './plugins/metrics.ts';
import { openapiPlugin } from './plugins/openapi.ts';
import { servicesPlugin } from './plugins/services.ts';
import './plugins/types.ts';
import { accountRoutes } from './routes/accounts.ts';
import { adminRoutes } from './routes/admin.ts';
import { changeRoutes } from './routes/changes.ts';
import { deviceRoutes } from './routes/devices.ts';
import { fleetRoutes } from './routes/fleet.ts';
import { healthRoutes } from './routes/health.ts';
import { paymentRoutes } from './routes/payments.ts';
import { reconcileRoutes } from './routes/reconcile.ts';
import { recordRoutes } from './routes/records.ts';
import { statementRoutes } from './routes/statements.ts';
import { suspensionRoutes } from './routes/suspension.ts';
import { tariffRoutes } from './routes/tariffs.ts';
import { usageRoutes } from './routes/usage.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import type { ApiServices } from './services/index.ts';
import { validatorCompiler } from './validator.ts';

export interface AppOptions {
  readonly logger: Logger;
  /** Migration ids /ready requires (all of the process's). */
  readonly migrations: readonly string[];
  /** Registries exposed at /metrics next to the API's own (the gateway's). */
  readonly metricsRegistries?: readonly Registry[];
  /** Largest request body (bytes). Default 1 MiB. */
  readonly bodyLimit?: number;
  /** The staff console at /console/ (sessions: idle and absolute lifetime). */
  readonly console?: ConsoleOptions;
}

let formatsRegistered = false;

export async function buildApp(services: ApiServices, options: AppOptions): Promise<FastifyInstance> {
  if (!formatsRegistered) {
    registerAjvFormats();
    formatsRegistered = true;
  }
  const app = Fastify({
    loggerInstance: options.logger,
    // No per-request lines (tens of thousands a second); errors and writes are logged/audited.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
  })
    .withTypeProvider<TypeBoxTypeProvider>()
    .setValidatorCompiler(validatorCompiler);

  // 1. external: error shape, the services every route uses
  await app.register(errorsPlugin);
  await app.register(servicesPlugin, { services });
  // 2. app services: auth first (its onRoute check must see every later route), then the rest
  await app.register(authPlugin);
  await app.register(openapiPlugin);
  await app.register(idempotencyPlugin);
  await app.register(metricsPlugin, { registries: options.metricsRegistries });
  // 3. routes
  await app.register(healthRoutes, { migrations: options.migrations });
  await app.register(accountRoutes);
  await app.register(deviceRoutes);
  await app.register(tariffRoutes);
  await app.register(usageRoutes);
  await app.register(statementRoutes);
  await app.register(fleetRoutes);
  await app.register(recordRoutes);
  await app.register(reconcileRoutes);
  await app.register(adminRoutes);
  await app.register(paymentRoutes);
  await app.register(suspensionRoutes);
  await app.register(webhookRoutes);
  await app.register(changeRoutes);
  await app.register(consolePlugin, options.console ?? {});
  await app.ready();
  return app as unknown as FastifyInstance;
}
