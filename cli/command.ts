/**
 * `fleetmeter command <deviceId> <text>`: sends a command to a device connected to a running
 * gateway (Teltonika TCP: Codec 12; MQTT: the device's command topic) through the gateway's admin
 * port (`POST /commands/<deviceId>`, with an API key of admin scope: `--api-key` or
 * `FLEETMETER_API_KEY`), and prints the device's response.
 *
 * Exit codes: 0 answered · 1 not answered (not connected, not subscribed, timeout, disconnected) ·
 * 2 usage (incl. a missing, invalid or non-admin key) · 3 gateway not reachable on the admin port.
 */
import type { CommandResult } from '../ingest/commands.ts';
import { parseArgs, switches, valueFlags } from './args.ts';
import { loadConfig } from './runtime.ts';

const USAGE = `usage: fleetmeter command <deviceId> <text…> [--timeout-ms 30000] [--json] [--api-key fmk_…]
                          [--admin-host 127.0.0.1] [--admin-port 9464]

Sends <text> to the device through the running gateway's admin port and prints its response.
Teltonika TCP devices get a Codec 12 command; MQTT devices get {"id", "command"} on
<prefix>/<deviceId>/commands and answer on <prefix>/<deviceId>/responses.

  --timeout-ms   how long to wait for the answer (default 30000)
  --json         print the whole result as JSON (command, response, sentAt, answeredAt)
  --api-key      an API key with the admin scope (fleetmeter apikey create --scopes admin);
                 default: the FLEETMETER_API_KEY environment variable (preferred: a flag shows in ps)

exit codes: 0 answered, 1 not answered, 2 usage (or a missing, invalid or non-admin key), 3 gateway not reachable
`;

export async function run(args: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(args, [...valueFlags('timeout-ms', 'admin-host', 'admin-port', 'api-key'), ...switches('json')]);
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [deviceId, ...words] = positionals;
  const text = words.join(' ');
  const timeoutMs = flags['timeout-ms'] === undefined ? 30_000 : Number(flags['timeout-ms']);
  if (!deviceId || !text || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    process.stderr.write(`fleetmeter command: ${!deviceId || !text ? 'expected a device id and a command text' : '--timeout-ms: expected an integer 1..600000'}\n\n${USAGE}`);
    return 2;
  }
  const apiKey = flags['api-key'] ?? process.env.FLEETMETER_API_KEY ?? '';
  const config = loadConfig({ 'admin-host': flags['admin-host'], 'admin-port': flags['admin-port'] });
  if (config.adminPort === null) {
    process.stderr.write('fleetmeter command: the admin port is off (--admin-port); commands go through it\n');
    return 2;
  }
  const host = config.adminHost === '0.0.0.0' ? '127.0.0.1' : config.adminHost === '::' ? '::1' : config.adminHost;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.adminPort}/commands/${encodeURIComponent(deviceId)}`;

  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      body: JSON.stringify({ command: text, timeoutMs }),
      signal: AbortSignal.timeout(timeoutMs + 5_000),
    });
  } catch (err) {
    const c = (err as { cause?: { code?: string; message?: string } }).cause;
    const cause = c?.code ?? c?.message ?? (err as Error).message;
    process.stderr.write(`fleetmeter command: no gateway answering on ${host}:${config.adminPort} (${cause}); is \`fleetmeter serve\` running with this --admin-port?\n`);
    return 3;
  }
  const body = (await res.json().catch(() => null)) as (CommandResult & { code?: string; message?: string }) | null;
  if (res.ok && body) {
    process.stdout.write(flags.json === 'true' ? JSON.stringify(body) + '\n' : body.response + '\n');
    return 0;
  }
  if (body?.code) {
    const hint = res.status === 401 || res.status === 403 ? `; pass an API key with the admin scope: --api-key or FLEETMETER_API_KEY${apiKey ? '' : ' (none was given)'}` : '';
    process.stderr.write(`fleetmeter command: ${body.message} (${body.code})${hint}\n`);
    return res.status === 400 || res.status === 401 || res.status === 403 ? 2 : 1;
  }
  process.stderr.write(`fleetmeter command: the gateway answered HTTP ${res.status}\n`);
  return 1;
}
