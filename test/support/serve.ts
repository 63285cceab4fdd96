/** A real `fleetmeter serve` child process for tests: started on ephemeral ports, its ports read from its log. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const bin = new URL('../../bin/fleetmeter.js', import.meta.url).pathname;

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly ports: Record<string, number>;
  /** Every log line so far (parsed JSON). */
  readonly log: Record<string, unknown>[];
  /** SIGKILL, resolves on exit. */
  kill9(): Promise<void>;
  /** SIGTERM, resolves with the exit code (and how long it took, ms). */
  terminate(): Promise<{ code: number | null; ms: number }>;
}

/**
 * The ports a `fleetmeter serve` child reports in its "fleetmeter serving" log line (its stdout, JSON
 * lines; other lines are skipped). Rejects if it exits first or does not get there in `timeoutMs`.
 * Every parsed line is pushed to `log` when given.
 */
export function servingPorts<P = Record<string, number>>(child: ChildProcess, o: { timeoutMs?: number; log?: Record<string, unknown>[] } = {}): Promise<P> {
  const timeoutMs = o.timeoutMs ?? 150_000;
  let stderr = '';
  child.stderr?.on('data', (b) => (stderr += String(b)));
  return new Promise<P>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not start in ${timeoutMs} ms: ${stderr.slice(-2000)}`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      o.log?.push(msg);
      if (msg.msg === 'fleetmeter serving') {
        clearTimeout(t);
        resolve(msg.ports as P);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`serve exited early with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

/** `fleetmeter serve` with every device port 0, admin and API on 0 unless `args` say otherwise, MQTT off. */
export async function startServe(env: Record<string, string>, args: string[] = [], timeoutMs = 150_000): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--host', '127.0.0.1', '--teltonika-tcp-port', '0', '--teltonika-udp-port', 'off', '--wialon-tcp-port', '0', '--wialon-udp-port', 'off', '--admin-port', '0', '--api-port', '0', '--mqtt-port', 'off', ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = await servingPorts(child, { timeoutMs, log });
  return {
    child,
    ports,
    log,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async terminate() {
      const t0 = performance.now();
      child.kill('SIGTERM');
      const code = await exited;
      return { code, ms: performance.now() - t0 };
    },
  };
}
