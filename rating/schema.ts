/**
 * Rating tables. Portable subset only (ClickHouse 18.16 … current): MergeTree family, String,
 * Date, UInt*, Nullable, Array. No codecs, TTL, LowCardinality or Map.
 *
 * - `rating_presence`: one row per (device, UTC day, kind, writer); `words` is the day's 1440-bit
 *   bitmap as ≤ 45 UInt32 (180 bytes, trailing zero words dropped). Readers OR every row of a
 *   device-day, so rows from any number of writers, restarts and retries merge. Each writer's
 *   rows for a device-day only ever grow (it merges what is stored before it writes), so the
 *   ReplacingMergeTree version `minutes` (the popcount) keeps the newest, largest one: background
 *   merges shrink a device-day to one row per writer without losing a bit.
 * - config tables are effective-dated and append-only with `recorded_at` (ms) as the version:
 *   re-recording the same key corrects it, the later record wins.
 * - `rating_tariff_versions` is immutable: one definition per (tariff, version), with its hash.
 * - `rating_statements`: closed statements, snapshot JSON + SHA-256 of it; never updated.
 */
import type { Migration } from '../store/types.ts';

export const PRESENCE_TABLE = 'rating_presence';

export const ratingMigrations: readonly Migration[] = [
  {
    id: 'rating_0001_presence',
    statements: [
      `CREATE TABLE IF NOT EXISTS ${PRESENCE_TABLE} (
        device_id String,
        day Date,
        kind UInt8,
        writer UInt32,
        minutes UInt16,
        words Array(UInt32)
      ) ENGINE = ReplacingMergeTree(minutes)
      PARTITION BY toYYYYMM(day)
      ORDER BY (device_id, day, kind, writer)`,
    ],
  },
  {
    id: 'rating_0002_config',
    statements: [
      `CREATE TABLE IF NOT EXISTS rating_accounts (
        account_id String,
        name String,
        time_zone String,
        currency String,
        recorded_at UInt64
      ) ENGINE = ReplacingMergeTree(recorded_at)
      ORDER BY account_id`,
      `CREATE TABLE IF NOT EXISTS rating_device_accounts (
        device_id String,
        effective_from Date,
        account_id String,
        recorded_at UInt64
      ) ENGINE = ReplacingMergeTree(recorded_at)
      ORDER BY (device_id, effective_from)`,
      `CREATE TABLE IF NOT EXISTS rating_tariff_versions (
        tariff_id String,
        version UInt32,
        effective_from Date,
        definition String,
        definition_hash String,
        recorded_at UInt64
      ) ENGINE = MergeTree()
      ORDER BY (tariff_id, version)`,
      `CREATE TABLE IF NOT EXISTS rating_tariff_assignments (
        account_id String,
        device_id String,
        effective_from Date,
        tariff_id String,
        recorded_at UInt64
      ) ENGINE = ReplacingMergeTree(recorded_at)
      ORDER BY (account_id, device_id, effective_from)`,
      `CREATE TABLE IF NOT EXISTS rating_suspensions (
        suspension_id String,
        account_id String,
        device_id String,
        from_date Date,
        to_date Nullable(Date),
        cancelled UInt8,
        recorded_at UInt64
      ) ENGINE = ReplacingMergeTree(recorded_at)
      ORDER BY (account_id, suspension_id)`,
    ],
  },
  {
    id: 'rating_0003_statements',
    statements: [
      `CREATE TABLE IF NOT EXISTS rating_statements (
        account_id String,
        period_from Date,
        period_to Date,
        closed_at UInt64,
        content_hash String,
        snapshot String
      ) ENGINE = MergeTree()
      ORDER BY (account_id, period_from)`,
    ],
  },
];
