/** `--provider-file`: the provider's requisites for invoices and acts, validated at start (docs/documents.md). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_PROVIDER } from './support/provider.ts';
import { ConfigError, loadConfig, readProviderFile } from '../cli/config.ts';
import { appOptions } from '../cli/serve.ts';

const dir = mkdtempSync(join(tmpdir(), 'fleetmeter-provider-'));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('--provider-file', () => {
  it('a valid file reaches the app; none means no provider', () => {
    const p = file('ok.json', JSON.stringify(TEST_PROVIDER));
    expect(appOptions(loadConfig({ 'provider-file': p }, {})).provider).toEqual(TEST_PROVIDER);
    expect(appOptions(loadConfig({}, { FLEETMETER_PROVIDER_FILE: p })).provider).toEqual(TEST_PROVIDER);
    expect(appOptions(loadConfig({}, {})).provider).toBeNull();
  });

  it('the example in docs/ is valid and is the tests\' provider', () => {
    const example = new URL('../docs/provider.example.json', import.meta.url).pathname;
    expect(readProviderFile(example)).toEqual(TEST_PROVIDER);
    expect(JSON.parse(readFileSync(example, 'utf8'))).toEqual(TEST_PROVIDER);
  });

  it('a bad file stops start-up naming the file and the field', () => {
    const bad = file('bad.json', JSON.stringify({ ...TEST_PROVIDER, bic: '12345' }));
    expect(() => loadConfig({ 'provider-file': bad }, {})).toThrow(ConfigError);
    expect(() => loadConfig({ 'provider-file': bad }, {})).toThrow(/--provider-file: .*bad\.json: \/bic/);
    const extra = file('extra.json', JSON.stringify({ ...TEST_PROVIDER, iban: 'x' }));
    expect(() => loadConfig({ 'provider-file': extra }, {})).toThrow(/extra\.json/);
    expect(() => loadConfig({ 'provider-file': join(dir, 'missing.json') }, {})).toThrow(/missing\.json/);
    expect(() => loadConfig({ 'provider-file': file('nojson.json', '{') }, {})).toThrow(/nojson\.json/);
  });
});
