/**
 * Encoders for every device → server packet of Wialon IPS 1.1 and 2.0 (for tests and the device
 * simulator). Each returns the exact wire bytes, `\r\n` included; v2.0 packets carry their CRC as
 * §11 places it. `decode(encode(x))` gives back `x` for every `x` these functions accept; input
 * they cannot represent (a `;` in a text field, a year outside 2000..2099, …) throws RangeError.
 */
import { crc16arc } from '../common/crc.ts';
import { formatCoordinate } from './coords.ts';
import { formatCrc } from './crc.ts';
import { formatDateTime } from './datetime.ts';
import { concatBytes, CRLF, formatNumber, toBytes } from './fields.ts';
import type {
  WialonDataBody,
  WialonDddBlock,
  WialonDddInfo,
  WialonExtendedData,
  WialonFix,
  WialonImageBlock,
  WialonVersion,
} from './model.ts';
import { formatParams } from './params.ts';

export interface EncodeOptions {
  /** Digits of minutes after the point in coordinates (§10 `DDMM.MMMM`: default 4). */
  readonly minuteDecimals?: number;
}

/** Characters a free-text field cannot hold without breaking the packet structure. */
const FIELD_BREAKERS = /[;|\r\n]/; // inside SD/D bodies, which a black box separates with |
const HEADER_BREAKERS = /[;\r\n]/; // L, I, IT, T fields
const LINE_BREAKERS = /[\r\n]/;

function checkField(value: string, what: string, forbidden: RegExp = FIELD_BREAKERS): string {
  if (forbidden.test(value)) throw new RangeError(`${what} "${value.slice(0, 32)}" contains a character the packet cannot carry`);
  return value;
}

/** `#PT#body\r\n`, or for v2.0 `#PT#body<sep>CRC\r\n` with the CRC over `body<sep>` (§11). */
function textPacket(type: string, body: string, crcSeparator: string | null): Uint8Array {
  if (crcSeparator === null) return toBytes(`#${type}#${body}\r\n`);
  const covered = toBytes(body + crcSeparator);
  return concatBytes([toBytes(`#${type}#`), covered, toBytes(formatCrc(crc16arc(covered))), CRLF]);
}

function optionalNumber(v: number | null, what: string): string {
  return v === null ? 'NA' : formatNumber(v, what);
}

/** §6: the 10 fields shared by SD and D, `;`-joined. */
export function formatFix(fix: WialonFix, opts: EncodeOptions = {}): string {
  const [date, time] = formatDateTime(fix.time);
  const [lat, ns] = formatCoordinate(fix.latitude, 'lat', opts.minuteDecimals);
  const [lon, ew] = formatCoordinate(fix.longitude, 'lon', opts.minuteDecimals);
  if (fix.speed !== null && !(fix.speed >= 0)) throw new RangeError(`speed must be ≥ 0, got ${fix.speed}`);
  if (fix.course !== null && !(fix.course >= 0 && fix.course <= 360)) throw new RangeError(`course must be 0..360, got ${fix.course}`);
  if (fix.satellites !== null && !(Number.isSafeInteger(fix.satellites) && fix.satellites >= 0)) {
    throw new RangeError(`satellites must be a non-negative integer, got ${fix.satellites}`);
  }
  return [
    date,
    time,
    lat,
    ns,
    lon,
    ew,
    optionalNumber(fix.speed, 'speed'),
    optionalNumber(fix.course, 'course'),
    optionalNumber(fix.altitude, 'altitude'),
    optionalNumber(fix.satellites, 'satellites'),
  ].join(';');
}

function formatBitmask(v: number | bigint | null, what: string): string {
  if (v === null) return 'NA';
  if (typeof v === 'number' ? !(Number.isSafeInteger(v) && v >= 0) : v < 0n || v >= 2n ** 64n) {
    throw new RangeError(`${what} must be an unsigned 64-bit integer, got ${v}`);
  }
  return String(v);
}

/** §7: the 16 fields of D, `;`-joined. */
export function formatExtended(d: Omit<WialonExtendedData, 'kind'>, opts: EncodeOptions = {}): string {
  if (d.hdop !== null && !(d.hdop >= 0)) throw new RangeError(`hdop must be ≥ 0, got ${d.hdop}`);
  if (d.adc.length === 1 && d.adc[0] === null) throw new RangeError('adc [null] cannot be told from "no ADC"; send []');
  const adc = d.adc.map((v, i) => (v === null ? 'NA' : formatNumber(v, `adc${i + 1}`))).join(',');
  if (d.ibutton === 'NA' || d.ibutton === '') throw new RangeError('ibutton "NA" or "" would read back as absent; use null');
  return [
    formatFix(d, opts),
    optionalNumber(d.hdop, 'hdop'),
    formatBitmask(d.inputs, 'inputs'),
    formatBitmask(d.outputs, 'outputs'),
    adc,
    d.ibutton === null ? 'NA' : checkField(d.ibutton, 'ibutton'),
    formatParams(d.params),
  ].join(';');
}

/** One SD or D body as it appears inside SD, D and B packets (no type prefix, no CRC). */
export function formatBody(body: WialonDataBody, opts: EncodeOptions = {}): string {
  return body.kind === 'SD' ? formatFix(body, opts) : formatExtended(body, opts);
}

