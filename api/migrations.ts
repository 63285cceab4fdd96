/**
 * The API's tables. Portable subset (ClickHouse 18.16 … current): MergeTree family, String,
 * Int64, Date, AggregateFunction, materialized views.
 *
 * - `api_accounts`: the account profile the billing system sees (external id, billing settings,
 *   status); newest `version` per account wins. Rating's own `rating_accounts` row (id, name,
 *   zone, currency) is written alongside.
 * - `api_audit`: one row per change made through the API: who (API key id), when, what (before and
 *   after as JSON). Append-only.
 * - `api_idempotency`: stored responses of POSTs sent with an `Idempotency-Key` (first wins).
 * - `device_last_seen` + `device_last_seen_mv`: per device, the last receive time and last valid
 *   position, kept by ClickHouse itself as records are inserted (by any gateway instance): what
 *   fleet health reads, without scanning `records`. `inserted` (the server's clock at insert) lets
 *   a reader fetch only devices with rows inserted since its last look, however late a batch was
 *   committed. The backfill makes it complete for records stored before the view existed;
 *   max/argMax states are idempotent, so running it again is harmless.
 */
import type { Migration } from '../store/types.ts';
import { apiKeyMigrations } from './api-keys.ts';
import { numberingMigrations } from './documents/numbering.ts';

const POSITION = 'valid = 1 AND isNotNull(latitude) AND isNotNull(longitude) AND has_device_time = 1 AND device_ts <= received_ts + 600000';

export const deviceLastSelect = `SELECT device_id,
  maxState(now()) AS inserted,
  maxState(received_ts) AS last_received,
  minState(received_ts) AS first_received,
  argMaxState(protocol, received_ts) AS protocol,
  maxIfState(device_ts, ${POSITION}) AS pos_ts,
  argMaxIfState(assumeNotNull(latitude), device_ts, ${POSITION}) AS pos_lat,
  argMaxIfState(assumeNotNull(longitude), device_ts, ${POSITION}) AS pos_lon,
  argMaxIfState(ifNull(speed, -1), device_ts, ${POSITION}) AS pos_speed,
  argMaxIfState(ifNull(course, -1), device_ts, ${POSITION}) AS pos_course
FROM records GROUP BY device_id`;

/** Per device: when it was last heard from and where, kept by ClickHouse as records are inserted. */
export const DEVICE_LAST_TABLE = 'device_last_seen';

export const apiMigrations: readonly Migration[] = [
  ...apiKeyMigrations,
  {
    id: '0201_api_accounts',
    statements: [
      `CREATE TABLE IF NOT EXISTS api_accounts (
        account_id String,
        external_id String,
        name String,
        time_zone String,
        currency String,
        billing String,
        status String,
        created_ts Int64,
        version Int64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY account_id`,
    ],
  },
  {
    id: '0202_api_audit',
    statements: [
      `CREATE TABLE IF NOT EXISTS api_audit (
        ts Int64,
        day Date,
        audit_id String,
        key_id String,
        action String,
        entity_type String,
        entity_id String,
        request_id String,
        before String,
        after String
      ) ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (entity_type, entity_id, ts, audit_id)`,
    ],
  },
  {
    id: '0203_api_idempotency',
    statements: [
      `CREATE TABLE IF NOT EXISTS api_idempotency (
        key_id String,
        idempotency_key String,
        request_hash String,
        status UInt16,
        content_type String,
        body String,
        created_ts Int64
      ) ENGINE = MergeTree() ORDER BY (key_id, idempotency_key, created_ts)`,
    ],
  },
  {
    id: '0204_device_last_seen',
    statements: [
      `CREATE TABLE IF NOT EXISTS device_last_seen (
        device_id String,
        inserted AggregateFunction(max, DateTime),
        last_received AggregateFunction(max, Int64),
        first_received AggregateFunction(min, Int64),
        protocol AggregateFunction(argMax, String, Int64),
        pos_ts AggregateFunction(maxIf, Int64, UInt8),
        pos_lat AggregateFunction(argMaxIf, Float64, Int64, UInt8),
        pos_lon AggregateFunction(argMaxIf, Float64, Int64, UInt8),
        pos_speed AggregateFunction(argMaxIf, Float64, Int64, UInt8),
        pos_course AggregateFunction(argMaxIf, Float64, Int64, UInt8)
      ) ENGINE = AggregatingMergeTree() ORDER BY device_id`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS device_last_seen_mv TO device_last_seen AS ${deviceLastSelect}`,
      `INSERT INTO device_last_seen ${deviceLastSelect}`,
    ],
  },
  // Issued invoice and act numbers (api/documents/numbering.ts).
  ...numberingMigrations,
];
