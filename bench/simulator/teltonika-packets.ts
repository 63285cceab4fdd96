/**
 * Teltonika packets for the simulator, built once and patched per send (teltonika.md §3, §8).
 *
 * A template holding n records is encoded once per (codec, n, transport) with the protocol's own
 * encoder; a send copies it and writes each record's time, position, speed and odometer at known
 * offsets, then (TCP) recomputes the CRC-16/IBM over the data field. Every record of a template has
 * the same IO set with explicit sizes, so records have one fixed size and offsets are computed
 * once from the codec's layout (§4.2–4.4).
 */
import { crc16ibm } from '../../protocols/common/crc.ts';
import { CODEC_8, CODEC_8E, encodeAvlPacket, encodeUdpDatagram, type AvlCodec, type AvlIoInput, type AvlRecordInput } from '../../protocols/teltonika/index.ts';
import type { RecordSource } from './record-source.ts';

/** 20 IO elements with typical FMB ids (teltonika.md §5), grouped by wire size. */
const IO_GROUPS: readonly (readonly number[])[] = [
  [239, 240, 21, 1, 2, 3, 69, 80, 200, 179], // 1 B: ignition, movement, GSM signal, DIN1-3, GNSS status, data mode, sleep, DOUT1
  [24, 66, 67, 68, 9], // 2 B: speed, external voltage, battery voltage, battery current, AIN1
  [16, 199, 241], // 4 B: total odometer, trip odometer, GSM operator
  [78, 11], // 8 B: iButton, ICCID part 1
];
const GROUP_WIDTH = [1, 2, 4, 8] as const;
export const TELTONIKA_IO_COUNT = IO_GROUPS.reduce((n, g) => n + g.length, 0);

/** Offsets inside one record (from its first byte) of the values the simulator changes. */
interface RecordLayout {
  readonly size: number;
  readonly ioSpeed: number; // IO 24, u16
  readonly ioExternalVoltage: number; // IO 66, u16
  readonly ioOdometer: number; // IO 16, u32
  readonly ioTripOdometer: number; // IO 199, u32
}

function layoutOf(codec: AvlCodec): RecordLayout {
  const idBytes = codec === CODEC_8 ? 1 : 2;
  const countBytes = codec === CODEC_8E ? 2 : 1;
  let o = 24 + (codec === CODEC_8 ? 2 : 4); // §4.1 head, then event id + N (+ generation type for 16)
  const valueAt = new Map<number, number>();
  IO_GROUPS.forEach((ids, g) => {
    o += countBytes;
    for (const id of ids) {
      valueAt.set(id, o + idBytes);
      o += idBytes + GROUP_WIDTH[g];
    }
  });
  if (codec === CODEC_8E) o += 2; // NX count (0)
  return { size: o, ioSpeed: valueAt.get(24)!, ioExternalVoltage: valueAt.get(66)!, ioOdometer: valueAt.get(16)!, ioTripOdometer: valueAt.get(199)! };
}

function templateRecord(i: number): AvlRecordInput {
  const io: AvlIoInput[] = [];
  IO_GROUPS.forEach((ids, g) => {
    const size = GROUP_WIDTH[g];
    for (const id of ids) {
      let value: number | bigint = 0;
      if (id === 239 || id === 240 || id === 69) value = 1;
      else if (id === 21) value = 4;
      else if (id === 67) value = 4100;
      else if (id === 241) value = 25001;
      else if (id === 78) value = 0x0000_01a2_b3c4_d5e6n;
      else if (id === 11) value = 8_970_012_345_678_901_234n;
      else if (size === 8) value = 0n;
      io.push({ id, value, size });
    }
  });
  return { deviceTime: 1_700_000_000_000 + i * 1000, priority: 0, latitude: 55, longitude: 37, altitude: 150, course: 90, satellites: 10, speed: 50, eventId: 0, io };
}

interface Template {
  readonly bytes: Buffer;
  readonly layout: RecordLayout;
  /** Offset of the first record. */
  readonly firstRecord: number;
}

export type TeltonikaTransport = 'tcp' | 'udp';

const templates = new Map<string, Template>();

