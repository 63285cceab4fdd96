/**
 * Temporary directories for tests, removed when the test file is done: `tempDir` registers each
 * with a file-level afterAll (this module's hook is registered on import, so it runs after the
 * file's own suites), and with a process exit hook as a fallback. An exit hook alone is not
 * enough: vitest ends its workers without a normal exit, which left a chDB directory (~7 MB)
 * per test file in the temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const dirs = new Set<string>();

function removeAll(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

afterAll(removeAll);
process.on('exit', removeAll);

/** A new directory under the OS temp dir (`prefix` + random), deleted with everything in it after the test file. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(d);
  return d;
}
