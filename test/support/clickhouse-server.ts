/**
 * A ClickHouse server of a test's own (Debian's clickhouse-server through .ci/clickhouse.sh), on
 * free ports the OS picks, for tests that stop, hang or restart it. `remove()` stops it and
 * deletes its data directory (.tmp/clickhouse-PORT), so a run leaves nothing behind.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { freePortTriple } from './ports.ts';

const script = new URL('../../.ci/clickhouse.sh', import.meta.url).pathname;

/** Whether clickhouse-server is installed. With FLEETMETER_REQUIRE_SERVER=1 (CI) its absence throws, naming what would be skipped. */
export function hasClickHouseServer(what: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v clickhouse-server']);
    return true;
  } catch {
    if (process.env.FLEETMETER_REQUIRE_SERVER === '1') throw new Error(`FLEETMETER_REQUIRE_SERVER=1 but clickhouse-server is not installed: ${what} would be skipped`);
    return false;
  }
}

export interface OwnClickHouse {
  readonly port: number;
  readonly url: string;
  start(): void;
  stop(): void;
  /** The server process id (for SIGSTOP/SIGCONT). */
  pid(): number;
  /** Stop, and delete its data directory. */
  remove(): void;
}

/** Picks free ports (HTTP p, native p+1, interserver p+2); start() launches the server there. */
export async function ownClickHouse(): Promise<OwnClickHouse> {
  const port = await freePortTriple();
  const dir = new URL(`../../.tmp/clickhouse-${port}`, import.meta.url).pathname;
  const run = (action: 'start' | 'stop') => execFileSync('bash', [script, action, String(port)], { stdio: 'pipe', timeout: 60_000 });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    start: () => run('start'),
    stop: () => run('stop'),
    pid: () => Number(readFileSync(`${dir}/server.pid`, 'utf8')),
    remove() {
      run('stop');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
