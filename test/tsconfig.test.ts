/** The type check covers every source folder: a folder left out of tsconfig's include is checked by nobody. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const repo = new URL('..', import.meta.url).pathname;
const IGNORED = new Set(['node_modules', 'data', 'dist', 'coverage', 'docs']);

function hasTs(dir: string): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.ts')) return true;
    if (e.isDirectory() && !e.name.startsWith('.') && hasTs(join(dir, e.name))) return true;
  }
  return false;
}

it('tsconfig.json includes every top-level folder with TypeScript', () => {
  const include = (JSON.parse(readFileSync(join(repo, 'tsconfig.json'), 'utf8')) as { include: string[] }).include;
  const folders = readdirSync(repo, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !IGNORED.has(e.name) && hasTs(join(repo, e.name)))
    .map((e) => e.name);
  expect(folders.filter((f) => !include.includes(f))).toEqual([]);
});
