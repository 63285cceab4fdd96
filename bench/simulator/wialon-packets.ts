/**
 * Wialon IPS 2.0 packets for the simulator (wialon-ips.md §6–8, §11), built once and patched.
 *
 * A `#D#` (one body) or `#B#` (n bodies) template is encoded once with the protocol's encoder,
 * with every patched field at a fixed width: time `DDMMYY;HHMMSS`, `DDMM.MMMM`/`DDDMM.MMMM`
 * coordinates (N/E), 2-digit speed, 3-digit course and altitude, 2-digit satellites, a 10-digit
 * odometer param. A send copies the template, writes the digits in place and recomputes the
 * CRC-16/ARC over the body (D: up to and including the `;` before the CRC; B: up to and
 * including the last `|`).
 */
import { crc16arc } from '../../protocols/common/crc.ts';
import { encodeBlackBox, encodeExtendedData, type WialonExtendedData } from '../../protocols/wialon-ips/index.ts';
import type { RecordSource } from './record-source.ts';

const TEMPLATE_BODY: WialonExtendedData = {
  kind: 'D',
  time: Date.UTC(2026, 0, 1, 12, 0, 0),
  latitude: 55.5,
  longitude: 37.5,
  speed: 55,
  course: 123,
  altitude: 456,
  satellites: 12,
  hdop: 0.9,
  inputs: 1,
  outputs: 0,
  adc: [12.5, 0.02],
  ibutton: null,
  params: [
    { name: 'odo', type: 1, value: 1_000_000_000 },
    { name: 'pwr_ext', type: 2, value: 12.84 },
    { name: 'fuel', type: 2, value: 45.5 },
    { name: 'gsm', type: 1, value: 4 },
    { name: 'ign', type: 1, value: 1 },
    { name: 'mcc', type: 1, value: 250 },
    { name: 'mnc', type: 1, value: 1 },
    { name: 'lac', type: 1, value: 7701 },
    { name: 'cell_id', type: 1, value: 31337 },
    { name: 'hw', type: 3, value: 'FMSIM-1' },
  ],
};
export const WIALON_PARAM_COUNT = TEMPLATE_BODY.params.length;

/** Offsets inside one body (from its first byte) of the fields the simulator changes. */
interface BodyLayout {
  readonly length: number;
  readonly date: number;
  readonly time: number;
  readonly lat: number;
  readonly lon: number;
  readonly speed: number;
  readonly course: number;
  readonly altitude: number;
  readonly satellites: number;
  readonly odometer: number;
}

function layoutOf(body: string): BodyLayout {
  const starts = [0];
  for (let i = 0; i < body.length; i++) if (body[i] === ';') starts.push(i + 1);
  const width = (f: number, w: number) => {
    const end = f + 1 < starts.length ? starts[f + 1] - 1 : body.length;
    if (end - starts[f] !== w) throw new Error(`wialon template: field ${f} is ${end - starts[f]} chars, expected ${w}`);
    return starts[f];
  };
  const odo = body.indexOf('odo:1:') + 6;
  if (odo < 6 || !/^\d{10},/.test(body.slice(odo, odo + 11))) throw new Error('wialon template: odo param is not 10 digits');
  return {
    length: body.length,
    date: width(0, 6),
    time: width(1, 6),
    lat: width(2, 9),
    lon: width(4, 10),
    speed: width(6, 2),
    course: width(7, 3),
    altitude: width(8, 3),
    satellites: width(9, 2),
    odometer: odo,
  };
}

interface Template {
  /** `#D#…;CRC\r\n` or `#B#…|CRC\r\n`, with a `2.0;<15 digits>` prefix for UDP. */
  readonly bytes: Buffer;
  readonly layout: BodyLayout;
  readonly firstBody: number;
  /** End (exclusive) of the CRC-covered bytes; the 4 CRC digits follow. */
  readonly crcEnd: number;
}

export type WialonTransport = 'tcp' | 'udp';
const templates = new Map<string, Template>();

