/**
 * Billing survives crashes: `fleetmeter serve` as a real process, trackers over real TCP, kill -9
 * at bad moments, a restart, and the REST API as the billing system uses it. Every minute whose
 * record was acked must be billed after the restart, and reconcile must find nothing to repair —
 * on chDB (data dir) and on the ClickHouse server.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AvlRecordInput, encodeAvlPacket, encodeImei } from '../protocols/teltonika/index.ts';
import { TcpDevice } from './support/device.ts';
import { type ServeProcess, startServe } from './support/serve.ts';
import { tempDir } from './support/temp.ts';

const bin = new URL('../bin/fleetmeter.js', import.meta.url).pathname;
const PERIOD = '2026-11';
const MINUTE0 = Date.UTC(2026, 10, 3, 6, 0); // inside PERIOD, UTC
const imei = (i: number) => `35209308${String(900000 + i).padStart(7, '0')}`;
const point = (minute: number): AvlRecordInput => ({ deviceTime: MINUTE0 + minute * 60_000 + 7_000, latitude: 55.75, longitude: 37.62, satellites: 9, speed: 30 });

interface Target {
  readonly name: string;
  readonly env: Record<string, string>;
  cleanup(): void;
}

function targets(): Target[] {
  const out: Target[] = [];
  const dir = tempDir('fm-crash-');
  out.push({ name: 'chdb', env: { FLEETMETER_DATA_DIR: dir, CLICKHOUSE_URL: '', CLICKHOUSE_DATABASE: 'fleetmeter' }, cleanup: () => rmSync(dir, { recursive: true, force: true }) });
  const url = process.env.CLICKHOUSE_URL;
  if (url) {
    const database = `fm_crash_${process.pid}`;
    out.push({
      name: 'server',
      env: { CLICKHOUSE_URL: url, CLICKHOUSE_DATABASE: database },
      cleanup: () => void fetch(`${url}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${database}`)}`, { method: 'POST' }).catch(() => undefined),
    });
  }
  return out;
}

async function api(s: ServeProcess, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(`http://127.0.0.1:${s.ports.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

/** A tracker that keeps what was not acked and sends it again after a reconnect, as real ones do. */
class Tracker {
  private unacked: AvlRecordInput[][] = [];
  readonly acked: AvlRecordInput[] = [];
  constructor(readonly id: string) {}

  queue(records: AvlRecordInput[]): void {
    this.unacked.push(records);
  }

  /** Connects and sends every unacked packet in order; stops at the first one not acked (connection gone). */
  async drain(port: number): Promise<void> {
    let d: TcpDevice;
    try {
      d = await TcpDevice.connect(port);
    } catch {
      return;
    }
    try {
      d.write(encodeImei(this.id));
      if ((await d.read(1, 10_000)).toString('hex') !== '01') return;
      while (this.unacked.length > 0) {
        const p = this.unacked[0];
        d.write(encodeAvlPacket(0x8e, p));
        const ack = await d.read(4, 20_000);
        if (ack.readUInt32BE(0) !== p.length) return;
        this.unacked.shift();
        this.acked.push(...p);
      }
    } catch {
      // killed mid-exchange: what was not acked stays queued
    } finally {
      d.close();
    }
  }

  get pending(): number {
    return this.unacked.length;
  }
}

