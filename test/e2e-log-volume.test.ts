/**
 * Log volume under garbage (issue #20: 2 000 three-byte garbage lines cost 410–615× their size in
 * logs). Real sockets, a real gateway, its real pino logger writing to a byte counter: the log may
 * cost at most 2× the garbage that caused it, while `fleetmeter_decode_errors_total` counts every
 * error exactly.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allMigrations } from '../cli/runtime.ts';
import { startGateway, type Gateway } from '../ingest/gateway.ts';
import { migrate } from '../store/migrate.ts';
import type { Store } from '../store/types.ts';
import { backends } from './support/backends.ts';
import { TcpDevice, eventually } from './support/device.ts';
import { testGatewayOptions } from './support/gateway.ts';

const backend = backends[0]; // the log path does not touch storage: one backend is enough

describe('decode-error log volume', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let gw: Gateway;
  let logBytes = 0;
  const lines: string[] = [];

  beforeAll(async () => {
    ({ store, cleanup } = await backend.open());
    await migrate(store, allMigrations);
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logBytes += chunk.length;
        lines.push(chunk.toString());
        done();
      },
    });
    gw = await startGateway(store, { ...testGatewayOptions, maxConnectionsPerAddress: 0 }, pino({ level: 'info' }, sink));
  });
  afterAll(async () => {
    await gw?.close();
    await cleanup?.();
  });

  const errorsCounted = async () => (await gw.metrics.decodeErrors.get()).values.filter((v) => v.labels.protocol === 'wialon-ips').reduce((n, v) => n + v.value, 0);

  async function garbage(connections: number, linesEach: number): Promise<{ garbageBytes: number; logged: number }> {
    const startBytes = logBytes;
    const startErrors = await errorsCounted();
    const line = Buffer.from('xy\n'); // three bytes: not `#TYPE#…` → FM_ERR_BAD_PREAMBLE, the stream goes on
    const devices = await Promise.all(Array.from({ length: connections }, () => TcpDevice.connect(gw.ports.wialonTcp!)));
    for (const d of devices) d.write(Buffer.concat(Array.from({ length: linesEach }, () => line)));
    const total = connections * linesEach;
    await eventually(errorsCounted, (n) => n - startErrors === total, 10_000);
    expect((await errorsCounted()) - startErrors).toBe(total); // metrics keep the exact count
    for (const d of devices) d.close();
    await new Promise((r) => setTimeout(r, 200)); // the close summaries
    gw.context.decodeErrorLog.flush();
    return { garbageBytes: total * line.length, logged: logBytes - startBytes };
  }

  it('2 000 three-byte garbage lines on one connection: log ≤ 2× the garbage, first errors in full, then a count', async () => {
    const from = lines.length;
    const r = await garbage(1, 2000);
    expect(r.logged).toBeLessThanOrEqual(2 * r.garbageBytes);
    const logged = lines.slice(from).map((l) => JSON.parse(l) as { code?: string; hex?: string; suppressed?: number });
    expect(logged.filter((l) => l.code === 'FM_ERR_BAD_PREAMBLE').length).toBeGreaterThan(0);
    expect(logged.some((l) => l.code !== undefined && l.hex !== undefined)).toBe(true);
    // Every error is either logged in full or counted in a summary.
    const full = logged.filter((l) => l.code !== undefined).length;
    const summarised = logged.filter((l) => l.suppressed !== undefined).reduce((n, l) => n + l.suppressed!, 0);
    expect(full + summarised).toBeGreaterThanOrEqual(2000);
  });

  it('2 000 three-byte garbage lines over 100 connections: the global limit holds the log to ≤ 2× the garbage', async () => {
    const r = await garbage(100, 20);
    expect(r.logged).toBeLessThanOrEqual(2 * r.garbageBytes);
  });

  it('hex in a log line is capped at 256 bytes', async () => {
    await new Promise((r) => setTimeout(r, 2500)); // let the global bucket refill
    const from = lines.length;
    const d = await TcpDevice.connect(gw.ports.wialonTcp!);
    d.write(Buffer.concat([Buffer.alloc(5000, 0x41), Buffer.from('\n')]));
    await eventually(async () => lines.slice(from).find((l) => l.includes('FM_ERR_BAD_PREAMBLE')), (l) => l !== undefined, 5000);
    const entry = JSON.parse(lines.slice(from).find((l) => l.includes('FM_ERR_BAD_PREAMBLE'))!) as { hex: string; bytes: number };
    expect(entry.hex.length).toBe(512);
    expect(entry.bytes).toBe(5001); // the chunk the framer error came in
    d.close();
  });
});
