/** The documentation users rely on must match the code. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configMarkdown, configOptions } from '../cli/config.ts';

describe('docs', () => {
  it('docs/configuration.md holds the generated configuration table', () => {
    const doc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    expect(doc).toContain(configMarkdown());
  });

  it('README names the default device ports the config uses', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const byKey = Object.fromEntries(configOptions.map((o) => [o.key, o.default]));
    expect(readme).toContain(`Teltonika on ${byKey.teltonikaTcp} (TCP+UDP)`);
    expect(readme).toContain(`Wialon IPS on ${byKey.wialonTcp} (TCP+UDP)`);
    expect(readme).toContain(`http://127.0.0.1:${byKey.adminPort}/metrics`);
  });

  const repo = new URL('..', import.meta.url).pathname;
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const bin = join(repo, 'bin/fleetmeter.js');

  it("the README's decode examples decode without an error (real CRCs), and the quoted error is what decode says", () => {
    const section = readme.slice(readme.indexOf('### Decoding a frame from a log'), readme.indexOf('## Protocols'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)![1];
    const commands = block.split('\n').filter((l) => l.includes('npx fleetmeter decode'));
    expect(commands.length).toBe(3);
    for (const command of commands) {
      const r = spawnSync('bash', ['-c', command.replace(/npx fleetmeter/g, `node ${bin}`)], { encoding: 'utf8' });
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
      expect({ status: r.status, errors: lines.filter((l) => l.type === 'error' || l.type === 'warning') }, command).toEqual({ status: 0, errors: [] });
      expect(lines.filter((l) => l.type === 'record').length, command).toBeGreaterThan(0);
    }
    // The error quoted in the text: the Wialon login with a wrong CRC.
    const quoted = /the same login with a wrong CRC,\s+`([^`]+)`, gives `([^`]+)`/.exec(section.replace(/\n/g, ' '))!;
    const out = execFileSync('bash', ['-c', `printf '%s\\r\\n' '${quoted[1]}' | node ${bin} decode --protocol wialon-ips || true`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(JSON.parse(out.trim().split('\n')[0])).toMatchObject({ type: 'error', message: quoted[2] });
  });

  it('README and docs/*.md link only to files inside the repository, and those exist', () => {
    const files = ['README.md', ...readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const bad: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(repo, f), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1].split('#')[0];
        if (target === '' || /^https?:/.test(target)) continue;
        const abs = resolve(dirname(join(repo, f)), target);
        if (!abs.startsWith(repo) || !existsSync(abs)) bad.push(`${f}: ${m[1]}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
