/**
 * Commands end to end through the CLI: `fleetmeter command <deviceId> <text>` (a real child
 * process) → the gateway's admin port → a Teltonika TCP device (Codec 12) or an MQTT device (its
 * command topic) → the device's answer printed by the CLI, with an API key of admin scope
 * (`FLEETMETER_API_KEY` or `--api-key`). Exit codes for every failure.
 */
import { spawn } from 'node:child_process';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCommandPacket, encodeCommandResponse, encodeImei } from '../protocols/teltonika/index.ts';
import type { Store } from '../store/types.ts';
import { backends } from './support/backends.ts';
import { TcpDevice } from './support/device.ts';
import { startTestGateway, type TestGateway } from './support/gateway.ts';
import { connectDevice, freeLoopbackPort } from './support/mqtt.ts';

const bin = new URL('../bin/fleetmeter.js', import.meta.url).pathname;
/** An API key with the admin scope on the test gateway (set in beforeAll). */
let adminKey = '';

/** Runs the CLI as a user would, with `FLEETMETER_API_KEY` = `apiKey` (none: unset); resolves with its exit code and output. */
function cli(args: string[], apiKey: string | null = adminKey): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const { FLEETMETER_API_KEY: _k, ...env } = process.env;
    const child = spawn(process.execPath, [bin, 'command', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, CLICKHOUSE_URL: '', ...(apiKey === null ? {} : { FLEETMETER_API_KEY: apiKey }) } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

describe('fleetmeter command', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let gw: TestGateway;
  let admin: string[];
  let readKey: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    ({ store, cleanup } = await backends[0].open());
    gw = await startTestGateway(store, { mqttPort: 0 });
    admin = ['--admin-port', String(gw.ports.admin)];
    adminKey = (await gw.keys.create('ops', ['admin'])).key;
    readKey = (await gw.keys.create('viewer', ['read'])).key;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await gw?.close();
    await cleanup?.();
  });

  it('a Teltonika TCP device gets Codec 12 and its response is printed', async () => {
    const dev = await TcpDevice.connect(gw.ports.teltonikaTcp!);
    dev.write(encodeImei('352093086409777'));
    expect((await dev.read(1)).toString('hex')).toBe('01');
    const run = cli(['352093086409777', 'setdigout', '1', ...admin]);
    // Codec 12 command packet: 8 bytes header, codec, qty, type, size u32, text, qty, CRC u32.
    const head = await dev.read(8, 15_000);
    const rest = await dev.read(head.readUInt32BE(4) + 4);
    const packet = decodeCommandPacket(Buffer.concat([head, rest]));
    expect(packet).toMatchObject({ ok: true, type: 0x05, texts: ['setdigout 1'] });
    dev.write(encodeCommandResponse('DOUT1:1 Timeout:INFINITY'));
    const r = await run;
    expect(r).toMatchObject({ code: 0, out: 'DOUT1:1 Timeout:INFINITY\n' });
    dev.close();
  });

  it('an MQTT device gets {id, command} on its command topic and answers on its response topic', async () => {
    const c = await connectDevice(gw.ports.mqtt!, 'mqtt-cmd-1');
    clients.push(c);
    await c.subscribeAsync('fleetmeter/mqtt-cmd-1/commands', { qos: 1 });
    c.on('message', (_topic, payload) => {
      const { id, command } = JSON.parse(payload.toString()) as { id: string; command: string };
      void c.publishAsync('fleetmeter/mqtt-cmd-1/responses', JSON.stringify({ id, response: `ok: ${command}` }), { qos: 1 });
    });
    // The key as a flag this time (the other runs take FLEETMETER_API_KEY).
    const r = await cli(['mqtt-cmd-1', 'getinfo', '--json', '--api-key', adminKey, ...admin], null);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ deviceId: 'mqtt-cmd-1', command: 'getinfo', response: 'ok: getinfo' });
  });

  it('failures through the CLI: a clear message and exit code 1 (not answered) or 3 (no gateway)', async () => {
    const unsubscribed = await connectDevice(gw.ports.mqtt!, 'mqtt-cmd-2');
    clients.push(unsubscribed);
    const [notSubscribed, noGateway] = await Promise.all([
      cli(['mqtt-cmd-2', 'getinfo', ...admin]),
      cli(['mqtt-cmd-1', 'getinfo', '--admin-port', String(await freeLoopbackPort())]),
    ]);
    expect(notSubscribed).toMatchObject({ code: 1 });
    expect(notSubscribed.err).toMatch(/not subscribed to fleetmeter\/mqtt-cmd-2\/commands \(FM_ERR_COMMAND_NOT_DELIVERED\)/);
    expect(noGateway).toMatchObject({ code: 3 });
    expect(noGateway.err).toMatch(/no gateway answering/);
  });

  it('without an admin key the CLI is refused: exit 2 and how to pass one', async () => {
    const [none, read] = await Promise.all([cli(['mqtt-cmd-1', 'getinfo', ...admin], null), cli(['mqtt-cmd-1', 'getinfo', ...admin], readKey)]);
    expect(none).toMatchObject({ code: 2 });
    expect(none.err).toMatch(/FM_ERR_UNAUTHORIZED.*--api-key or FLEETMETER_API_KEY \(none was given\)/);
    expect(read).toMatchObject({ code: 2 });
    expect(read.err).toMatch(/scope admin.*FM_ERR_FORBIDDEN/);
  });

  it('the admin endpoint maps each failure to a status and a code', async () => {
    const silent = await connectDevice(gw.ports.mqtt!, 'mqtt-cmd-3');
    clients.push(silent);
    await silent.subscribeAsync('fleetmeter/mqtt-cmd-3/commands', { qos: 1 });
    /** `device` goes into the path as given (already percent-encoded). */
    const post = async (device: string, body: unknown) => {
      const r = await fetch(`http://127.0.0.1:${gw.ports.admin}/commands/${device}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as { code: string; message: string } };
    };
    expect(await post('nobody-1', { command: 'getinfo' })).toMatchObject({ status: 404, body: { code: 'FM_ERR_DEVICE_NOT_CONNECTED', message: 'device nobody-1 is not connected to this gateway' } });
    expect(await post('mqtt-cmd-3', { command: 'getinfo', timeoutMs: 200 })).toMatchObject({ status: 504, body: { code: 'FM_ERR_COMMAND_TIMEOUT' } });
    expect(await post('mqtt-cmd-3', 'not json')).toMatchObject({ status: 400, body: { code: 'FM_ERR_BAD_REQUEST' } });
    expect(await post('mqtt-cmd-3', { command: '' })).toMatchObject({ status: 400, body: { code: 'FM_ERR_BAD_REQUEST' } });
    expect(await post('%E0%A4%A', { command: 'x' })).toMatchObject({ status: 400 });
  });

  it('every command and how it ended is journaled in ClickHouse, listed newest first at GET /commands/<id>', async () => {
    const journal = async (device: string) => {
      const r = await fetch(`http://127.0.0.1:${gw.ports.admin}/commands/${device}`, { headers: { 'x-api-key': adminKey } });
      expect(r.status).toBe(200);
      return ((await r.json()) as { items: { command: string; outcome: string; response: string; detail: string; protocol: string; sentAt: number; at: number }[] }).items;
    };
    // mqtt-cmd-1 answered "getinfo" above (through the CLI); mqtt-cmd-3 timed out; nobody-1 was not connected.
    const answered = await journal('mqtt-cmd-1');
    expect(answered).toEqual([expect.objectContaining({ command: 'getinfo', outcome: 'answered', response: 'ok: getinfo', protocol: 'mqtt' })]);
    expect(answered[0].at).toBeGreaterThanOrEqual(answered[0].sentAt);
    const silent = await journal('mqtt-cmd-3');
    expect(silent.map((e) => e.outcome)).toEqual(['timeout']);
    expect(silent[0].detail).toMatch(/did not answer "getinfo" within 200 ms/);
    expect((await journal('nobody-1')).map((e) => e.outcome)).toEqual(['not-connected']);
    expect((await journal('mqtt-cmd-2')).map((e) => e.outcome)).toEqual(['not-delivered']);
    expect(await journal('never-seen')).toEqual([]);
  });
});
