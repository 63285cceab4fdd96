/**
 * The README's walkthrough, run as written: the shell blocks of its "Walkthrough" section, in a
 * fresh directory (an empty data dir, the package linked in), with the ports moved through the
 * environment variables the commands read. If the README drifts from what the code does, this
 * goes red. Embedded chDB, as on a fresh install.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/ports.ts';
import { tempDir } from './support/temp.ts';

const repo = new URL('..', import.meta.url).pathname;
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

/** The ```sh blocks of the README section whose heading starts with `title`. */
export function sectionScript(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}`);
  if (start < 0) throw new Error(`README has no section "## ${title}"`);
  const next = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  if (blocks.length === 0) throw new Error(`section "${title}" has no sh block`);
  return blocks.join('\n');
}

describe('README walkthrough', () => {
  const dir = tempDir('fm-walkthrough-');
  let pgid = 0;
  afterAll(() => {
    try {
      if (pgid) process.kill(-pgid, 'SIGKILL'); // whatever the script left running
    } catch {
      /* gone already */
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs from an empty data dir to a statement', async () => {
    // A fresh checkout's top level, as npm and npx see it; sources resolve through bin/'s real path.
    for (const f of ['package.json', 'bin', 'node_modules']) symlinkSync(join(repo, f), join(dir, f));
    const script = sectionScript(readme, 'Walkthrough');
    const [api, teltonika, admin] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FLEETMETER_API_PORT: String(api),
      FLEETMETER_API_HOST: '127.0.0.1',
      FLEETMETER_HOST: '127.0.0.1',
      FLEETMETER_TELTONIKA_TCP_PORT: String(teltonika),
      FLEETMETER_TELTONIKA_UDP_PORT: 'off',
      FLEETMETER_WIALON_TCP_PORT: '0',
      FLEETMETER_WIALON_UDP_PORT: 'off',
      FLEETMETER_MQTT_PORT: 'off',
      FLEETMETER_ADMIN_PORT: String(admin),
      FLEETMETER_LOG_LEVEL: 'warn',
    };
    delete env.CLICKHOUSE_URL; // the embedded store, as on a fresh install
    delete env.FLEETMETER_STORE;
    delete env.FLEETMETER_DATA_DIR;
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    pgid = child.pid!;
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += String(b)));
    child.stderr.on('data', (b) => (err += String(b)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, `stdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-3000)}\nlog:\n${(() => { try { return readFileSync(join(dir, 'fleetmeter.log'), 'utf8').slice(-2000); } catch { return ''; } })()}`).toBe(0);

    const lines = out.split('\n');
    const statement = lines.map((l) => { try { return JSON.parse(l); } catch { return null; } }).find((j) => j?.lines !== undefined && j?.totals !== undefined);
    expect(statement, out).toBeDefined();
    expect(statement).toMatchObject({ accountId: 'acme', status: 'draft', currency: 'RUB' });
    expect(statement.lines.length).toBe(1);
    expect(statement.lines[0]).toMatchObject({ tariffId: 'hourly', unit: 'hour', amount: expect.stringMatching(/^(12\.50|25\.00)$/) });
    expect(['15.25', '30.50']).toContain(statement.totals.total);

    const csv = readFileSync(join(dir, 'acme.csv'), 'utf8');
    expect(csv.startsWith('\uFEFFaccount_id;account_name;period_from;period_to;period_last_day;')).toBe(true);
    expect(csv).toContain(';ООО «Ромашка»;');
    expect(csv).toMatch(/;hour;[12];12,5;(12,50|25,00);22;/);
  }, 240_000);
});
