/**
 * The rating engine inside the ingest pipeline's commit: the presence a batch adds is inserted in
 * the same commit as its records and frames, before any device is acked (see engine.ts).
 */
import type { CommittedRecord } from '../protocols/record.ts';
import type { RowBinaryInsert } from '../store/types.ts';
import type { PresenceEngine } from './engine.ts';
import { presenceInsert } from './presence-store.ts';

/** What a batch derives for billing: inserts committed with its records, settled after. */
export interface DerivedBatch {
  readonly inserts: readonly RowBinaryInsert[];
  /** Once: true when every insert of the batch was committed, false when the commit was given up. */
  settle(committed: boolean): void;
}

/** The engine as the pipeline's `derive` step: a batch's presence rows as one more insert. */
export function committedPresence(engine: PresenceEngine): { derive(records: readonly CommittedRecord[]): DerivedBatch } {
  return {
    derive(records) {
      const staged = engine.stage(records);
      return {
        inserts: staged.rows.length === 0 ? [] : [presenceInsert(staged.rows, staged.writer)],
        settle: (committed) => staged.done(committed),
      };
    },
  };
}
