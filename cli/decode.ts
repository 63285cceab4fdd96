/**
 * `fleetmeter decode`: paste a frame or a captured stream from a log and see what the device said:
 * one JSON object per line — each handshake/login, each decoded record, the reply the server would
 * send, and any error. Exits 1 if any frame was malformed, with the reason on stderr.
 */
import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '../protocols/common/hex.ts';
import type { TelemetryRecord } from '../protocols/record.ts';
import * as teltonika from '../protocols/teltonika/index.ts';
import * as wialon from '../protocols/wialon-ips/index.ts';
import { parseArgs, switches, valueFlags } from './args.ts';

const HELP = `usage: fleetmeter decode --protocol teltonika|wialon-ips [--transport tcp|udp] [--device ID] [--hex] [DATA]

DATA is the captured bytes: hex for Teltonika (spaces, colons and 0x allowed), raw text for Wialon
IPS (or hex with --hex). Without DATA, it is read from standard input.
A Teltonika TCP capture that starts with a packet instead of the IMEI handshake is decoded as if
device --device (default 000000000000000) had logged in; likewise a Wialon stream without #L#.

Output: one JSON object per line, "type" being handshake | login | record | warning | reply | response | error.
A warning (a refused Wialon black-box body, a dropped param) is also said on stderr; it does not
change the exit code.
Exit code: 0 when every frame decoded, 1 when any was malformed, 2 on bad usage.`;

type Out = (obj: object) => void;

export async function run(args: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(args, [...valueFlags('protocol', 'transport', 'device'), ...switches('hex')]);
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const protocol = flags.protocol;
  const transport = flags.transport ?? 'tcp';
  if ((protocol !== 'teltonika' && protocol !== 'wialon-ips') || (transport !== 'tcp' && transport !== 'udp')) {
    process.stderr.write(`fleetmeter decode: --protocol must be teltonika or wialon-ips, --transport tcp or udp\n\n${HELP}\n`);
    return 2;
  }
  const text = positionals.length > 0 ? positionals.join(' ') : readFileSync(0, 'utf8');
  let bytes: Uint8Array;
  try {
    bytes = protocol === 'teltonika' || flags.hex ? fromHex(text.trim()) : Buffer.from(text, 'utf8');
  } catch (err) {
    process.stderr.write(`fleetmeter decode: input is not valid hex: ${(err as Error).message}\n`);
    return 2;
  }
  const lines: string[] = [];
  const warnings: string[] = [];
  const out: Out = (obj) => {
    lines.push(JSON.stringify(obj, jsonValue));
    if ((obj as { type?: string }).type === 'warning') warnings.push((obj as { message: string }).message);
  };
  const receivedAt = Date.now();
  const errors =
    protocol === 'teltonika'
      ? transport === 'tcp'
        ? decodeTeltonikaTcp(bytes, flags.device ?? '000000000000000', receivedAt, out)
        : decodeUdp(teltonika.decodeUdpDatagram(bytes, receivedAt), out)
      : transport === 'tcp'
        ? decodeWialonTcp(bytes, flags.device ?? null, receivedAt, out)
        : decodeUdp(wialon.decodeUdpDatagram(bytes, receivedAt), out);
  process.stdout.write(lines.map((l) => l + '\n').join(''));
  for (const w of warnings) process.stderr.write(`fleetmeter decode: warning: ${w}\n`);
  for (const e of errors) process.stderr.write(`fleetmeter decode: ${e}\n`);
  return errors.length > 0 ? 1 : 0;
}

function jsonValue(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return toHex(v);
  return v;
}

function recordOut(r: TelemetryRecord): object {
  const io =
    r.protocol === 'teltonika'
      ? r.io.map((e) => (typeof e.id === 'number' ? teltonika.presentIo(e.id, e.value) : e))
      : r.io;
  return { type: 'record', ...r, deviceTimeIso: r.deviceTime === null ? null : new Date(r.deviceTime).toISOString(), io };
}

