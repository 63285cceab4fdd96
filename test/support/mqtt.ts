/**
 * MQTT test helpers: a real `mqtt` client as a device, a real Mosquitto (Debian's `mosquitto`
 * binary) on a free loopback port, and a Store wrapper that fails inserts on demand.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Store } from '../../store/types.ts';
import { tempDir } from './temp.ts';

/** Connects like a device: client id = device id, no automatic reconnect unless asked. */
export function connectDevice(port: number, deviceId: string, options: IClientOptions = {}, protocol = 'mqtt'): Promise<MqttClient> {
  return mqtt.connectAsync(`${protocol}://127.0.0.1:${port}`, { clientId: deviceId, username: deviceId, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options });
}

/** Connects and expects a refused CONNACK; resolves with its return code. */
export async function refusedCode(port: number, deviceId: string, options: IClientOptions = {}): Promise<number> {
  try {
    const c = await connectDevice(port, deviceId, options);
    await c.endAsync(true);
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

/** Resolves once the client's connection has closed (true), or false after timeoutMs. */
export function closed(client: MqttClient, timeoutMs = 5000): Promise<boolean> {
  if (!client.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    client.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether Debian's `mosquitto` binary is on the PATH (the bridge tests need it). */
export const mosquittoAvailable = spawnSync('mosquitto', ['-h'], { encoding: 'utf8' }).error === undefined;

export interface Mosquitto {
  readonly port: number;
  /** Everything Mosquitto logged so far (log_type all). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts Mosquitto on a free loopback port with a generated config, anonymous, verbose log. */
export async function startMosquitto(): Promise<Mosquitto> {
  const dir = tempDir('fm-mosquitto-');
  const port = await freeLoopbackPort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type all', 'max_queued_messages 10000', ''].join('\n'));
  const child: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 10_000;
  const fail = (why: string) => {
    child.kill('SIGKILL');
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
    return new Error(why);
  };
  for (;;) {
    if (child.exitCode !== null) throw fail(`mosquitto exited (${child.exitCode}): ${log}`);
    const up = await new Promise<boolean>((resolve) => {
      const probe = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'fm-probe', reconnectPeriod: 0, connectTimeout: 500 });
      const settle = (up: boolean) => {
        resolve(up);
        probe.end(true);
      };
      probe.once('connect', () => settle(true));
      probe.once('error', () => settle(false));
      probe.once('close', () => settle(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw fail(`mosquitto did not listen on ${port} in 10 s: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    log: () => log,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The real store, with inserts failing on demand as if ClickHouse were down (`failing`), or
 * committing and then failing as if the reply were lost (`lostReplies`).
 */
export function flakyStore(store: Store) {
  const state = { failing: false, lostReplies: 0, failures: 0 };
  const wrapped: Store = {
    ...store,
    backend: store.backend,
    database: store.database,
    command: (sql) => store.command(sql),
    query: (sql) => store.query(sql),
    insert: (table, rows) => store.insert(table, rows),
    ping: () => store.ping(),
    close: () => store.close(),
    async insertJsonLines(table, payload) {
      if (state.failing) {
        state.failures++;
        throw new Error('injected: connection refused');
      }
      return store.insertJsonLines(table, payload);
    },
    async insertRowBinary(table, columns, payload) {
      if (state.failing) {
        state.failures++;
        throw new Error('injected: connection refused');
      }
      if (state.lostReplies > 0 && table === 'records') {
        state.lostReplies--;
        state.failures++;
        await store.insertRowBinary(table, columns, payload);
        throw new Error('injected: connection reset after the insert');
      }
      return store.insertRowBinary(table, columns, payload);
    },
  };
  return { store: wrapped, state };
}

export const countRecords = async (store: Store, where: string): Promise<number> =>
  Number((await store.query<{ n: string }>(`SELECT count() AS n FROM records FINAL WHERE ${where}`))[0].n);
