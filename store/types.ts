/**
 * The one storage interface. Two backends implement it with identical behaviour:
 * embedded chDB (default) and a ClickHouse server over HTTP (`@clickhouse/client`).
 *
 * SQL sent through it must stay within the portable subset that both ClickHouse 18.16 (Debian's
 * `clickhouse-server`) and current releases accept: MergeTree family, DateTime, Date, Decimal,
 * Array, Nullable, materialized views. No query parameters (18.16 has none): build SQL with the
 * escaping helpers in `store/sql.ts`.
 */

import type { Column } from './row-binary.ts';

export const STORE_BACKENDS = ['chdb', 'server'] as const;
export type StoreBackend = (typeof STORE_BACKENDS)[number];

export interface Store {
  readonly backend: StoreBackend;
  /** The database every unqualified table name resolves to. */
  readonly database: string;
  /** Statements without a result set (DDL, ALTER, OPTIMIZE …). */
  command(sql: string): Promise<void>;
  /** A SELECT; rows come back as JSON objects (JSONEachRow: 64-bit integers arrive as strings). */
  query<T = { [column: string]: unknown }>(sql: string): Promise<T[]>;
  /** Inserts rows (objects keyed by column name) in one INSERT; resolves once committed. */
  insert(table: string, rows: readonly object[]): Promise<void>;
  /** Inserts an already serialized JSONEachRow payload (one JSON object per line); resolves once committed. */
  insertJsonLines(table: string, payload: string): Promise<void>;
  /**
   * Inserts an already serialized RowBinary payload (`store/row-binary.ts`) into `columns`, in
   * that order and of those types; columns not named get their defaults. Resolves once committed.
   * The ingest hot path: the format ClickHouse reads cheapest.
   */
  insertRowBinary(table: string, columns: readonly Column[], payload: Uint8Array): Promise<void>;
  /** Liveness of the storage: a value, never a throw. */
  ping(): Promise<{ ok: true } | { ok: false; error: string }>;
  close(): Promise<void>;
}

/** One RowBinary insert, ready to send (`Store.insertRowBinary`). */
export interface RowBinaryInsert {
  readonly table: string;
  readonly columns: readonly Column[];
  readonly payload: Uint8Array;
}

/** A schema change, applied once, in order of `id`. Statements must be idempotent (IF NOT EXISTS). */
export interface Migration {
  /** Sortable, unique id, e.g. '0001_records'. */
  readonly id: string;
  /**
   * DDL, run in order. Where the statement has no IF NOT EXISTS form on every supported server
   * (e.g. ADD COLUMN on 18.16), give it a `skipIf` SELECT: when that returns a row, the change is
   * already there and the statement is skipped.
   */
  readonly statements: readonly (string | { readonly sql: string; readonly skipIf: string })[];
}

/** The embedded store's data directory is held by another process (libchdb locks it: one process per directory). */
export class DataDirBusyError extends Error {
  readonly code = 'FM_ERR_DATA_DIR_BUSY';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`data dir ${dataDir} is in use by another fleetmeter process (pid ${pid}; one process holds an embedded data dir: stop it, or share data through a ClickHouse server)`);
  }
}
