/** The documentation users rely on must match the code. */
import { readFileSync } from 'node:fs';
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
});
