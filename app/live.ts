/**
 * The live side of `fleetmeter serve`, wired once for the gateway, the API and the tests: the
 * rating engine on a read-cached presence storage, and the fleet tracker, both fed from every
 * committed batch through one record sink. The per-device cache (`CachedPresenceStorage`) replaces
 * the storage's own fingerprint cache here (`cacheDeviceDays: 0`): a hit needs no query at all.
 */
import type { Logger } from 'pino';
import type { RecordSink } from '../ingest/pipeline.ts';
import type { CommittedRecord } from '../protocols/record.ts';
import { PresenceEngine } from '../rating/engine.ts';
import { CachedPresenceStorage, type PresenceCacheOptions } from '../rating/presence-cache.ts';
import { ClickHousePresenceStorage } from '../rating/presence-store.ts';
import { engineSink } from '../rating/sink.ts';
import type { Store } from '../store/types.ts';
import { FleetTracker } from '../api/services/fleet.ts';

export interface LiveOptions {
  readonly log: Pick<Logger, 'error' | 'warn'>;
  /** How often the engine persists changed presence (ms). */
  readonly flushMs: number;
  /** How often the fleet tracker merges other instances' sightings from ClickHouse (ms). Default 10 000. */
  readonly fleetRefreshMs?: number;
  /** The live presence read cache: refresh age (other instances' writes; default 60 000 ms), bound, clock. */
  readonly presenceCache?: Pick<PresenceCacheOptions, 'refreshAfterMs' | 'maxDeviceDays' | 'now'>;
}

export interface Live {
  readonly engine: PresenceEngine;
  readonly presenceCache: CachedPresenceStorage;
  readonly fleet: FleetTracker;
  /** Give this to the gateway: committed records reach the engine and the tracker. */
  readonly sink: RecordSink;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createLive(store: Store, options: LiveOptions): Live {
  const onError = (err: unknown) => options.log.error({ err }, 'rating engine flush failed; will retry');
  const presenceCache = new CachedPresenceStorage(new ClickHousePresenceStorage(store, { cacheDeviceDays: 0 }), {
    ...options.presenceCache,
    onError: (err) => options.log.warn({ err }, 'presence cache refresh failed'),
  });
  const engine = new PresenceEngine({ storage: presenceCache });
  const fleet = new FleetTracker(store, { refreshMs: options.fleetRefreshMs, log: options.log });
  const toEngine = engineSink(engine, onError);
  return {
    engine,
    presenceCache,
    fleet,
    sink: {
      ingest(records: readonly CommittedRecord[]) {
        toEngine.ingest(records);
        fleet.ingest(records);
      },
    },
    async start() {
      engine.start(options.flushMs, onError);
      await fleet.start();
    },
    async stop() {
      fleet.stop();
      await engine.stop();
    },
  };
}
