/** Starts the REST API on its own port, on the services app/ built (`fleetmeter serve`). */
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from './app.ts';
import { type ApiDeps, ApiServices } from './services/index.ts';

export interface ApiServer {
  readonly app: FastifyInstance;
  readonly services: ApiServices;
  readonly port: number;
  close(): Promise<void>;
}

/** Builds the API's services and the app; `listen: null` for an app used through `inject` only. Closing leaves the shared services to app/. */
export async function startApi(deps: ApiDeps & AppOptions, listen: { host: string; port: number } | null): Promise<ApiServer> {
  const services = new ApiServices(deps);
  await services.start();
  let app: FastifyInstance;
  try {
    app = await buildApp(services, deps);
    if (listen !== null) await app.listen({ host: listen.host, port: listen.port });
  } catch (err) {
    services.stop();
    throw err;
  }
  const addr = app.server.address();
  return {
    app,
    services,
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    async close() {
      await app.close();
      services.stop();
    },
  };
}
