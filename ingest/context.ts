/** What every protocol handler gets from the gateway. */
import type { Logger } from 'pino';
import type { CommandRouter } from './commands.ts';
import type { DeviceRegistry } from './device-registry.ts';
import type { DecodeErrorLog } from './error-log.ts';
import type { Metrics } from './metrics.ts';
import type { Pipeline } from './pipeline.ts';

export interface GatewayContext {
  readonly registry: DeviceRegistry;
  readonly pipeline: Pipeline;
  readonly metrics: Metrics;
  readonly commands: CommandRouter;
  readonly limits: { readonly maxFrameSize: number };
  readonly log: Logger;
  /** Decode errors go to the log through this (rate-limited, hex capped); metrics count them all. */
  readonly decodeErrorLog: DecodeErrorLog;
}
