/**
 * The "may import" column of docs/architecture.md, checked: every .ts file's import specifiers
 * (`import … from`, `export … from`, bare `import '…'`, dynamic `import('…')`) are read with
 * comments and string contents skipped, resolved, and each import of another top-level folder
 * must be allowed by the table below. A failure lists every offending import as file:line.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/temp.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The shared record vocabulary every module may use (the "protocols' record type"). */
const RECORD = 'protocols/record.ts';

/**
 * What each top-level folder may import besides itself: a folder name, or a file path for one
 * file of a folder. `*` is anything. Mirrors docs/architecture.md (keep them together).
 */
export const MAY_IMPORT: { readonly [folder: string]: readonly string[] } = {
  protocols: [],
  store: [RECORD],
  rating: ['store', RECORD],
  ingest: ['protocols', 'store', 'rating'],
  billing: ['store', 'rating', RECORD],
  api: ['billing', 'rating', 'store', RECORD],
  app: ['protocols', 'store', 'rating', 'ingest', 'billing', 'api'],
  cli: ['app', 'protocols', 'store', 'rating', 'ingest', 'billing', 'api', 'bench'],
  bench: ['*'],
  test: ['*'],
};

/** Folders holding no code of ours. */
const SKIP = new Set(['node_modules', 'data', 'docs', 'bin', '.git']);

export interface Import {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
}

/** The source with comments blanked and string/template contents replaced by spaces (newlines kept), so a scan sees code only. */
export function codeOnly(src: string): { code: string; strings: Map<number, string> } {
  const out: string[] = [];
  const strings = new Map<number, string>();
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    const d = src[i + 1];
    if (c === '/' && d === '/') {
      while (i < n && src[i] !== '\n') {
        out.push(' ');
        i++;
      }
    } else if (c === '/' && d === '*') {
      out.push(' ', ' ');
      i += 2;
      while (i < n && !(src[i] === '*' && src[i + 1] === '/')) {
        out.push(src[i] === '\n' ? '\n' : ' ');
        i++;
      }
      out.push(' ', ' ');
      i += 2;
    } else if (c === "'" || c === '"' || c === '`') {
      // A string: its position keeps the quote, its text is remembered apart and blanked.
      const start = out.length;
      out.push(c);
      i++;
      let text = '';
      while (i < n && src[i] !== c) {
        if (src[i] === '\\') {
          text += src[i + 1];
          out.push(' ', src[i + 1] === '\n' ? '\n' : ' ');
          i += 2;
          continue;
        }
        if (c === '`' && src[i] === '$' && src[i + 1] === '{') {
          // Template expressions are code; none of ours hides an import there. Blank to the close.
          let depth = 0;
          while (i < n) {
            if (src[i] === '{') depth++;
            if (src[i] === '}' && --depth === 0) break;
            out.push(src[i] === '\n' ? '\n' : ' ');
            i++;
          }
        }
        text += src[i];
        out.push(src[i] === '\n' ? '\n' : ' ');
        i++;
      }
      out.push(c);
      i++;
      strings.set(start, text);
    } else {
      out.push(c);
      i++;
    }
  }
  return { code: out.join(''), strings };
}

