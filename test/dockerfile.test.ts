/**
 * The image without a Docker daemon: exactly what the Dockerfile's COPY lines put in it (parsed
 * from the file, so the check follows it), with the production dependencies only (`npm ci
 * --omit=dev`: the lock's non-dev packages), must run `serve --help`, `migrate` (on chDB) and
 * `simulate --help`. A source directory the COPY lines miss fails here with ERR_MODULE_NOT_FOUND,
 * as it would in the container.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = new URL('..', import.meta.url).pathname;
const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
// Continuation lines joined, comments dropped.
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

/** `COPY [--flags] src… dest` (relative to WORKDIR) as [sources, dest]. */
export function copyLines(lines: readonly string[]): { sources: string[]; dest: string }[] {
  return lines
    .filter((l) => /^COPY\s/i.test(l))
    .map((l) => {
      const words = l.split(/\s+/).slice(1).filter((w) => !w.startsWith('--'));
      return { sources: words.slice(0, -1), dest: words[words.length - 1] };
    });
}

let image: string;

beforeAll(() => {
  image = mkdtempSync(join(tmpdir(), 'fm-image-'));
  const app = join(image, 'app');
  mkdirSync(app);
  for (const { sources, dest } of copyLines(instructions)) {
    for (const src of sources) {
      const from = join(repo, src);
      const isDir = statSync(from).isDirectory();
      // Docker: a directory's contents go to dest; a file goes into dest when dest ends with /.
      const to = isDir || !dest.endsWith('/') ? resolve(app, dest) : resolve(app, dest, src);
      mkdirSync(isDir ? to : dirname(to), { recursive: true });
      cpSync(from, to, { recursive: true });
    }
  }
  // `npm ci --omit=dev`: only the lock's production packages are reachable from our code.
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || key.indexOf('/node_modules/') >= 0 || entry.dev) continue;
    const real = join(repo, key);
    try {
      statSync(real);
    } catch {
      continue; // an optional package for another platform
    }
    mkdirSync(dirname(join(app, key)), { recursive: true });
    symlinkSync(real, join(app, key));
  }
});

afterAll(() => rmSync(image, { recursive: true, force: true }));

const run = (args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/fleetmeter.js', ...args], {
    cwd: join(image, 'app'),
    encoding: 'utf8',
    timeout: 150_000,
    env: { ...process.env, CLICKHOUSE_URL: '', FLEETMETER_DATA_DIR: join(image, 'data') },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('Dockerfile', () => {
  it('the COPY set runs serve --help, migrate on chDB and simulate --help, with production dependencies only', () => {
    const serve = run(['serve', '--help']);
    expect(serve.err).toBe('');
    expect(serve.code).toBe(0);
    expect(serve.out).toMatch(/--teltonika-tcp-port/);
    const migrate = run(['migrate', '--log-level', 'info']);
    expect(migrate.err).toBe('');
    expect(migrate.code).toBe(0);
    expect(migrate.out).toMatch(/schema up to date/);
    const simulate = run(['simulate', '--help']);
    expect(simulate.code).toBe(0);
    expect(simulate.out).toMatch(/usage: fleetmeter simulate/);
  }, 300_000);

  it('runs as a non-root user with a writable data dir, checks /ready, on a Node the engines admit', () => {
    const user = instructions.filter((l) => /^USER\s/i.test(l)).pop();
    expect(user).toBeDefined();
    expect(user!.split(/\s+/)[1]).not.toMatch(/^(root|0)$/);
    expect(instructions.some((l) => /^ENV\s.*FLEETMETER_DATA_DIR=\S+/.test(l))).toBe(true);
    expect(instructions.some((l) => /^RUN\s.*chown node:node \/app\/data/.test(l))).toBe(true);
    expect(instructions.some((l) => /^HEALTHCHECK\s.*\/ready/.test(l))).toBe(true);
    const major = Number(/^FROM node:(\d+)/m.exec(dockerfile)?.[1]);
    const engines = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).engines.node as string;
    expect(major).toBeGreaterThanOrEqual(Number(/^>=\s*(\d+)/.exec(engines)![1]));
    expect(major % 2, 'an LTS (even) major').toBe(0);
  });
});
