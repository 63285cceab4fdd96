/**
 * The admin listener: Prometheus metrics, liveness, readiness, and `/commands/<deviceId>` (POST: a
 * command to a connected device, used by `fleetmeter command`; GET: the device's command journal).
 * Small on purpose: node:http. `/metrics`, `/health` and `/ready` are open; `/commands` needs an
 * API key with the admin scope (the REST API's keys, checked by `AdminKeys`), takes JSON only and
 * refuses cross-origin requests, so a web page in a browser on the same host cannot command a
 * device. It binds to loopback by default (--admin-host).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { CommandJournal } from './command-journal.ts';
import { CommandError, type CommandErrorCode, type CommandRouter } from './commands.ts';

/**
 * What the admin port asks of the key a request presents (`Authorization: Bearer fmk_…` or
 * `X-Api-Key`): app/ answers with the REST API's keys (api/api-keys.ts), which ingest may not import.
 */
export interface AdminKeys {
  /** Whether the request's key carries the admin scope; if not, the status (401: none, unknown, revoked; 403: another scope), code and message to answer with. */
  authorize(headers: IncomingHttpHeaders): { readonly ok: true; readonly keyId: string } | { readonly ok: false; readonly status: 401 | 403; readonly code: string; readonly message: string };
}

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Body of `POST /commands/<deviceId>`: `{"command": "getinfo", "timeoutMs": 30000}`. */
export interface CommandRequest {
  readonly command: string;
  readonly timeoutMs?: number;
}

const MAX_BODY_BYTES = 64 * 1024;
const MAX_COMMAND_TIMEOUT_MS = 10 * 60_000;

/** HTTP status per command error: the CLI maps them to its messages and exit codes. */
export const COMMAND_ERROR_STATUS: { readonly [C in CommandErrorCode]: number } = {
  FM_ERR_DEVICE_NOT_CONNECTED: 404,
  FM_ERR_COMMAND_NOT_DELIVERED: 409,
  FM_ERR_UNSUPPORTED: 501,
  FM_ERR_DEVICE_DISCONNECTED: 502,
  FM_ERR_COMMAND_TIMEOUT: 504,
};