/** Every import specifier of a TypeScript source, with its line (type-only imports count: they couple modules too). */
export function importsOf(file: string, src: string): Import[] {
  const { code, strings } = codeOnly(src);
  const found: Import[] = [];
  const lineAt = (pos: number) => code.slice(0, pos).split('\n').length;
  const add = (quotePos: number, statementStart: number) => {
    const specifier = strings.get(quotePos);
    if (specifier !== undefined) found.push({ file, line: lineAt(statementStart), specifier });
  };
  // import … from '…' | export … from '…' (the clause may span lines; no quotes inside it)
  const fromRe = /(?<![\w$.])(?:import|export)\b[^;'"`]*?\bfrom\s*['"]/g;
  for (let m = fromRe.exec(code); m !== null; m = fromRe.exec(code)) add(m.index + m[0].length - 1, m.index);
  // import '…' (side effects)
  const bareRe = /(?<![\w$.])import\s*(['"])/g;
  for (let m = bareRe.exec(code); m !== null; m = bareRe.exec(code)) add(m.index + m[0].length - 1, m.index);
  // import('…') (dynamic), and `import('…').T` in type positions
  const dynRe = /(?<![\w$.])import\s*\(\s*(['"`])/g;
  for (let m = dynRe.exec(code); m !== null; m = dynRe.exec(code)) add(m.index + m[0].length - 1, m.index);
  return found.sort((a, b) => a.line - b.line);
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const topOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : '');

/** Offending imports of the whole tree: `file:line imports 'spec' (folder → target)`. */
export function violations(root = ROOT): string[] {
  const bad: string[] = [];
  for (const abs of tsFiles(root)) {
    const rel = relative(root, abs).split(sep).join('/');
    const from = topOf(rel);
    if (from === '') continue; // root files (vitest.config.ts) import only packages
    // A unit test beside its code is a test: it may import anything (test support, the CLI's wiring).
    const allowed = rel.endsWith('.test.ts') ? MAY_IMPORT.test : MAY_IMPORT[from];
    if (allowed === undefined) {
      bad.push(`${rel}: folder ${from}/ is not in the may-import table (docs/architecture.md)`);
      continue;
    }
    for (const imp of importsOf(rel, readFileSync(abs, 'utf8'))) {
      if (!imp.specifier.startsWith('.')) continue; // packages and node: builtins
      const target = relative(root, resolve(dirname(abs), imp.specifier)).split(sep).join('/');
      const to = topOf(target);
      if (to === from) continue;
      const ok = allowed.includes('*') || allowed.includes(to) || allowed.includes(target);
      if (!ok) bad.push(`${rel}:${imp.line} imports '${imp.specifier}' (${from}/ may not import ${to === '' ? target : `${to}/`})`);
    }
  }
  return bad;
}

describe('architecture: may-import rules (docs/architecture.md)', () => {
  it('finds every form of import, with its line, and skips comments and strings', () => {
    const src = [
      "import a from './a.ts';",
      '// import x from "../no/comment.ts";',
      '/* export * from "../no/block.ts"; */',
      "const s = \"import y from '../no/string.ts'\";",
      'import {',
      '  b,',
      '  type C,',
      "} from '../multi/line.ts';",
      "export { d } from '../re/export.ts';",
      "export * from '../star.ts';",
      "import '../side/effect.ts';",
      "const m = await import('../dynamic.ts');",
      "import type { T } from '../types/only.ts';",
      "import { type U, type V } from '../types/named.ts';",
      'let t: import(\'../type/position.ts\').T;',
    ].join('\n');
    expect(importsOf('x.ts', src).map((i) => [i.line, i.specifier])).toEqual([
      [1, './a.ts'],
      [5, '../multi/line.ts'],
      [9, '../re/export.ts'],
      [10, '../star.ts'],
      [11, '../side/effect.ts'],
      [12, '../dynamic.ts'],
      [13, '../types/only.ts'],
      [14, '../types/named.ts'],
      [15, '../type/position.ts'],
    ]);
  });

  it('reports an import the table forbids as file:line, and a folder the table does not know', () => {
    const root = tempDir('fm-arch-');
    try {
      for (const [f, text] of Object.entries({
        'api/routes/x.ts': "import { a } from '../../billing/a.ts';\n\nimport type { R } from '../../ingest/registry.ts';\n",
        'api/routes/x.test.ts': "import { r } from '../../ingest/registry.ts';\n",
        'billing/a.ts': "export { b } from '../rating/b.ts';\n",
        'rating/b.ts': "import { c } from '../protocols/teltonika/c.ts';\nimport type { Rec } from '../protocols/record.ts';\n",
        'misc/m.ts': 'export const m = 1;\n',
      })) {
        mkdirSync(dirname(join(root, f)), { recursive: true });
        writeFileSync(join(root, f), text);
      }
      expect(violations(root).sort()).toEqual([
        "api/routes/x.ts:3 imports '../../ingest/registry.ts' (api/ may not import ingest/)",
        'misc/m.ts: folder misc/ is not in the may-import table (docs/architecture.md)',
        "rating/b.ts:1 imports '../protocols/teltonika/c.ts' (rating/ may not import protocols/)",
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('docs/architecture.md lists the same folders as the table checked here', () => {
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z]+)\/` \|/gm)].map((m) => m[1]);
    expect(rows.sort()).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  it('every top-level folder imports only what the table allows', () => {
    const bad = violations();
    if (bad.length > 0) console.error(`may-import violations (docs/architecture.md):\n  ${bad.join('\n  ')}`);
    expect(bad).toEqual([]);
  });
});
