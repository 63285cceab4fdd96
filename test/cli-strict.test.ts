/**
 * The `fleetmeter` command's parsing and its one-line errors, as users meet them: unknown flags
 * (exit 2, named, with the closest known one), per-command help, --version, a busy port, a data
 * dir another process holds, and the first API key while serve runs (FLEETMETER_BOOTSTRAP_API_KEY).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../api/api-keys.ts';
import { parseArgs, switches, UsageError, valueFlags } from '../cli/args.ts';
import { splitArgs } from '../cli/runtime.ts';
import { servingPorts } from './support/serve.ts';

const bin = new URL('../bin/fleetmeter.js', import.meta.url).pathname;
const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, CLICKHOUSE_URL: '', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const oneLine = (text: string) => text.trim().split('\n').filter((l) => !l.startsWith('{')); // pino lines are logs, not the error

describe('cli/args: strict parsing', () => {
  const specs = [...valueFlags('data-dir', 'gateway-args'), ...switches('json')];
  it('an unknown flag is refused, naming it and the closest known flag', () => {
    expect(() => parseArgs(['--data-dri', 'x'], specs)).toThrow(new UsageError('unknown option --data-dri; did you mean --data-dir?'));
    expect(() => parseArgs(['--bogus', '1'], specs)).toThrow(new UsageError('unknown option --bogus'));
    expect(() => parseArgs(['-x'], specs)).toThrow(UsageError);
  });
  it('a value flag takes the next word even when it starts with --, unless it is one of the flags', () => {
    expect(parseArgs(['--gateway-args', '--min-batch-interval-ms 0', '--json'], specs).flags).toEqual({ 'gateway-args': '--min-batch-interval-ms 0', json: 'true' });
    expect(parseArgs(['--data-dir=./d', 'word'], specs)).toEqual({ flags: { 'data-dir': './d' }, positionals: ['word'] });
    expect(() => parseArgs(['--data-dir', '--json'], specs)).toThrow(new UsageError('--data-dir needs a value'));
    expect(() => parseArgs(['--data-dir'], specs)).toThrow(new UsageError('--data-dir needs a value'));
    expect(() => parseArgs(['word'], specs, { positionals: false })).toThrow(UsageError);
  });
  it('bench scripts: --gateway-args passes gateway flags through as one value (two tokens for the gateway)', () => {
    const { flags } = splitArgs(['--gateway-args', '--min-batch-interval-ms 0', '--devices', '10'], ['gateway-args']);
    expect(flags).toEqual({ 'gateway-args': '--min-batch-interval-ms 0', devices: '10' });
    expect(flags['gateway-args'].split(/\s+/).filter(Boolean)).toEqual(['--min-batch-interval-ms', '0']);
  });
});

describe('fleetmeter: usage', () => {
  it('an unknown flag exits 2 naming it, with a suggestion, for every command', () => {
    const bogus = run(['migrate', '--bogus', '1']);
    expect(bogus.code).toBe(2);
    expect(oneLine(bogus.err)).toEqual([expect.stringMatching(/^fleetmeter migrate: unknown option --bogus/)]);
    const typo = run(['serve', '--teltonika-tcp-prot', '5027']);
    expect(typo.code).toBe(2);
    expect(typo.err).toMatch(/unknown option --teltonika-tcp-prot; did you mean --teltonika-tcp-port\?/);
    for (const cmd of ['decode', 'simulate', 'reconcile', 'apikey', 'command']) expect(run([cmd, '--frobnicate']).code, cmd).toBe(2);
  });

  it("each command's help lists only its options; the top-level help is short", () => {
    const top = run(['--help']);
    expect(top.code).toBe(0);
    expect(top.out.split('\n').length).toBeLessThan(30);
    const serve = run(['serve', '--help']).out;
    expect(serve).toMatch(/--teltonika-tcp-port/);
    expect(serve).toMatch(/--data-dir/);
    const migrate = run(['migrate', '--help']).out;
    expect(migrate).toMatch(/--data-dir/);
    expect(migrate).toMatch(/--clickhouse-url/);
    expect(migrate).not.toMatch(/--teltonika-tcp-port|--api-port|--smtp-host/);
    expect(run(['help', 'migrate']).out).toBe(migrate);
    const apikey = run(['apikey', '--help']).out;
    expect(apikey).toMatch(/--data-dir/);
    expect(apikey).not.toMatch(/--teltonika-tcp-port/);
    expect(run(['decode', '--help']).out).not.toMatch(/--data-dir/);
  });

  it('--version and -v print the version from package.json', () => {
    expect(run(['--version'])).toMatchObject({ code: 0, out: `fleetmeter ${version}\n` });
    expect(run(['-v'])).toMatchObject({ code: 0, out: `fleetmeter ${version}\n` });
  });

  it('apikey generate prints a fresh key and stores nothing', () => {
    const a = run(['apikey', 'generate']);
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/^fmk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
    expect(run(['apikey', 'generate']).out).not.toBe(a.out);
  });
});

const quietPorts = ['--host', '127.0.0.1', '--teltonika-udp-port', 'off', '--wialon-tcp-port', 'off', '--wialon-udp-port', 'off', '--mqtt-port', 'off', '--jobs', 'off'];

describe('fleetmeter serve: one-line errors and the first API key', () => {
  it('a busy port: exit 1, one line naming the flag and the port', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const dataDir = mkdtempSync(join(tmpdir(), 'fm-busy-port-'));
    try {
      const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir, ...quietPorts, '--teltonika-tcp-port', String(port), '--admin-port', '0', '--api-port', 'off', '--log-level', 'warn'], {
          env: { ...process.env, CLICKHOUSE_URL: '' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let err = '';
        child.stderr!.on('data', (d) => (err += d));
        child.once('exit', (code) => resolve({ code, err }));
      });
      expect(r.code).toBe(1);
      expect(oneLine(r.err)).toEqual([expect.stringContaining(`fleetmeter serve: --teltonika-tcp-port ${port} is in use`)]);
    } finally {
      holder.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('a data dir another process holds: one line for migrate and apikey; the bootstrap key works over the API meanwhile', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fm-locked-'));
    const key = generateApiKey();
    let child: ChildProcess | null = null;
    try {
      child = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir, ...quietPorts, '--teltonika-tcp-port', '0', '--admin-port', '0', '--api-port', '0'], {
        env: { ...process.env, CLICKHOUSE_URL: '', FLEETMETER_BOOTSTRAP_API_KEY: key },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const serving = child;
      const ports = await servingPorts<{ api: number }>(serving, { timeoutMs: 150_000 });
      const migrate = run(['migrate', '--data-dir', dataDir]);
      expect(migrate.code).toBe(1);
      expect(oneLine(migrate.err)).toEqual([expect.stringMatching(new RegExp(`^fleetmeter migrate: data dir ${dataDir} is in use by another fleetmeter process \\(pid ${serving.pid}`))]);
      const create = run(['apikey', 'create', '--name', '1c', '--scopes', 'read', '--data-dir', dataDir]);
      expect(create.code).toBe(1);
      expect(oneLine(create.err)).toEqual([expect.stringMatching(/^fleetmeter apikey: data dir .* is in use .*FLEETMETER_BOOTSTRAP_API_KEY/)]);
      // The bootstrap key (scope admin) is accepted by the running API.
      const keys = await fetch(`http://127.0.0.1:${ports.api}/v1/api-keys`, { headers: { authorization: `Bearer ${key}` } });
      expect(keys.status).toBe(200);
      expect((await keys.json()).items).toEqual([expect.objectContaining({ keyId: key.slice(4, 20), name: 'bootstrap', scopes: ['admin'], revoked: false })]);
      expect((await fetch(`http://127.0.0.1:${ports.api}/v1/api-keys`, { headers: { authorization: `Bearer ${generateApiKey()}` } })).status).toBe(401);
      await new Promise((resolve) => {
        serving.once('exit', resolve);
        serving.kill('SIGTERM');
      });
      // Started again with the same key: still one key (ensured, not duplicated); with another secret for that id: refused in one line.
      const clash = `${key.slice(0, 21)}${generateApiKey().slice(21)}`;
      const refused = run(['serve', '--data-dir', dataDir, ...quietPorts, '--teltonika-tcp-port', '0', '--admin-port', 'off', '--api-port', 'off', '--log-level', 'warn'], { FLEETMETER_BOOTSTRAP_API_KEY: clash });
      expect(refused.code).toBe(1);
      expect(oneLine(refused.err)).toEqual([`fleetmeter serve: FLEETMETER_BOOTSTRAP_API_KEY: key id ${key.slice(4, 20)} is already stored with another secret`]);
      const list = run(['apikey', 'list', '--data-dir', dataDir]);
      expect(list.out.trim().split('\n').length).toBe(1);
    } finally {
      child?.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 400_000);
});
