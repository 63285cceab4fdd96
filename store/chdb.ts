/**
 * Embedded backend: chDB (ClickHouse in-process). The default, so `npm start` needs no server.
 * libchdb binds one data directory per process: this module keeps one set of sessions per process
 * and refuses a second, different path instead of silently closing the first.
 *
 * A chDB session runs one statement at a time: an INSERT issued while a slow SELECT (an API read,
 * a presence flush) runs waits for it. So queries and commands share one session, and the
 * RowBinary inserts of the ingest path get sessions of their own on the same data directory
 * (`INSERT_SESSIONS`, the least busy one is used): a device's ack never waits behind a report, and
 * the records and frames inserts of a batch run side by side.
 *
 * chDB's insert call takes text formats only (binary data inlined into the query is cut short:
 * a 20 000-row RowBinary payload stored 9 683 rows without an error), so a RowBinary payload goes
 * through a file: written to `<data dir>/.insert/session-N.bin` off the event loop, read by
 * `INSERT … SELECT * FROM file(path, RowBinary, structure)`. Each insert session has one such
 * file, rewritten in place for each of its inserts (they run one after another): creating and
 * deleting a file per insert made ext4 search its inode bitmap on every batch (measured with perf:
 * a fifth of a small insert's CPU).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Session } from 'chdb';
import { structureOf } from './row-binary.ts';
import { sqlIdent, sqlString } from './sql.ts';
import { DataDirBusyError, type Store } from './types.ts';

export interface ChdbOptions {
  /** Data directory (created if missing). */
  readonly path: string;
  readonly database: string;
}

/** Sessions reserved for `insertRowBinary` (records and frames of a batch in parallel). */
const INSERT_SESSIONS = 2;
/** Where RowBinary payloads wait for their INSERT, under the data directory. */
const INSERT_DIR = '.insert';

interface Inserter {
  readonly session: Session;
  /** This session's payload file: rewritten in place for each insert (no file created or deleted per insert). */
  readonly file: string;
  busy: number;
  /** The session's inserts, one after another (its payload file holds one payload at a time). */
  tail: Promise<unknown>;
}

interface Shared {
  path: string;
  database: string;
  session: Session;
  inserters: Inserter[];
  users: number;
  /** Statements running on any of the sessions: closing a session under one crashes the engine. */
  running: number;
  idle: (() => void)[];
}

let open: Shared | null = null;

