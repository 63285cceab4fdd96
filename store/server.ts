/**
 * Server backend: any ClickHouse over HTTP through `@clickhouse/client` (`CLICKHOUSE_URL`).
 * Kept to what ClickHouse 18.16 (Debian's package, used in CI) understands.
 */
import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { sqlIdent } from './sql.ts';
import type { Store } from './types.ts';

export interface ServerOptions {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly database: string;
  /** Per-request timeout (ms). */
  readonly requestTimeoutMs?: number;
}

export async function openServerStore(options: ServerOptions): Promise<Store> {
  const database = sqlIdent(options.database);
  const common = {
    url: options.url,
    username: options.username ?? 'default',
    password: options.password ?? '',
    request_timeout: options.requestTimeoutMs ?? 30_000,
    // 18.16 does not know newer settings; send none beyond what each call sets.
    clickhouse_settings: {},
    // Errors reach the caller as rejected promises (and our own logs); the client's console output would only duplicate them.
    log: { level: ClickHouseLogLevel.OFF },
  };
  const bootstrap = createClient(common);
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  } catch (err) {
    throw storeError(err, `CREATE DATABASE ${database}`);
  } finally {
    await bootstrap.close();
  }
  const client: ClickHouseClient = createClient({ ...common, database });
  let closed = false;
  const guard = () => {
    if (closed) throw new Error('store is closed');
  };

  /** Sends a pre-serialised payload as the request body verbatim (insert() would re-encode it). */
  const send = async (query: string, table: string, payload: string | Uint8Array): Promise<void> => {
    guard();
    if (payload.length === 0) return;
    try {
      const result = await client.exec({ query, values: Readable.from([typeof payload === 'string' ? Buffer.from(payload) : payload]) });
      result.stream.resume();
      await new Promise<void>((resolve, reject) => {
        result.stream.once('end', resolve);
        result.stream.once('error', reject);
      });
    } catch (err) {
      throw storeError(err, `INSERT INTO ${table}`);
    }
  };

  const store: Store = {
    backend: 'server',
    database,
    async command(sql) {
      guard();
      try {
        await client.command({ query: sql });
      } catch (err) {
        throw storeError(err, sql);
      }
    },
    async query<T>(sql: string): Promise<T[]> {
      guard();
      try {
        const result = await client.query({ query: sql, format: 'JSONEachRow' });
        return (await result.json()) as T[];
      } catch (err) {
        throw storeError(err, sql);
      }
    },
    async insert(table, rows) {
      if (rows.length === 0) return;
      await store.insertJsonLines(table, rows.map((r) => JSON.stringify(r)).join('\n'));
    },
    async insertJsonLines(table, payload) {
      await send(`INSERT INTO ${sqlIdent(table)} FORMAT JSONEachRow`, table, payload);
    },
    async insertRowBinary(table, columns, payload) {
      await send(`INSERT INTO ${sqlIdent(table)} (${columns.map((c) => sqlIdent(c.name)).join(', ')}) FORMAT RowBinary`, table, payload);
    },
    async ping() {
      try {
        const r = await client.ping();
        return r.success ? { ok: true } : { ok: false, error: String((r as { error?: unknown }).error) };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
  return store;
}

function storeError(err: unknown, sql: string): Error {
  const e = err as Error;
  const error = new Error(`ClickHouse server error: ${e.message.trim()} — in: ${sql.slice(0, 200)}`);
  (error as Error & { cause?: unknown }).cause = err;
  return error;
}
