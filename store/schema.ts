/**
 * The ingest schema: every record, and the raw frame that carried it, for audit.
 *
 * Portable subset only (ClickHouse 18.16 … current): MergeTree family, Int64/UInt64, Date, String,
 * Nullable, Array. Times are Int64 milliseconds since the epoch (UTC): exact, any range a device
 * may send (DateTime would wrap past 2106 and lose milliseconds; DateTime64 is not in 18.16).
 *
 * Dedup: a resent packet (the device missed our ack) yields byte-identical records, so the same
 * `(device_id, device_ts, record_hash)`. ReplacingMergeTree collapses such rows on merge, and
 * every query that must not see duplicates reads with FINAL. The partition key is derived from
 * the device time (not the receive time), so a resend days later still lands in the same partition
 * and is collapsed; an implausible device time falls back to the receive day (see `partitionDay`).
 */
import { claimsMigrations } from './claims.ts';
import type { Migration } from './types.ts';

export const storeMigrations: readonly Migration[] = [
  {
    id: '0001_records',
    statements: [
      `CREATE TABLE IF NOT EXISTS records (
        device_id String,
        day Date,
        device_ts Int64,
        has_device_time UInt8,
        protocol String,
        transport String,
        received_ts Int64,
        latitude Nullable(Float64),
        longitude Nullable(Float64),
        altitude Nullable(Float64),
        speed Nullable(Float64),
        course Nullable(Float64),
        satellites Nullable(UInt16),
        hdop Nullable(Float64),
        valid UInt8,
        priority Nullable(UInt8),
        event_id Nullable(UInt32),
        archive UInt8,
        io_ids Array(String),
        io_kinds Array(String),
        io_values Array(String),
        extras String,
        frame_hash UInt64,
        record_hash UInt64
      ) ENGINE = ReplacingMergeTree()
      PARTITION BY toYYYYMM(day)
      ORDER BY (device_id, device_ts, record_hash)`,
    ],
  },
  {
    id: '0002_frames',
    statements: [
      `CREATE TABLE IF NOT EXISTS frames (
        device_id String,
        day Date,
        frame_hash UInt64,
        protocol String,
        transport String,
        received_ts Int64,
        bytes_hex String
      ) ENGINE = ReplacingMergeTree()
      PARTITION BY toYYYYMM(day)
      ORDER BY (device_id, frame_hash)`,
    ],
  },
  {
    // The IO list as one JSON text column (`ioToText`): the three Array(String) columns cost
    // ClickHouse's parser several times more per row than everything else together. New rows
    // leave the arrays empty; rows stored before keep them and are read through them.
    id: '0003_records_io',
    statements: [
      {
        sql: `ALTER TABLE records ADD COLUMN io String DEFAULT ''`,
        skipIf: `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'records' AND name = 'io'`,
      },
    ],
  },
  {
    // The raw frame as bytes: half the size of its hex, and with RowBinary a copy (no encoding in
    // the gateway, no decoding in ClickHouse). New rows leave `bytes_hex` empty; rows stored
    // before keep it. Read both through `FRAME_HEX_SQL`.
    id: '0004_frames_bytes',
    statements: [
      {
        sql: `ALTER TABLE frames ADD COLUMN bytes String DEFAULT ''`,
        skipIf: `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'frames' AND name = 'bytes'`,
      },
    ],
  },
  // Claims: the one mechanism for what must be unique (store/claims.ts).
  ...claimsMigrations,
];