/** The template for n records (1..255), encoded once and cached. */
export function teltonikaTemplate(codec: AvlCodec, n: number, transport: TeltonikaTransport): Template {
  const key = `${codec}:${n}:${transport}`;
  let t = templates.get(key);
  if (t) return t;
  const records = Array.from({ length: n }, (_, i) => templateRecord(i));
  const bytes =
    transport === 'tcp'
      ? encodeAvlPacket(codec, records)
      : encodeUdpDatagram({ packetId: 0, avlPacketId: 0, imei: '000000000000000', codec, records });
  const layout = layoutOf(codec);
  const firstRecord = transport === 'tcp' ? 10 : 25;
  const tail = transport === 'tcp' ? 5 : 1; // N2 (+ CRC field)
  if (bytes.length !== firstRecord + n * layout.size + tail) {
    throw new Error(`teltonika template: codec ${codec} × ${n} is ${bytes.length} bytes, layout expects ${firstRecord + n * layout.size + tail}`);
  }
  t = { bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), layout, firstRecord };
  templates.set(key, t);
  return t;
}

function patchRecords(buf: Buffer, t: Template, n: number, source: RecordSource, firstSeq: number): void {
  const { layout } = t;
  for (let i = 0; i < n; i++) {
    const o = t.firstRecord + i * layout.size;
    const seq = firstSeq + i;
    const time = source.timeOf(seq);
    const fix = source.fixAt(seq);
    buf.writeUInt32BE(Math.floor(time / 4294967296), o);
    buf.writeUInt32BE(time % 4294967296, o + 4);
    buf.writeInt32BE(Math.round(fix.longitude * 1e7), o + 9); // longitude comes first (§4.1)
    buf.writeInt32BE(Math.round(fix.latitude * 1e7), o + 13);
    buf.writeInt16BE(fix.altitude, o + 17);
    buf.writeUInt16BE(fix.course, o + 19);
    buf[o + 21] = fix.satellites;
    buf.writeUInt16BE(fix.speed, o + 22);
    buf.writeUInt16BE(fix.speed, o + layout.ioSpeed);
    buf.writeUInt16BE(12_000 + ((seq * 37) % 2_000), o + layout.ioExternalVoltage);
    buf.writeUInt32BE(fix.odometer % 4294967296, o + layout.ioOdometer);
    buf.writeUInt32BE(fix.odometer % 100_000_000, o + layout.ioTripOdometer);
  }
}

/** A TCP AVL packet with records firstSeq … firstSeq+n-1 of `source`. */
export function buildTeltonikaTcp(codec: AvlCodec, n: number, source: RecordSource, firstSeq: number): Buffer {
  const t = teltonikaTemplate(codec, n, 'tcp');
  const buf = Buffer.allocUnsafe(t.bytes.length);
  t.bytes.copy(buf);
  patchRecords(buf, t, n, source, firstSeq);
  const dataEnd = buf.length - 4; // CRC over codec id … N2 (§6)
  buf.writeUInt16BE(crc16ibm(buf, 8, dataEnd), dataEnd + 2);
  return buf;
}

/** A UDP datagram (§8) for `imei` (15 ASCII digits as bytes) with the given packet ids. */
export function buildTeltonikaUdp(
  codec: AvlCodec,
  n: number,
  source: RecordSource,
  firstSeq: number,
  imei: Uint8Array,
  packetId: number,
  avlPacketId: number,
): Buffer {
  const t = teltonikaTemplate(codec, n, 'udp');
  const buf = Buffer.allocUnsafe(t.bytes.length);
  t.bytes.copy(buf);
  buf.writeUInt16BE(packetId & 0xffff, 2);
  buf[5] = avlPacketId & 0xff;
  buf.set(imei, 8);
  patchRecords(buf, t, n, source, firstSeq);
  return buf;
}

/** Parses a `codec` option value (8, 8e, 16). */
export function parseCodec(text: string): AvlCodec | null {
  const t = text.toLowerCase();
  return t === '8' ? 0x08 : t === '8e' ? 0x8e : t === '16' ? 0x10 : null;
}
