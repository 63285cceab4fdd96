/**
 * §6 SD (short data) and §7 D (extended data): body parsing, the mapping to `TelemetryRecord`, and
 * the two packet decoders with their ASD / AD answers.
 */
import { protocolError, type ProtocolError } from '../common/errors.ts';
import type { IoElement, TelemetryRecord } from '../record.ts';
import { answerData, answerShortData, type AsdCode } from './answers.ts';
import { parseCoordinate } from './coords.ts';
import { checkCrc, parseCrcToken } from './crc.ts';
import { crc16arc } from '../common/crc.ts';
import { parseDateTime } from './datetime.ts';
import { isAbsent, parseBitmask, parseDecimal, parseOptionalDecimal, utf8 } from './fields.ts';
import type { WialonDataBody, WialonExtendedData, WialonFix, WialonPacketResult, WialonShortData, WialonVersion } from './model.ts';
import { parseParams } from './params.ts';
import { scanBody, WIALON_EXTRAS } from './scan.ts';

/** §14: "strict about the number of `;` fields (10 for SD, 16 for D, before the CRC)". */
export const SD_FIELDS = 10;
export const D_FIELDS = 16;

/** Who sent the packet and when it arrived: what a decoder needs from the session. */
export interface PacketContext {
  readonly deviceId: string;
  readonly version: WialonVersion;
  readonly receivedAt: number;
}

/** Why a body was refused, as the SD/D answer code of §6/§7 (-1 structure, 0 time, 10–15 fields). */
export type BodyErrorCode = -1 | 0 | 10 | 11 | 12 | 13 | 14 | 15;

export type BodyParse<T> =
  | { readonly ok: true; readonly body: T; readonly dropped: readonly string[] }
  | { readonly ok: false; readonly code: BodyErrorCode; readonly message: string };

const NO_DROPS: readonly string[] = [];

function bad(code: BodyErrorCode, message: string): { ok: false; code: BodyErrorCode; message: string } {
  return { ok: false, code, message };
}

/** The 10 fields shared by SD and D, from `fields[0..9]` (the caller checked the count). */
function parseFix(fields: readonly string[]): WialonFix | { ok: false; code: BodyErrorCode; message: string } {
  const time = parseDateTime(fields[0], fields[1]);
  if (Number.isNaN(time)) return bad(0, `impossible date/time "${fields[0].slice(0, 16)};${fields[1].slice(0, 16)}"`);
  const latitude = parseCoordinate(fields[2], fields[3], 'lat');
  if (Number.isNaN(latitude)) return bad(10, `bad latitude "${fields[2].slice(0, 16)};${fields[3].slice(0, 4)}"`);
  const longitude = parseCoordinate(fields[4], fields[5], 'lon');
  if (Number.isNaN(longitude)) return bad(10, `bad longitude "${fields[4].slice(0, 16)};${fields[5].slice(0, 4)}"`);
  const speed = parseOptionalDecimal(fields[6]);
  if (Number.isNaN(speed) || (speed !== null && speed < 0)) return bad(11, `bad speed "${fields[6].slice(0, 16)}"`);
  const course = parseOptionalDecimal(fields[7]);
  if (Number.isNaN(course) || (course !== null && (course < 0 || course > 360))) {
    return bad(11, `bad course "${fields[7].slice(0, 16)}", expected 0..360`);
  }
  const altitude = parseOptionalDecimal(fields[8]);
  if (Number.isNaN(altitude)) return bad(11, `bad altitude "${fields[8].slice(0, 16)}"`);
  const satellites = parseOptionalDecimal(fields[9]);
  if (satellites !== null && !(Number.isSafeInteger(satellites) && satellites >= 0)) {
    return bad(12, `bad satellite count "${fields[9].slice(0, 16)}"`);
  }
  return { time, latitude, longitude, speed: zero(speed), course: zero(course), altitude: zero(altitude), satellites };
}

/** §6 SD body: exactly 10 fields. */
export function parseShortBody(fields: readonly string[]): BodyParse<WialonShortData> {
  if (fields.length !== SD_FIELDS) return bad(-1, `SD body has ${fields.length} fields, expected ${SD_FIELDS}`);
  const fix = parseFix(fields);
  if ('ok' in fix) return fix;
  return { ok: true, dropped: NO_DROPS, body: { kind: 'SD', ...fix } };
}

/** -0 → 0, so a decoded body compares equal to what an encoder meant. */
function zero(v: number | null): number | null {
  return v === 0 ? 0 : v;
}