/** §5 login. `password` null → `NA`. */
export function encodeLogin(version: WialonVersion, deviceId: string, password: string | null): Uint8Array {
  if (deviceId === '' || deviceId === 'NA') throw new RangeError('deviceId must not be empty or NA');
  checkField(deviceId, 'deviceId', /[;|#\r\n]/);
  if (version === '1.1' && deviceId.includes('.')) throw new RangeError('a v1.1 deviceId containing "." reads back as a v2.0 login (§1)');
  if (password === 'NA' || password === '') throw new RangeError('password "NA" or "" reads back as no password; use null');
  const pw = password === null ? 'NA' : checkField(password, 'password', HEADER_BREAKERS);
  return version === '1.1' ? textPacket('L', `${deviceId};${pw}`, null) : textPacket('L', `2.0;${deviceId};${pw}`, ';');
}

/** §6 `#SD#`. */
export function encodeShortData(version: WialonVersion, fix: WialonFix, opts?: EncodeOptions): Uint8Array {
  return textPacket('SD', formatFix(fix, opts), version === '2.0' ? ';' : null);
}

/** §7 `#D#`. */
export function encodeExtendedData(version: WialonVersion, d: Omit<WialonExtendedData, 'kind'>, opts?: EncodeOptions): Uint8Array {
  return textPacket('D', formatExtended(d, opts), version === '2.0' ? ';' : null);
}

/** SD or D by the body's kind. */
export function encodeData(version: WialonVersion, body: WialonDataBody, opts?: EncodeOptions): Uint8Array {
  return body.kind === 'SD' ? encodeShortData(version, body, opts) : encodeExtendedData(version, body, opts);
}

/** §8 `#B#` with any mix of SD and D bodies (the bench builds its 50-message packet with this). */
export function encodeBlackBox(version: WialonVersion, bodies: readonly WialonDataBody[], opts?: EncodeOptions): Uint8Array {
  const text = bodies.map((b) => formatBody(b, opts)).join('|');
  return textPacket('B', text, version === '2.0' ? '|' : null);
}

/** §9 `#P#` (no CRC in either version). */
export function encodePing(): Uint8Array {
  return toBytes('#P#\r\n');
}

/** §9 `#M#text` / `#M#text;CRC` — the same format in both directions. */
export function encodeMessage(version: WialonVersion, text: string): Uint8Array {
  checkField(text, 'message', LINE_BREAKERS);
  return textPacket('M', text, version === '2.0' ? ';' : null);
}

/** §9 `#I#sz;ind;count;date;time;name[;CRC]\r\n` + BIN; in v2.0 the CRC covers the BIN only. */
export function encodeImage(version: WialonVersion, block: WialonImageBlock): Uint8Array {
  const { index, lastIndex, data } = block;
  if (!Number.isSafeInteger(index) || index < 0 || !Number.isSafeInteger(lastIndex) || lastIndex < index) {
    throw new RangeError(`image block ${index} of last ${lastIndex}: expected 0 ≤ index ≤ lastIndex`);
  }
  const [date, time] = formatDateTime(block.time);
  let header = `#I#${data.length};${index};${lastIndex};${date};${time};${checkField(block.name, 'name', HEADER_BREAKERS)}`;
  if (version === '2.0') header += ';' + formatCrc(crc16arc(data));
  return concatBytes([toBytes(header), CRLF, data]);
}

/** §9 `#IT#date;time;DriverID;Code;Count;CRC16` (v2.0 only). */
export function encodeDddInfo(info: WialonDddInfo): Uint8Array {
  if (!Number.isSafeInteger(info.count) || info.count < 0) throw new RangeError(`count must be a non-negative integer, got ${info.count}`);
  const [date, time] = formatDateTime(info.time);
  const body = [date, time, checkField(info.driverId, 'driverId', HEADER_BREAKERS), checkField(info.code, 'code', HEADER_BREAKERS), String(info.count)].join(';');
  return textPacket('IT', body, ';');
}

/** §9 `#T#Code;Sz;Ind;CRC16\r\n` + BIN, the CRC over the BIN (v2.0 only). */
export function encodeDddBlock(block: WialonDddBlock): Uint8Array {
  if (!Number.isSafeInteger(block.index) || block.index < 0) throw new RangeError(`index must be a non-negative integer, got ${block.index}`);
  const header = `#T#${checkField(block.code, 'code', HEADER_BREAKERS)};${block.data.length};${block.index};${formatCrc(crc16arc(block.data))}`;
  return concatBytes([toBytes(header), CRLF, block.data]);
}

/** §3 UDP form: `imei` + packet (v1.1) or `2.0;imei` + packet (v2.0). `packet` is an encoder's output. */
export function encodeUdp(version: WialonVersion, deviceId: string, packet: Uint8Array): Uint8Array {
  if (deviceId === '' || deviceId === 'NA') throw new RangeError('deviceId must not be empty or NA');
  checkField(deviceId, 'deviceId', /[;|#\r\n]/);
  return concatBytes([toBytes(version === '2.0' ? `2.0;${deviceId}` : deviceId), packet]);
}

export { encodeCompressed, type CompressOptions } from './compression.ts';
