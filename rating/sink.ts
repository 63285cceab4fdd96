/**
 * The rating engine as the ingest pipeline's record sink: committed records update presence at
 * once (live usage), and the engine persists changed device-days on its own schedule.
 */
import type { CommittedRecord } from '../protocols/record.ts';
import type { PresenceEngine } from './engine.ts';

export function engineSink(engine: PresenceEngine, onError: (err: unknown) => void) {
  return {
    ingest(records: readonly CommittedRecord[]): void {
      if (engine.ingest(records).flushNeeded) engine.flush().catch(onError);
    },
  };
}
