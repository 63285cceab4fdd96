/** The `fleetmeter` command as users run it: a real child process, real stdout/stderr/exit codes. */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeAvlPacket, encodeImei } from '../protocols/teltonika/index.ts';
import { openStore } from '../store/index.ts';
import { TcpDevice } from './support/device.ts';
import { tempDir } from './support/temp.ts';
import { servingPorts } from './support/serve.ts';

const bin = new URL('../bin/fleetmeter.js', import.meta.url).pathname;
const run = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
};

// teltonika.md §12 E2 and E9; wialon-ips.md §13 W1 and W3.
const E2 = '000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF';
const E9 =
  '000000000000009D10020000013feb55ff74000f0ea850209a690000AE00B90B00000000070A050001000002000003000004000120000200180000004601290200C700000000004C0000000001003E00000000000000000000015B198C7498000F0DBC502095872F00AE00B90B00000000070A050001000002000003000004000120000200180000004601290200C700000000004C0000000001003E000000000000000002000009A5';

describe('fleetmeter CLI', () => {
  it('--help lists the commands; serve --help the configuration', () => {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/serve/);
    expect(r.stdout).toMatch(/decode/);
    expect(spawnSync(process.execPath, [bin, 'serve', '--help'], { encoding: 'utf8' }).stdout).toMatch(/FLEETMETER_TELTONIKA_TCP_PORT/);
  });

  it('an unknown command exits 2 with usage', () => {
    const r = run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command "frobnicate"/);
  });

  it('decode: a Teltonika frame as an argument prints its record and the ack', () => {
    const r = run(['decode', '--protocol', 'teltonika', E2]);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatchObject({ type: 'record', deviceTime: 1560161086000, priority: 1, deviceTimeIso: '2019-06-10T10:04:46.000Z' });
    expect(r.lines[0].io).toContainEqual({ id: 66, name: 'external_voltage', value: 24079, unit: 'mV' });
    expect(r.lines[1]).toEqual({ type: 'reply', hex: '00000001' });
  });

  it('decode: a bad CRC exits 1 and says what the frame said and what was computed', () => {
    const r = run(['decode', '--protocol', 'teltonika'], E9);
    expect(r.code).toBe(1);
    expect(r.lines[0]).toMatchObject({ type: 'error', code: 'FM_ERR_CRC_MISMATCH' });
    expect(r.err).toContain('CRC mismatch: frame says 0x09A5, computed 0xA6DE');
  });

  it('decode: a Wialon IPS stream on stdin (raw text, last line without \\r\\n)', () => {
    const r = run(
      ['decode', '--protocol', 'wialon-ips'],
      '#L#2.0;imei;NA;A932\r\n#D#220323;114150;2234.80479;N;11354.87786;E;0;NA;59;11;NA;NA;NA;;NA;d_battr:1:94,d_csq:1:21,di_light:1:1;E7C9',
    );
    expect(r.code).toBe(0);
    expect(r.lines.map((l) => l.type)).toEqual(['login', 'record', 'reply']);
    expect(r.lines[2]).toEqual({ type: 'reply', text: '#AD#1\r\n' });
  });

  it('decode: refused black-box bodies are printed as warnings', () => {
    const r = run(['decode', '--protocol', 'wialon-ips'], '#L#imei;NA\r\n#B#270413;205601;5560.5025;N;03739.6834;E;1;2;3;4|270413;205701;5544.6100;N;03739.7000;E;5;90;3;6');
    expect(r.code).toBe(0);
    expect(r.lines.map((l) => l.type)).toEqual(['login', 'record', 'warning', 'reply']);
    expect(r.lines[2]).toMatchObject({ type: 'warning', code: 'FM_ERR_BODY_REFUSED' });
    expect(r.lines[3]).toEqual({ type: 'reply', text: '#AB#1\r\n' });
    expect(r.err).toContain('warning: black-box body 0 refused');
  });

  it('decode: not hex exits 2', () => {
    const r = run(['decode', '--protocol', 'teltonika', 'zz']);
    expect(r.code).toBe(2);
  });

  it('serve: an invalid setting stops start-up naming the setting', () => {
    const r = run(['serve', '--teltonika-tcp-port', '70000']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FLEETMETER_TELTONIKA_TCP_PORT/);
  });

  it('serve (the quick start, on chDB): takes a device, shuts down gracefully on SIGTERM, data kept', async () => {
    const dataDir = tempDir('fm-serve-');
    const child = spawn(process.execPath, [bin, 'serve', '--teltonika-tcp-port', '0', '--teltonika-udp-port', '0', '--wialon-tcp-port', '0', '--wialon-udp-port', 'off', '--admin-port', '0', '--api-port', '0', '--mqtt-port', 'off', '--host', '127.0.0.1'], {
      env: { ...process.env, FLEETMETER_DATA_DIR: dataDir, CLICKHOUSE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const ports = await servingPorts<{ teltonikaTcp: number; admin: number }>(child, { timeoutMs: 150_000 });
      const dev = await TcpDevice.connect(ports.teltonikaTcp);
      dev.write(encodeImei('352093086407777'));
      expect((await dev.read(1)).toString('hex')).toBe('01');
      dev.write(encodeAvlPacket(0x08, [{ deviceTime: Date.UTC(2026, 0, 1), latitude: 1, longitude: 2 }]));
      expect((await dev.read(4)).toString('hex')).toBe('00000001');
      const metrics = await (await fetch(`http://127.0.0.1:${ports.admin}/metrics`)).text();
      expect(metrics).toMatch(/fleetmeter_committed_records_total 1/);
      const ready = await fetch(`http://127.0.0.1:${ports.admin}/ready`);
      expect(ready.status).toBe(200);
      dev.close();
      const code = await new Promise<number | null>((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      });
      expect(code).toBe(0);
      const store = await openStore({ backend: 'chdb', path: dataDir, database: 'fleetmeter' });
      const rows = await store.query<{ n: string }>("SELECT count() AS n FROM records FINAL WHERE device_id = '352093086407777'");
      // The rating engine saw the committed record and persisted its online minute on shutdown.
      const presence = await store.query<{ minutes: number }>("SELECT sum(minutes) AS minutes FROM rating_presence WHERE device_id = '352093086407777'");
      await store.close();
      expect(rows[0].n).toBe('1');
      expect(Number(presence[0].minutes)).toBe(1);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
