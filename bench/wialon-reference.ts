/**
 * A plain `split()`-based Wialon IPS v2.0 decoder for `#D#` and `#B#`: the reference that
 * bench:decode measures fleetmeter's decoder against (no npm package decodes Wialon IPS). It is what
 * one writes first — the packet as a UTF-8 string, `split(';')`, `split('|')`, `split(',')`,
 * `split(':')`, `parseFloat` — with the same CRC function and the same `TelemetryRecord` output,
 * so the two differ only in how they read the text. It checks the CRC and field counts and
 * nothing else: a fair floor, not a validating decoder.
 */
import { crc16arc } from '../protocols/common/crc.ts';
import type { IoElement, TelemetryRecord } from '../protocols/record.ts';

const na = (s: string) => s === 'NA' || s === '';
const num = (s: string): number | null => (na(s) ? null : parseFloat(s));

function coordinate(value: string, hemisphere: string): number | null {
  if (na(value)) return null;
  const v = parseFloat(value);
  const deg = Math.trunc(v / 100);
  const dd = deg + (v - deg * 100) / 60;
  return (hemisphere === 'S' || hemisphere === 'W') && dd !== 0 ? -dd : dd;
}

function time(date: string, hms: string): number | null {
  if (na(date) || na(hms)) return null;
  const ms = hms.length > 6 ? Math.trunc(parseFloat('0' + hms.slice(6)) * 1000) : 0;
  return Date.UTC(2000 + Number(date.slice(4, 6)), Number(date.slice(2, 4)) - 1, Number(date.slice(0, 2)), Number(hms.slice(0, 2)), Number(hms.slice(2, 4)), Number(hms.slice(4, 6)), ms);
}

/** One SD (10 fields) or D (16 fields) body as a record; null when the field count is neither. */
function record(fields: string[], deviceId: string, receivedAt: number, packetType: 'D' | 'B'): TelemetryRecord | null {
  if (fields.length !== 10 && fields.length !== 16) return null;
  const d = fields.length === 16;
  const latitude = coordinate(fields[2], fields[3]);
  const longitude = coordinate(fields[4], fields[5]);
  const satellites = num(fields[9]);
  const io: IoElement[] = [];
  if (d) {
    if (!na(fields[11])) io.push({ id: 'inputs', value: parseInt(fields[11], 10) });
    if (!na(fields[12])) io.push({ id: 'outputs', value: parseInt(fields[12], 10) });
    if (!na(fields[13])) fields[13].split(',').forEach((a, i) => !na(a) && io.push({ id: `adc${i + 1}`, value: parseFloat(a) }));
    if (!na(fields[14])) io.push({ id: 'ibutton', value: fields[14] });
    if (!na(fields[15])) {
      for (const item of fields[15].split(',')) {
        const [name, type, ...rest] = item.split(':');
        const value = rest.join(':');
        io.push({ id: name, value: type === '3' ? value : type === '2' ? parseFloat(value) : Number(value) });
      }
    }
  }
  const extras: { [key: string]: string } = { packetType, version: '2.0' };
  if (packetType === 'B') extras.bodyType = d ? 'D' : 'SD';
  return {
    protocol: 'wialon-ips',
    deviceId,
    deviceTime: time(fields[0], fields[1]),
    receivedAt,
    latitude,
    longitude,
    altitude: num(fields[8]),
    speed: num(fields[6]),
    course: num(fields[7]),
    satellites,
    hdop: d ? num(fields[10]) : null,
    valid: latitude !== null && longitude !== null && (satellites === null || satellites >= 3),
    priority: null,
    eventId: null,
    io,
    archive: packetType === 'B',
    extras,
  };
}

const text = (packet: Uint8Array) => Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength).toString('utf8');

/** `#D#…;CRC` (v2.0, without `\r\n`) → its record, or null (not D, wrong field count, bad CRC). */
export function referenceDecodeD(packet: Uint8Array, deviceId: string, receivedAt: number): TelemetryRecord | null {
  const s = text(packet);
  if (!s.startsWith('#D#')) return null;
  const fields = s.slice(3).split(';');
  if (fields.length !== 17) return null;
  const crc = fields.pop()!;
  if (parseInt(crc, 16) !== crc16arc(packet, 3, packet.length - crc.length)) return null;
  return record(fields, deviceId, receivedAt, 'D');
}

/** `#B#body|…|body|CRC` (v2.0, without `\r\n`) → the records of its bodies, or null (not B, bad CRC). */
export function referenceDecodeB(packet: Uint8Array, deviceId: string, receivedAt: number): TelemetryRecord[] | null {
  const s = text(packet);
  if (!s.startsWith('#B#')) return null;
  const bodies = s.slice(3).split('|');
  const crc = bodies.pop()!;
  if (parseInt(crc, 16) !== crc16arc(packet, 3, packet.length - crc.length)) return null;
  const records: TelemetryRecord[] = [];
  for (const body of bodies) {
    if (body === '') continue;
    const r = record(body.split(';'), deviceId, receivedAt, 'B');
    if (r !== null) records.push(r);
  }
  return records;
}
