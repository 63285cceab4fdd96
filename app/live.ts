/**
 * The live side of `fleetmeter serve`, wired once for the gateway, the API and the tests: the
 * rating engine, whose presence rows the ingest pipeline commits with each batch (`derive`), a
 * read cache in front of stored presence that absorbs every committed row, and the fleet tracker,
 * fed from every committed batch (`sink`). The per-device cache (`CachedPresenceStorage`) replaces
 * the storage's own fingerprint cache here (`cacheDeviceDays: 0`): a hit needs no query at all.
 */
import type { Logger } from 'pino';
import type { BatchDeriver, RecordSink } from '../ingest/pipeline.ts';
import type { CommittedRecord } from '../protocols/record.ts';
import { PresenceEngine } from '../rating/engine.ts';
import { CachedPresenceStorage, type PresenceCacheOptions } from '../rating/presence-cache.ts';
import { ClickHousePresenceStorage } from '../rating/presence-store.ts';
import { committedPresence } from '../rating/committed-presence.ts';
import type { Store } from '../store/types.ts';
import { FleetTracker } from '../api/services/fleet.ts';

export interface LiveOptions {
  readonly log: Pick<Logger, 'error' | 'warn'>;
  /** How often the fleet tracker merges other instances' sightings from ClickHouse (ms). Default 10 000. */
  readonly fleetRefreshMs?: number;
  /** The live presence read cache: refresh age (other instances' writes; default 60 000 ms), bound, clock. */
  readonly presenceCache?: Pick<PresenceCacheOptions, 'refreshAfterMs' | 'maxDeviceDays' | 'now'>;
}

export interface Live {
  readonly engine: PresenceEngine;
  readonly presenceCache: CachedPresenceStorage;
  readonly fleet: FleetTracker;
  /** Give these to the gateway: presence committed with each batch, committed records to the tracker. */
  readonly derive: BatchDeriver;
  readonly sink: RecordSink;
  /** Records stored by other means (tests, tools): their presence saved, the tracker told, as a gateway commit would. */
  ingest(records: readonly CommittedRecord[]): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createLive(store: Store, options: LiveOptions): Live {
  const presenceCache = new CachedPresenceStorage(new ClickHousePresenceStorage(store, { cacheDeviceDays: 0 }), {
    ...options.presenceCache,
    onError: (err) => options.log.warn({ err }, 'presence cache refresh failed'),
  });
  const engine = new PresenceEngine({ storage: presenceCache, onCommitted: (rows) => presenceCache.absorb(rows) });
  const fleet = new FleetTracker(store, { refreshMs: options.fleetRefreshMs, log: options.log });
  return {
    engine,
    presenceCache,
    fleet,
    derive: committedPresence(engine),
    sink: fleet,
    async ingest(records) {
      await engine.ingest(records);
      fleet.ingest(records);
    },
    async start() {
      await fleet.start();
    },
    async stop() {
      fleet.stop();
    },
  };
}
