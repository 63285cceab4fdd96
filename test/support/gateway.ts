/** Starts a real gateway (real sockets, real ClickHouse) on ephemeral ports for a test. */
import pino from 'pino';
import { ApiKeys } from '../../api/api-keys.ts';
import { adminKeysOf } from '../../app/services.ts';
import { allMigrations } from '../../cli/runtime.ts';
import { startGateway, type Gateway, type GatewayOptions } from '../../ingest/gateway.ts';
import type { BatchDeriver, RecordSink } from '../../ingest/pipeline.ts';
import { migrate } from '../../store/migrate.ts';
import type { Store } from '../../store/types.ts';

export const testGatewayOptions: GatewayOptions = {
  host: '127.0.0.1',
  teltonikaTcp: 0,
  teltonikaUdp: 0,
  wialonTcp: 0,
  wialonUdp: 0,
  adminHost: '127.0.0.1',
  adminPort: 0,
  unknownDevices: 'accept',
  idleTimeoutMs: 30_000,
  maxFrameBytes: 65_536,
  maxConnections: 1000,
  connectionsPerAddress: 0,
  maxInFlightPerConnection: 4096,
  batchRecords: 5000,
  batchDelayMs: 10,
  maxQueuedRecords: 100_000,
  commitTimeoutMs: 5_000,
  registryRefreshMs: 200,
};

/** A test gateway, and the API keys its admin port checks (`keys.create('ops', ['admin'])` for `/commands`). */
export type TestGateway = Gateway & { readonly keys: ApiKeys };

export async function startTestGateway(store: Store, options: Partial<GatewayOptions> = {}, sink: RecordSink | null = null, derive: BatchDeriver | null = null): Promise<TestGateway> {
  await migrate(store, allMigrations);
  const log = pino({ level: process.env.FLEETMETER_TEST_LOG ?? 'silent' });
  const keys = new ApiKeys(store);
  await keys.start(200);
  try {
    const gw = await startGateway(store, { ...testGatewayOptions, ...options }, log, sink, derive, undefined, adminKeysOf(keys));
    return {
      ...gw,
      keys,
      async close() {
        await gw.close();
        keys.stop();
      },
    };
  } catch (err) {
    keys.stop();
    throw err;
  }
}
