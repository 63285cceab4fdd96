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

/** `fleetmeter serve` with every device port 0, admin and API on 0 unless `args` say otherwise, MQTT off. */
export async function startServe(env: Record<string, string>, args: string[] = [], timeoutMs = 150_000): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--host', '127.0.0.1', '--teltonika-tcp-port', '0', '--teltonika-udp-port', 'off', '--wialon-tcp-port', '0', '--wialon-udp-port', 'off', '--admin-port', '0', '--api-port', '0', '--mqtt-port', 'off', ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr += String(b)));
  const ports = await new Promise<Record<string, number>>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not start in ${timeoutMs} ms`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      log.push(msg);
      if (msg.msg === 'fleetmeter serving') {
        clearTimeout(t);
        resolve(msg.ports as Record<string, number>);
      }
    });
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`serve exited early with ${code}: ${stderr.slice(-2000)}`));
    });
  });
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
