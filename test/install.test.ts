/**
 * What a fresh clone's `npm ci` and the `engines` field promise, checked on package.json and the
 * lock: npm ci refuses a lock that lacks an entry for any optional dependency (chdb's packages for
 * other platforms included), and `engines.node` must be the lowest Node every runtime dependency
 * accepts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8')) as { packages: Record<string, LockEntry> };

/** Where npm resolves `name` from the package at `from` (nested node_modules first, then up). */
function resolveIn(from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const key = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (lock.packages[key]) return key;
    if (dir === '') return undefined;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i < 0 ? '' : dir.slice(0, i);
  }
}

type V = [number, number, number];
const parse = (v: string): V => {
  const [a = 0, b = 0, c = 0] = v.replace(/^v/, '').split('-')[0].split('.').map((x) => (x === 'x' || x === '*' ? 0 : Number(x)));
  return [a, b, c];
};
const cmp = (a: V, b: V) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** npm's range syntax as engines fields use it: `>=22`, `>= 10.x`, `^16 || ^18 || >=20`, `20 || >=22`, `*`. */
export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range.split('||').some((alt) => {
    const parts = alt.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean);
    return parts.every((p) => {
      const m = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(p)!;
      const op = m[1] ?? '';
      if (m[2] === '*' || m[2] === '') return true;
      const w = parse(m[2]);
      const given = m[2].split('.').filter((x) => x !== 'x' && x !== '*').length;
      switch (op) {
        case '>=': return cmp(v, w) >= 0;
        case '>': return cmp(v, w) > 0;
        case '<=': return cmp(v, w) <= 0;
        case '<': return cmp(v, w) < 0;
        case '^': return cmp(v, w) >= 0 && (w[0] > 0 ? v[0] === w[0] : v[0] === 0 && v[1] === w[1]);
        case '~': return cmp(v, w) >= 0 && v[0] === w[0] && (given < 2 || v[1] === w[1]);
        default: return v[0] === w[0] && (given < 2 || v[1] === w[1]) && (given < 3 || v[2] === w[2]);
      }
    });
  });
}

describe('install: package.json and package-lock.json', () => {
  it('the lock has an entry for every optional dependency, other platforms included (npm ci refuses one without)', () => {
    const missing: string[] = [];
    for (const [key, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) if (!resolveIn(key, name)) missing.push(`${key || 'fleetmeter'} → ${name}`);
    }
    expect(missing).toEqual([]);
    // chdb's engine for every platform it ships: an absent one is what broke `npm ci` on a fresh clone.
    expect(Object.keys(lock.packages).filter((k) => k.startsWith('node_modules/@chdb/lib-')).length).toBe(Object.keys(lock.packages['node_modules/chdb'].optionalDependencies ?? {}).length);
  });

  it('the lock describes this package.json (same engines, same dependencies)', () => {
    const self = lock.packages[''] as LockEntry & { devDependencies?: Record<string, string> };
    expect(self.engines).toEqual(pkg.engines);
    expect(self.dependencies).toEqual(pkg.dependencies);
    expect(self.devDependencies).toEqual(pkg.devDependencies);
  });

  it('engines.node is honest: the lowest version it admits satisfies every runtime dependency', () => {
    const claimed = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(pkg.engines.node)?.[1];
    expect(claimed, `engines.node is a lower bound (>=N), got ${pkg.engines.node}`).toBeDefined();
    const refused = Object.entries(lock.packages)
      .filter(([key, e]) => key !== '' && !e.dev && e.engines?.node && !satisfies(claimed!, e.engines.node))
      .map(([key, e]) => `${key.replace(/.*node_modules\//, '')}@${e.version} wants node ${e.engines!.node}`);
    expect(refused).toEqual([]);
  });

  it('the range check reads engines fields as npm does', () => {
    expect(satisfies('22.0.0', '>=22')).toBe(true);
    expect(satisfies('20.19.0', '>=22')).toBe(false);
    expect(satisfies('21.0.0', '20 || >=22')).toBe(false);
    expect(satisfies('22.0.0', '18 || 20 || >=22')).toBe(true);
    expect(satisfies('22.0.0', '^16 || ^18 || >=20')).toBe(true);
    expect(satisfies('22.0.0', '>= 10.x')).toBe(true);
    expect(satisfies('22.0.0', '^14.21.3 || >=16')).toBe(true);
    expect(satisfies('15.0.0', '>=16 || 14 >=14.17')).toBe(false);
    expect(satisfies('22.0.0', '*')).toBe(true);
  });
});