function decodeTeltonikaTcp(bytes: Uint8Array, device: string, receivedAt: number, out: Out): string[] {
  const errors: string[] = [];
  const framer = teltonika.createTcpFramer({ maxFrameSize: 16 * 1024 * 1024 });
  // A capture of packets only (no handshake): log in as --device first.
  const startsWithPacket = bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0 && bytes[3] === 0;
  if (startsWithPacket) framer.push(teltonika.encodeImei(device));
  let imei = device;
  const events = framer.push(bytes);
  for (const ev of events) {
    if (!ev.ok) {
      out({ type: 'error', code: ev.error.code, message: ev.error.message, reply: ev.reply ? toHex(ev.reply) : null });
      errors.push(ev.error.message);
      if (ev.fatal) break;
      continue;
    }
    const f = ev.frame;
    if (f.kind === 'imei') {
      imei = f.imei;
      out({ type: 'handshake', imei, reply: toHex(teltonika.imeiReply(true)) });
    } else if (f.kind === 'ping') {
      out({ type: 'ping' });
    } else {
      const r = teltonika.decodeTcpPacket(f.bytes, { deviceId: imei, receivedAt });
      if (!r.ok) {
        out({ type: 'error', code: r.error.code, message: r.error.message, reply: r.reply ? toHex(r.reply) : null });
        errors.push(r.error.message);
      } else if (r.kind === 'command-response') {
        for (const text of r.responses) out({ type: 'response', codec: 12, text });
      } else {
        for (const rec of r.records) out(recordOut(rec));
        out({ type: 'reply', hex: toHex(r.reply) });
      }
    }
  }
  if (framer.buffered > 0) {
    const msg = `stream ends inside a frame: ${framer.buffered} bytes wait for the rest`;
    out({ type: 'error', code: 'FM_ERR_TRUNCATED', message: msg, reply: null });
    errors.push(msg);
  }
  return errors;
}

function decodeWialonTcp(bytes: Uint8Array, device: string | null, receivedAt: number, out: Out): string[] {
  const errors: string[] = [];
  const framer = wialon.createTcpFramer({ maxFrameSize: 16 * 1024 * 1024 });
  const state: wialon.WialonSessionState = { deviceId: device, version: device ? '2.0' : null };
  // A pasted line often lacks its \r\n terminator.
  const last = bytes[bytes.length - 1];
  const input = last === 0x0a || last === 0x0d ? bytes : Buffer.concat([bytes, Buffer.from('\r\n')]);
  for (const ev of framer.push(input)) {
    if (!ev.ok) {
      out({ type: 'error', code: ev.error.code, message: ev.error.message, reply: ev.reply ? Buffer.from(ev.reply).toString('utf8') : null });
      errors.push(ev.error.message);
      if (ev.fatal) break;
      continue;
    }
    const r = wialon.decodePacket(ev.frame, state, receivedAt);
    if (!r.ok) {
      out({ type: 'error', code: r.error.code, message: r.error.message, reply: r.reply ? Buffer.from(r.reply).toString('utf8') : null });
      errors.push(r.error.message);
      continue;
    }
    if (r.type === 'L') {
      const login = (r as Extract<typeof r, { type: 'L' }>).login;
      state.deviceId = login.deviceId;
      state.version = login.version;
      out({ type: 'login', ...login, reply: Buffer.from(wialon.loginReply(login.version, 'accepted')).toString('utf8') });
      continue;
    }
    for (const rec of 'records' in r ? r.records : []) out(recordOut(rec));
    warningsOut('warnings' in r ? r.warnings : undefined, out);
    if (r.reply) out({ type: 'reply', text: Buffer.from(r.reply).toString('utf8') });
  }
  return errors;
}

type Warning = string | { readonly code: string; readonly message: string };

function warningsOut(warnings: readonly Warning[] | undefined, out: Out): void {
  for (const w of warnings ?? []) out(typeof w === 'string' ? { type: 'warning', message: w } : { type: 'warning', code: w.code, message: w.message });
}

function decodeUdp(
  r:
    | { ok: true; records: readonly TelemetryRecord[]; reply: Uint8Array | null; warnings?: readonly Warning[] }
    | { ok: false; error: { code: string; message: string }; reply: Uint8Array | null },
  out: Out,
): string[] {
  if (!r.ok) {
    out({ type: 'error', code: r.error.code, message: r.error.message, reply: r.reply ? toHex(r.reply) : null });
    return [r.error.message];
  }
  for (const rec of r.records) out(recordOut(rec));
  warningsOut(r.warnings, out);
  out({ type: 'reply', hex: r.reply ? toHex(r.reply) : null });
  return [];
}