for (const target of targets()) {
  describe(`billing survives kill -9 (${target.name})`, () => {
    let key = '';
    let serve: ServeProcess | null = null;
    // Jobs off: the period-close job would close the (ended) test month while it is being set up.
    const start = async () => (serve = await startServe(target.env, ['--unknown-devices', 'accept', '--jobs', 'off']));
    const kill = async () => {
      await serve?.kill9();
      serve = null;
    };

    beforeAll(async () => {
      const r = spawnSync(process.execPath, [bin, 'apikey', 'create', '--name', 'crash', '--scopes', 'read,write,admin'], { env: { ...process.env, ...target.env }, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      key = JSON.parse(r.stdout.trim()).key;
      const s = await start();
      expect((await api(s, key, 'POST', '/v1/accounts', { id: 'crash', name: 'Crash Ltd', timeZone: 'UTC', currency: 'EUR' })).status).toBe(201);
      const definition = { name: 'per minute', unit: 'minute', price: { model: 'per-unit', unitPrice: '0.01' }, currency: 'EUR' };
      expect((await api(s, key, 'POST', '/v1/tariffs', { id: 'perminute', effectiveFrom: '2026-01-01', definition })).status).toBe(201);
      expect((await api(s, key, 'POST', '/v1/accounts/crash/tariff-assignments', { tariffId: 'perminute', effectiveFrom: '2026-01-01' })).status).toBe(201);
      // Registered ten at a time (each create waits out its claim's settle time).
      for (let i = 0; i < 70; i += 10) {
        const created = await Promise.all(Array.from({ length: 10 }, (_, k) => api(s, key, 'POST', '/v1/devices', { id: imei(i + k), protocol: 'teltonika', account: { accountId: 'crash', effectiveFrom: '2026-01-01' } })));
        for (const d of created) expect(d.status, JSON.stringify(d.json)).toBe(201);
      }
    }, 300_000);

    afterAll(async () => {
      await kill();
      target.cleanup();
    });

    it('50 sparse trackers, one record each, acked, then kill -9: after restart all 50 minutes are billed and reconcile is clean', async () => {
      const port = serve!.ports.teltonikaTcp;
      const trackers = Array.from({ length: 50 }, (_, i) => new Tracker(imei(i)));
      trackers.forEach((t, i) => t.queue([point(i)])); // each its own minute, never resent
      await Promise.all(trackers.map((t) => t.drain(port)));
      expect(trackers.every((t) => t.acked.length === 1)).toBe(true);
      await kill(); // at once: no flush interval, no graceful shutdown
      const s = await start();
      const usage = await api(s, key, 'GET', `/v1/accounts/crash/usage?from=2026-11-01&to=2026-12-01`);
      expect(usage.status).toBe(200);
      expect(usage.json.devices.filter((d: { onlineMinutes: number }) => d.onlineMinutes > 0)).toHaveLength(50);
      expect(usage.json.devices.reduce((n: number, d: { onlineMinutes: number }) => n + d.onlineMinutes, 0)).toBe(50);
      const rec = await api(s, key, 'POST', '/v1/accounts/crash/reconcile', { period: PERIOD });
      expect(rec.status).toBe(200);
      expect(rec.json.presence).toEqual([]);
      expect(rec.json.ok).toBe(true);
    }, 300_000);

    it('black-box uploads and repeated kills under load: every acked minute billed, resends not double-counted, reconcile clean', async () => {
      const trackers = Array.from({ length: 20 }, (_, i) => new Tracker(imei(50 + i)));
      let minute = 100;
      for (let round = 0; round < 4; round++) {
        // each tracker has a black box of 3 packets × 10 records to upload (plus whatever was not acked before)
        for (const t of trackers) for (let p = 0; p < 3; p++) t.queue(Array.from({ length: 10 }, () => point(minute++)));
        const port = serve!.ports.teltonikaTcp;
        const uploads = Promise.all(trackers.map((t) => t.drain(port)));
        if (round < 3) {
          // kill -9 while uploads are in flight
          await new Promise((r) => setTimeout(r, 150 + round * 200));
          await kill();
          await uploads;
          await start();
        } else await uploads;
      }
      // the last round had no kill: every tracker got everything acked
      for (const t of trackers) await t.drain(serve!.ports.teltonikaTcp);
      expect(trackers.every((t) => t.pending === 0)).toBe(true);
      const ackedMinutes = new Set(trackers.flatMap((t) => t.acked.map((r) => `${t.id}/${r.deviceTime}`)));
      expect(ackedMinutes.size).toBe(minute - 100);
      const usage = await api(serve!, key, 'GET', `/v1/accounts/crash/usage?from=2026-11-01&to=2026-12-01`);
      const ids = new Set(trackers.map((t) => t.id));
      const billed = usage.json.devices.filter((d: { deviceId: string }) => ids.has(d.deviceId)).reduce((n: number, d: { onlineMinutes: number }) => n + d.onlineMinutes, 0);
      expect(billed).toBe(minute - 100);
      const rec = await api(serve!, key, 'POST', '/v1/accounts/crash/reconcile', { period: PERIOD });
      expect(rec.json.presence).toEqual([]);
      expect(rec.json.ok).toBe(true);
    }, 600_000);
  });
}