export async function openChdbStore(options: ChdbOptions): Promise<Store> {
  const path = resolve(options.path);
  const database = sqlIdent(options.database);
  if (open && (open.path !== path || open.database !== database)) {
    throw new Error(`chDB is already open on ${open.path} (${open.database}) in this process; it cannot also open ${path} (${database})`);
  }
  if (!open) {
    mkdirSync(path, { recursive: true });
    // The first session takes libchdb's lock on the directory: only then is its insert dir ours
    // to clear (clearing it first would delete the payloads of the process that holds it).
    let holder = dataDirHolder(path);
    if (holder !== null) throw new DataDirBusyError(options.path, holder);
    let session: Session;
    try {
      session = new Session(path);
    } catch (err) {
      // libchdb says why only on stderr ("Cannot lock file …/status"): ask the status file.
      holder = dataDirHolder(path);
      if (holder !== null) throw new DataDirBusyError(options.path, holder);
      throw err;
    }
    // Payload files of inserts a crash interrupted: never committed, never acked.
    rmSync(join(path, INSERT_DIR), { recursive: true, force: true });
    mkdirSync(join(path, INSERT_DIR), { recursive: true });
    const inserters = Array.from({ length: INSERT_SESSIONS }, (_, i) => ({ session: new Session(path), file: join(path, INSERT_DIR, `session-${i}.bin`), busy: 0, tail: Promise.resolve() }));
    open = { path, database, session, inserters, users: 0, running: 0, idle: [] };
  }
  const shared = open;
  const inserters = open.inserters;
  open.users++;
  const session = open.session;
  let closed = false;

  /** Counts a native call while it runs, so `close` can wait for it. */
  const track = async <T>(call: () => Promise<T>): Promise<T> => {
    shared.running++;
    try {
      return await call();
    } finally {
      if (--shared.running === 0) for (const w of shared.idle.splice(0)) w();
    }
  };

  const run = async (sql: string, format: string): Promise<string> => {
    if (closed) throw new Error('store is closed');
    try {
      return await track(async () => (await session.queryAsync(sql, { format })).text());
    } catch (err) {
      throw storeError(err, sql);
    }
  };

  await run(`CREATE DATABASE IF NOT EXISTS ${database}`, 'CSV');
  // USE and SET persist for the session: unqualified names resolve to `database`, and 64-bit
  // integers come back quoted, exactly as the HTTP server backend returns them.
  await run(`USE ${database}`, 'CSV');
  await run('SET output_format_json_quote_64bit_integers = 1', 'CSV');

  const qualify = (table: string) => (table.includes('.') ? table : `${database}.${sqlIdent(table)}`);

  const store: Store = {
    backend: 'chdb',
    database,
    async command(sql) {
      await run(sql, 'CSV');
    },
    async query<T>(sql: string): Promise<T[]> {
      const text = await run(sql, 'JSONEachRow');
      return parseJsonLines<T>(text);
    },
    async insert(table, rows) {
      if (rows.length === 0) return;
      await store.insertJsonLines(table, rows.map((r) => JSON.stringify(r)).join('\n'));
    },
    async insertJsonLines(table, payload) {
      if (closed) throw new Error('store is closed');
      if (payload.length === 0) return;
      try {
        await track(() => session.insert({ table: qualify(table), values: Buffer.from(payload), format: 'JSONEachRow' }));
      } catch (err) {
        throw storeError(err, `INSERT INTO ${table}`);
      }
    },
    async insertRowBinary(table, columns, payload) {
      if (closed) throw new Error('store is closed');
      if (payload.length === 0) return;
      let inserter = inserters[0];
      for (const i of inserters) if (i.busy < inserter.busy) inserter = i;
      inserter.busy++;
      const sql = `INSERT INTO ${qualify(table)} (${columns.map((c) => sqlIdent(c.name)).join(', ')}) SELECT * FROM file(${sqlString(inserter.file)}, 'RowBinary', ${sqlString(structureOf(columns))})`;
      const done = inserter.tail.then(async () => {
        await writeFile(inserter.file, payload);
        await track(() => inserter.session.queryAsync(sql, { format: 'CSV' }));
      });
      inserter.tail = done.catch(() => undefined);
      try {
        await done;
      } catch (err) {
        throw storeError(err, sql);
      } finally {
        inserter.busy--;
      }
    },
    async ping() {
      try {
        await run('SELECT 1', 'CSV');
        return { ok: true };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (--shared.users === 0) {
        if (open === shared) open = null;
        // A statement still running (a timer's query racing shutdown) must finish first: closing
        // its session under it crashes the process. Bounded, so a hung statement cannot hang exit.
        if (shared.running > 0) {
          await new Promise<void>((resolve) => {
            shared.idle.push(resolve);
            setTimeout(resolve, 30_000).unref();
          });
        }
        for (const i of shared.inserters) i.session.close();
        shared.session.close();
      }
    },
  };
  return store;
}

export function parseJsonLines<T>(text: string): T[] {
  const out: T[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) out.push(JSON.parse(text.slice(start, end)) as T);
    start = end + 1;
  }
  return out;
}

/**
 * The other live process that holds `path` (libchdb locks `<path>/status` and writes its PID
 * there), or null. A status file left by a crash may name a PID reused since: only a process with
 * libchdb mapped counts (where /proc says so).
 */
function dataDirHolder(path: string): number | null {
  let pid: number;
  try {
    const m = /^PID: (\d+)/m.exec(readFileSync(join(path, 'status'), 'utf8'));
    if (!m) return null;
    pid = Number(m[1]);
  } catch {
    return null;
  }
  if (pid === process.pid) return null;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  try {
    return readFileSync(`/proc/${pid}/maps`, 'utf8').includes('libchdb') ? pid : null;
  } catch {
    return pid;
  }
}

function storeError(err: unknown, sql: string): Error {
  const e = err as Error & { clickhouseCode?: number };
  const error = new Error(`ClickHouse (chDB) error${e.clickhouseCode ? ` ${e.clickhouseCode}` : ''}: ${e.message} — in: ${sql.slice(0, 200)}`);
  (error as Error & { cause?: unknown }).cause = err;
  return error;
}