/** §7: adc1..adcN, comma-separated floats; empty or `NA` means none; an `NA`/empty item is null. */
export function parseAdc(field: string): (number | null)[] | null {
  if (isAbsent(field)) return [];
  const items = field.split(',');
  const out: (number | null)[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    if (isAbsent(items[i])) {
      out[i] = null;
      continue;
    }
    const v = parseDecimal(items[i]);
    if (Number.isNaN(v)) return null;
    out[i] = v === 0 ? 0 : v;
  }
  return out;
}

/** The 16 fields of D (§7), from `fields[0..15]`. */
export function parseExtendedBody(fields: readonly string[]): BodyParse<WialonExtendedData> {
  if (fields.length !== D_FIELDS) return bad(-1, `D body has ${fields.length} fields, expected ${D_FIELDS}`);
  const fix = parseFix(fields);
  if ('ok' in fix) return fix;
  const hdop = parseOptionalDecimal(fields[10]);
  if (Number.isNaN(hdop) || (hdop !== null && hdop < 0)) return bad(12, `bad HDOP "${fields[10]}"`);
  const inputs = isAbsent(fields[11]) ? null : parseBitmask(fields[11]);
  if (inputs === null && !isAbsent(fields[11])) return bad(13, `bad inputs "${fields[11].slice(0, 32)}"`);
  const outputs = isAbsent(fields[12]) ? null : parseBitmask(fields[12]);
  if (outputs === null && !isAbsent(fields[12])) return bad(13, `bad outputs "${fields[12].slice(0, 32)}"`);
  const adc = parseAdc(fields[13]);
  if (adc === null) return bad(14, `bad ADC list "${fields[13].slice(0, 64)}"`);
  const ibutton = isAbsent(fields[14]) ? null : fields[14];
  const params = parseParams(fields[15]);
  if (!params.ok) return bad(15, params.message);
  return {
    ok: true,
    dropped: params.dropped,
    body: { kind: 'D', ...fix, hdop: zero(hdop), inputs, outputs, adc, ibutton, params: params.params },
  };
}

/** §8: a black-box body is SD or D, told apart by its field count. */
export function parseDataBody(text: string): BodyParse<WialonDataBody> {
  const fields = text.split(';');
  if (fields.length === SD_FIELDS) return parseShortBody(fields);
  if (fields.length === D_FIELDS) return parseExtendedBody(fields);
  return bad(-1, `body has ${fields.length} fields, expected ${SD_FIELDS} (SD) or ${D_FIELDS} (D)`);
}

/**
 * A fix is valid when it has both coordinates and, if the device reports satellites, at least 3.
 * The doc has no validity flag or rule (§6 carries no fix field); 3 satellites is the minimum for a
 * 2-D fix and is the rule traccar applies (§16 sources). With satellites `NA`, the coordinates are
 * trusted.
 */
export function isValidFix(fix: Pick<WialonFix, 'latitude' | 'longitude' | 'satellites'>): boolean {
  return fix.latitude !== null && fix.longitude !== null && (fix.satellites === null || fix.satellites >= 3);
}

export interface RecordOptions extends PacketContext {
  /** SD, D or B: the packet that carried the body. */
  readonly packetType: 'SD' | 'D' | 'B';
  /** §8: black-box bodies are history. */
  readonly archive: boolean;
}

/** io ids for the D fields that are not params: `inputs`, `outputs`, `adc1`…`adcN`, `ibutton`. */
export function bodyIo(body: WialonDataBody): IoElement[] {
  if (body.kind === 'SD') return [];
  const io: IoElement[] = [];
  if (body.inputs !== null) io.push({ id: 'inputs', value: body.inputs });
  if (body.outputs !== null) io.push({ id: 'outputs', value: body.outputs });
  for (let i = 0; i < body.adc.length; i++) {
    const v = body.adc[i];
    if (v !== null) io.push({ id: 'adc' + (i + 1), value: v });
  }
  if (body.ibutton !== null) io.push({ id: 'ibutton', value: body.ibutton });
  for (const p of body.params) io.push({ id: p.name, value: p.value });
  return io;
}

export function bodyToRecord(body: WialonDataBody, opts: RecordOptions): TelemetryRecord {
  const e = WIALON_EXTRAS[opts.version];
  const extras = opts.packetType === 'B' ? e.blackBox[body.kind] : e.packet[opts.packetType];
  return {
    protocol: 'wialon-ips',
    deviceId: opts.deviceId,
    deviceTime: body.time,
    receivedAt: opts.receivedAt,
    latitude: body.latitude,
    longitude: body.longitude,
    altitude: body.altitude,
    speed: body.speed,
    course: body.course,
    satellites: body.satellites,
    hdop: body.kind === 'D' ? body.hdop : null,
    valid: isValidFix(body),
    priority: null,
    eventId: null,
    io: bodyIo(body),
    archive: opts.archive,
    extras,
  };
}