/** `#D#` for n = 1, `#B#` with n D bodies for n > 1 (v2.0), cached per (n, transport). */
export function wialonTemplate(n: number, transport: WialonTransport): Template {
  const key = `${n}:${transport}`;
  let t = templates.get(key);
  if (t) return t;
  const packet = n === 1 ? encodeExtendedData('2.0', TEMPLATE_BODY) : encodeBlackBox('2.0', Array.from({ length: n }, () => TEMPLATE_BODY));
  const prefix = transport === 'udp' ? Buffer.from('2.0;' + '0'.repeat(15)) : Buffer.alloc(0);
  const bytes = Buffer.concat([prefix, packet]);
  const firstBody = prefix.length + 3; // after "#D#" / "#B#"
  const crcEnd = bytes.length - 6; // 4 CRC digits + \r\n
  const text = bytes.toString('latin1', firstBody, crcEnd - 1);
  const body = n === 1 ? text : text.split('|')[0];
  const layout = layoutOf(body);
  if (crcEnd - firstBody !== n * (layout.length + 1)) throw new Error('wialon template: bodies are not of equal length');
  t = { bytes, layout, firstBody, crcEnd };
  templates.set(key, t);
  return t;
}

/** Writes `value` as `width` zero-padded decimal digits at `o`. */
function digits(buf: Buffer, o: number, value: number, width: number): void {
  let v = Math.floor(value);
  for (let i = width - 1; i >= 0; i--) {
    buf[o + i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
}

/** §10 `DDMM.MMMM` (degreeDigits = 2) or `DDDMM.MMMM` (3), for a non-negative coordinate. */
function coordinate(buf: Buffer, o: number, deg: number, degreeDigits: number): void {
  let whole = Math.trunc(deg);
  let units = Math.round((deg - whole) * 600_000); // minutes × 10^4
  if (units >= 600_000) {
    whole += 1;
    units -= 600_000;
  }
  digits(buf, o, whole, degreeDigits);
  digits(buf, o + degreeDigits, Math.trunc(units / 10_000), 2);
  digits(buf, o + degreeDigits + 3, units % 10_000, 4); // after the '.'
}

/** Civil date from days since 1970-01-01 (H. Hinnant's algorithm): no Date object per record. */
function civil(days: number, out: number[]): void {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  out[0] = yoe + era * 400 + (m <= 2 ? 1 : 0);
  out[1] = m;
  out[2] = d;
}

const ymd = [0, 0, 0];
const HEX = Buffer.from('0123456789ABCDEF');

function patchBody(buf: Buffer, o: number, L: BodyLayout, source: RecordSource, seq: number): void {
  const t = source.timeOf(seq);
  const fix = source.fixAt(seq);
  const days = Math.floor(t / 86_400_000);
  const secs = Math.floor((t - days * 86_400_000) / 1000);
  civil(days, ymd);
  digits(buf, o + L.date, ymd[2], 2);
  digits(buf, o + L.date + 2, ymd[1], 2);
  digits(buf, o + L.date + 4, ymd[0] - 2000, 2);
  digits(buf, o + L.time, Math.floor(secs / 3600), 2);
  digits(buf, o + L.time + 2, Math.floor(secs / 60) % 60, 2);
  digits(buf, o + L.time + 4, secs % 60, 2);
  coordinate(buf, o + L.lat, fix.latitude, 2);
  coordinate(buf, o + L.lon, fix.longitude, 3);
  digits(buf, o + L.speed, fix.speed, 2);
  digits(buf, o + L.course, fix.course, 3);
  digits(buf, o + L.altitude, fix.altitude, 3);
  digits(buf, o + L.satellites, fix.satellites, 2);
  digits(buf, o + L.odometer, 1_000_000_000 + fix.odometer, 10);
}

/**
 * Records firstSeq … firstSeq+n-1 as `#D#` (n = 1) or `#B#` (n > 1); for UDP `deviceId` (15 ASCII
 * digits as bytes) goes into the `2.0;id` prefix.
 */
export function buildWialon(n: number, source: RecordSource, firstSeq: number, transport: WialonTransport, deviceId?: Uint8Array): Buffer {
  const t = wialonTemplate(n, transport);
  const buf = Buffer.allocUnsafe(t.bytes.length);
  t.bytes.copy(buf);
  if (transport === 'udp') {
    if (!deviceId || deviceId.length !== 15) throw new RangeError('a Wialon UDP packet needs a 15-digit device id');
    buf.set(deviceId, 4);
  }
  const stride = t.layout.length + 1;
  for (let i = 0; i < n; i++) patchBody(buf, t.firstBody + i * stride, t.layout, source, firstSeq + i);
  const crc = crc16arc(buf, t.firstBody, t.crcEnd);
  buf[t.crcEnd] = HEX[(crc >>> 12) & 15];
  buf[t.crcEnd + 1] = HEX[(crc >>> 8) & 15];
  buf[t.crcEnd + 2] = HEX[(crc >>> 4) & 15];
  buf[t.crcEnd + 3] = HEX[crc & 15];
  return buf;
}