export async function startAdminServer(
  host: string,
  port: number,
  registry: Registry,
  ready: () => Promise<{ ok: boolean; detail: string }>,
  commands: CommandRouter | null = null,
  journal: CommandJournal | null = null,
  keys: AdminKeys | null = null,
): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const error = (status: number, code: string, message: string) => reply(status, 'application/json', JSON.stringify({ code, message }) + '\n');
    if (path.startsWith('/commands/') && (commands || journal)) {
      if (req.method !== 'POST' && req.method !== 'GET') return reply(405, 'text/plain', 'method not allowed\n');
      // Cross-origin first: a browser page on another origin is refused whatever else it sends.
      const foreign = crossOrigin(req.headers);
      if (foreign !== null) return error(403, 'FM_ERR_FORBIDDEN', `cross-origin requests are refused (${foreign}): the admin port serves command-line tools, not web pages`);
      if (keys === null) return error(401, 'FM_ERR_UNAUTHORIZED', 'commands need an admin API key, and this gateway was started without API keys');
      const auth = keys.authorize(req.headers);
      if (!auth.ok) return error(auth.status, auth.code, auth.message);
      if (req.method === 'POST') {
        if (!commands) return reply(405, 'text/plain', 'method not allowed\n');
        const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        if (type !== 'application/json') return error(415, 'FM_ERR_UNSUPPORTED_MEDIA_TYPE', `content-type: expected application/json, got ${JSON.stringify(req.headers['content-type'] ?? '(none)')}`);
        return void postCommand(commands, path.slice('/commands/'.length), req, res);
      }
    }
    if (req.method !== 'GET') return reply(405, 'text/plain', 'method not allowed\n');
    if (path.startsWith('/commands/') && journal) {
      // The device's command journal, newest first: what was asked and what it answered.
      let deviceId: string;
      try {
        deviceId = decodeURIComponent(path.slice('/commands/'.length));
      } catch {
        return reply(400, 'application/json', JSON.stringify({ code: 'FM_ERR_BAD_REQUEST', message: 'path: not a valid device id' }) + '\n');
      }
      journal.list(deviceId).then(
        (items) => reply(200, 'application/json', JSON.stringify({ items }) + '\n'),
        (err: Error) => reply(503, 'application/json', JSON.stringify({ code: 'FM_ERR_UNAVAILABLE', message: err.message }) + '\n'),
      );
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => reply(200, registry.contentType, text),
        (err: Error) => reply(500, 'text/plain', `metrics failed: ${err.message}\n`),
      );
      return;
    }
    if (path === '/health') return reply(200, 'application/json', '{"status":"ok"}\n');
    if (path === '/ready') {
      ready().then(
        (r) => reply(r.ok ? 200 : 503, 'application/json', JSON.stringify({ status: r.ok ? 'ready' : 'not ready', detail: r.detail }) + '\n'),
        (err: Error) => reply(503, 'application/json', JSON.stringify({ status: 'not ready', detail: err.message }) + '\n'),
      );
      return;
    }
    reply(404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Why a request comes from a browser page on another origin, or null. Browsers send
 * `Sec-Fetch-Site` (anything but same-origin, or none for a typed-in URL, is another page) and
 * `Origin` on every POST, incl. a form's or a `text/plain` "simple request" that needs no CORS
 * preflight; an Origin must be this port's own (`http://` + Host). Tools like the CLI send neither.
 */
function crossOrigin(headers: IncomingHttpHeaders): string | null {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site: ${site}`;
  const origin = headers.origin;
  if (origin !== undefined && (headers.host === undefined || origin.toLowerCase() !== `http://${headers.host.toLowerCase()}`)) return `Origin: ${origin}`;
  return null;
}

/** Sends the command and answers with the device's response, or `{code, message}` and a status. */
async function postCommand(commands: CommandRouter, encodedId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const json = (status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body) + '\n');
  };
  let deviceId: string;
  try {
    deviceId = decodeURIComponent(encodedId);
  } catch {
    return json(400, { code: 'FM_ERR_BAD_REQUEST', message: 'path: the device id is not valid percent-encoding' });
  }
  const parsed = await readCommandRequest(req).catch(() => 'body: could not be read');
  if (typeof parsed === 'string') return json(400, { code: 'FM_ERR_BAD_REQUEST', message: parsed });
  if (!deviceId) return json(400, { code: 'FM_ERR_BAD_REQUEST', message: 'path: expected /commands/<deviceId>' });
  try {
    const result = await commands.send(deviceId, parsed.command, parsed.timeoutMs);
    json(200, result);
  } catch (err) {
    if (err instanceof CommandError) return json(COMMAND_ERROR_STATUS[err.code], { code: err.code, message: err.message });
    json(500, { code: 'FM_ERR_INTERNAL', message: 'command failed' });
  }
}

/** The request body as a CommandRequest, or what is wrong with it. */
async function readCommandRequest(req: IncomingMessage): Promise<CommandRequest | string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return `body: expected at most ${MAX_BODY_BYTES} bytes`;
    chunks.push(chunk);
  }
  let body: { command?: unknown; timeoutMs?: unknown };
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
  } catch {
    return 'body: expected JSON {"command": "<text>", "timeoutMs": <ms>}';
  }
  if (typeof body !== 'object' || body === null || typeof body.command !== 'string' || body.command.length === 0) {
    return 'body.command: expected a non-empty string';
  }
  const t = body.timeoutMs;
  if (t !== undefined && !(typeof t === 'number' && Number.isInteger(t) && t >= 1 && t <= MAX_COMMAND_TIMEOUT_MS)) {
    return `body.timeoutMs: expected an integer 1..${MAX_COMMAND_TIMEOUT_MS}`;
  }
  return { command: body.command, timeoutMs: t as number | undefined };
}
