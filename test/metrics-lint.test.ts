/**
 * Metric names and types pass `promtool check metrics` (Prometheus' own linter: counters end in
 * _total, units in base units, no type a name contradicts): the admin port's /metrics of a live
 * gateway and the API's /metrics (API, gateway-side and billing metrics), scraped after some traffic.
 * Skipped only where promtool is absent and FLEETMETER_REQUIRE_SERVER is not 1 (CI installs
 * Debian's `prometheus` package, which ships it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { startTestApi, type TestApi } from './api-support.ts';

const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p)) ?? null;
if (PROMTOOL === null && process.env.FLEETMETER_REQUIRE_SERVER === '1') {
  throw new Error('promtool not found (Debian package prometheus): the metrics lint would be skipped');
}

/** promtool's findings for an exposition text: '' when clean (it prints problems and exits 3). */
function lint(text: string): string {
  const r = spawnSync(PROMTOOL!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.trim() + (r.status === 0 ? '' : `\n(exit ${r.status})`);
}

describe.skipIf(PROMTOOL === null)('metrics pass promtool check metrics', () => {
  const backend = backends[0];
  let t: TestApi;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const opened = await backend.open();
    cleanup = opened.cleanup;
    t = await startTestApi(opened.store, { gateway: true, metrics: new Registry() });
    // Some traffic so labelled series and histograms have samples.
    await t.call('GET', '/v1/accounts');
    await t.call('GET', '/v1/accounts', { key: null });
    await t.call('GET', '/v1/devices/352093086403999/usage');
  });
  afterAll(async () => {
    await t?.close();
    await cleanup?.();
  });

  it('promtool itself flags a counter declared a gauge (the check can fail)', () => {
    expect(lint('# HELP x_seconds_total CPU\n# TYPE x_seconds_total gauge\nx_seconds_total 1\n')).not.toBe('');
  });

  it("the gateway's admin /metrics", async () => {
    const r = await fetch(`http://127.0.0.1:${t.gateway!.ports.admin}/metrics`);
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain('fleetmeter_connections');
    expect(lint(text)).toBe('');
  });

  it("the API's /metrics", async () => {
    const r = await t.http('GET', '/metrics', { key: t.keys.read });
    expect(r.status).toBe(200);
    expect(r.text).toContain('fleetmeter_api_requests_total');
    expect(r.text).toContain('fleetmeter_job_runs_total');
    expect(lint(r.text)).toBe('');
  });
});