export function droppedWarnings(dropped: readonly string[]): ProtocolError[] | undefined {
  if (dropped.length === 0) return undefined;
  return dropped.map((d) => protocolError('FM_ERR_BAD_FIELD', `param dropped (value does not match its type, §7): ${d}`));
}

/**
 * `#SD#…` (§6) or `#D#…` (§7) after `#PT#`, i.e. `packet[bodyStart..]`. Order of checks:
 * field count (structure, -1; a v2.0 packet without its CRC field lands here, §12), then the v2.0
 * CRC (ASD 13 / AD 16), then the fields (0, 10–15).
 */
export function decodeDataPacket(
  type: 'SD' | 'D',
  packet: Uint8Array,
  bodyStart: number,
  ctx: PacketContext,
): WialonPacketResult {
  // The fast path reads the bytes in place; it declines whatever the text path below must judge.
  const fast = scanDataPacket(type, packet, bodyStart, ctx);
  if (fast !== null) return fast;
  const structureError = type === 'SD' ? answerShortData(-1) : answerData(-1);
  const text = utf8(packet, bodyStart);
  const fields = text.split(';');
  const expected = (type === 'SD' ? SD_FIELDS : D_FIELDS) + (ctx.version === '2.0' ? 1 : 0);
  if (fields.length !== expected) {
    return fail('FM_ERR_MALFORMED', `${type} has ${fields.length} ;-fields, expected ${expected} for v${ctx.version}`, structureError);
  }
  if (ctx.version === '2.0') {
    const token = fields.pop() as string;
    const crc = checkCrc(packet, bodyStart, packet.length - token.length, token);
    if (crc.status === 'missing') return fail('FM_ERR_MALFORMED', crc.message, structureError);
    if (crc.status === 'mismatch') return fail('FM_ERR_CRC_MISMATCH', crc.message, type === 'SD' ? answerShortData(13) : answerData(16));
  }
  const parsed = type === 'SD' ? parseShortBody(fields) : parseExtendedBody(fields);
  if (!parsed.ok) {
    const code = parsed.code === -1 ? 'FM_ERR_MALFORMED' : 'FM_ERR_BAD_FIELD';
    // SD has no codes 13–15; its fields cannot produce them.
    return fail(code, parsed.message, type === 'SD' ? answerShortData(parsed.code as AsdCode) : answerData(parsed.code));
  }
  const record = bodyToRecord(parsed.body, { ...ctx, packetType: type, archive: false });
  const warnings = droppedWarnings(parsed.dropped);
  return {
    ok: true,
    type,
    records: [record],
    reply: type === 'SD' ? answerShortData(1) : answerData(1),
    ...(warnings ? { warnings } : {}),
  };
}

/** `#SD#`/`#D#` by scan.ts: the packet's record and `#ASD#1`/`#AD#1`, or null for the text path. */
function scanDataPacket(type: 'SD' | 'D', packet: Uint8Array, bodyStart: number, ctx: PacketContext): WialonPacketResult | null {
  let end = packet.length;
  if (ctx.version === '2.0') {
    // §11: the CRC follows the last `;` and covers everything up to and including it.
    let semi = end - 1;
    while (semi >= bodyStart && packet[semi] !== 0x3b) semi--;
    if (semi < bodyStart || end - semi - 1 > 6) return null;
    let token = '';
    for (let i = semi + 1; i < end; i++) token += String.fromCharCode(packet[i]);
    const sent = parseCrcToken(token);
    if (Number.isNaN(sent) || sent !== crc16arc(packet, bodyStart, semi + 1)) return null;
    end = semi;
  }
  const record = scanBody(packet, bodyStart, end, type === 'SD' ? SD_FIELDS : D_FIELDS, ctx.deviceId, ctx.receivedAt, WIALON_EXTRAS[ctx.version].packet, false);
  if (record === null) return null;
  return { ok: true, type, records: [record], reply: type === 'SD' ? answerShortData(1) : answerData(1) };
}

export function fail(code: ProtocolError['code'], message: string, reply: Uint8Array | null): WialonPacketResult {
  return { ok: false, error: protocolError(code, message), reply };
}
