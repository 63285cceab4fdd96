/**
 * How many records a benchmarked gateway stored, for the zero-loss check of bench:ingest and
 * bench:mqtt: `count()` of `records FINAL` in its chDB data directory, or the count the
 * null-store gateway prints as it exits.
 *
 * chDB binds one data directory per process, so the count runs in a child process: this file run
 * as `node bin/run-ts.js bench/simulator/stored-records.ts DATA_DIR` prints it.
 */
import { spawn } from 'node:child_process';

/** The null-store gateway prints {"records":N} (rows it was given) last. */
export function nullStoreRows(stdout: string): number {
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{"records"'));
  return line ? (JSON.parse(line) as { records: number }).records : NaN;
}

/** `count()` of `records FINAL` in a gateway's chDB data directory (the gateway must have exited). */
export async function countStoredRecords(dataDir: string): Promise<number> {
  const child = spawn(process.execPath, ['bin/run-ts.js', 'bench/simulator/stored-records.ts', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`counting records in ${dataDir} failed (exit ${code})`);
  return Number(out.trim());
}

if (process.argv[1]?.endsWith('stored-records.ts')) {
  const { openStore } = await import('../../store/index.ts');
  const store = await openStore({ backend: 'chdb', path: process.argv[2], database: 'fleetmeter' });
  const [row] = await store.query<{ n: string }>('SELECT count() AS n FROM records FINAL');
  await store.close();
  process.stdout.write(`${row.n}\n`);
  process.exit(0);
}
