/**
 * The real gateway (ingest/gateway.ts, same flags as `fleetmeter serve`) on a Store that keeps
 * nothing: inserts are counted and dropped. Benchmarks run it to see what the network, decode,
 * serialisation and ack path sustain without ClickHouse, next to the chDB-backed numbers.
 *
 *   node bin/run-ts.js bench/simulator/null-store-gateway.ts [serve flags]
 *
 * On SIGTERM it shuts down gracefully and prints `{"records":N}` (rows "inserted" into records).
 */
import pino from 'pino';
import { loadConfig, splitArgs } from '../../cli/runtime.ts';
import { startGateway } from '../../ingest/gateway.ts';
import type { Store } from '../../store/types.ts';
import { countRows } from '../../store/row-binary.ts';

export function createNullStore(): Store & { readonly rows: { [table: string]: number } } {
  const rows: { [table: string]: number } = {};
  const count = (payload: string | Uint8Array) => {
    // Lines, with or without a trailing newline (native indexOf on bytes: the count must not cost
    // what a real insert would).
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    let n = bytes.length > 0 && bytes[bytes.length - 1] !== 10 ? 1 : 0;
    for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) n++;
    return n;
  };
  return {
    backend: 'chdb',
    database: 'null',
    rows,
    async command() {},
    async query<T>(): Promise<T[]> {
      return [];
    },
    async insert(table, r) {
      rows[table] = (rows[table] ?? 0) + r.length;
    },
    async insertJsonLines(table, payload) {
      rows[table] = (rows[table] ?? 0) + count(payload);
    },
    async insertRowBinary(table, columns, payload) {
      rows[table] = (rows[table] ?? 0) + countRows(payload, columns);
    },
    async ping() {
      return { ok: true };
    },
    async close() {},
  };
}

if (process.argv[1]?.endsWith('null-store-gateway.ts')) {
  const { flags } = splitArgs(process.argv.slice(2));
  const config = loadConfig(flags);
  const log = pino({ level: config.logLevel, base: { service: 'fleetmeter-null-store' } });
  const store = createNullStore();
  const gateway = await startGateway(store, config, log);
  log.info({ ports: gateway.ports }, 'serving on a null store');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await gateway.close();
  process.stdout.write(JSON.stringify({ records: store.rows.records ?? 0 }) + '\n');
}
