/**
 * Encoders for everything the wire carries: the IMEI handshake, AVL data packets (Codec 8, 8E, 16)
 * for TCP and UDP, Codec 12 command/response packets, and the server's replies.
 *
 * Server side uses `encodeCommand`; tests and the device simulator use the rest. Inputs use the
 * `TelemetryRecord` field names, so a decoded record maps back almost field for field. Invalid input
 * (a value too wide for its group, an id above 255 in Codec 8, …) is a programmer error: RangeError.
 */
import { crc16ibm } from '../common/crc.ts';
import { CODEC_12, CODEC_16, CODEC_8, CODEC_8E, isAvlCodec } from './avl.ts';
import type { AvlCodec } from './avl.ts';
import { CODEC12_TYPE_COMMAND, CODEC12_TYPE_RESPONSE } from './codec12.ts';
import { IMEI_MAX_LENGTH, IMEI_MIN_LENGTH } from './imei.ts';

/** IO value widths on the wire: the fixed groups and NX ("X", Codec 8E only), §4.2–4.4. */
export const IO_SIZES = [1, 2, 4, 8, 'X'] as const;
export type IoSize = (typeof IO_SIZES)[number];

export interface AvlIoInput {
  readonly id: number;
  readonly value: number | bigint | Uint8Array;
  /**
   * The group to put the value in. Default: bigint → 8; Uint8Array → X (NX); number → the
   * smallest of 1, 2, 4, 8 that holds it. Give it explicitly to reproduce a device's packet.
   */
  readonly size?: IoSize;
}

export interface AvlRecordInput {
  /** ms since the epoch, integer 0..2^53-1. */
  readonly deviceTime: number;
  /** 0 low, 1 high, 2 panic. Default 0. */
  readonly priority?: number;
  /** Degrees; written as round(deg × 1e7) in an i32. Default 0. */
  readonly latitude?: number;
  readonly longitude?: number;
  /** Metres, i16. Default 0. */
  readonly altitude?: number;
  /** Degrees, u16. Default 0. */
  readonly course?: number;
  /** u8. Default 0. */
  readonly satellites?: number;
  /** km/h, u16. Default 0. */
  readonly speed?: number;
  /** Event IO id; null/0 = periodic (§4.2). Default null. */
  readonly eventId?: number | null;
  /** Codec 16 only (§4.4). Default 7 (Periodical). */
  readonly generationType?: number;
  /** IO elements. Written grouped by size (1, 2, 4, 8, X), keeping their order inside a group. */
  readonly io?: readonly AvlIoInput[];
  /** Override the declared IO total N (to build quirky packets). Default: the real count. */
  readonly ioTotal?: number;
}

export interface UdpDatagramInput {
  readonly packetId: number;
  readonly avlPacketId: number;
  readonly imei: string;
  readonly codec: AvlCodec;
  readonly records: readonly AvlRecordInput[];
}

const utf8 = new TextEncoder();

/** §2 step 1: u16 length + the IMEI as ASCII digits. */
export function encodeImei(imei: string): Uint8Array {
  if (!/^[0-9]+$/.test(imei) || imei.length < IMEI_MIN_LENGTH || imei.length > IMEI_MAX_LENGTH) {
    throw new RangeError(`IMEI: expected ${IMEI_MIN_LENGTH}..${IMEI_MAX_LENGTH} ASCII digits, got ${JSON.stringify(imei)}`);
  }
  const out = new Uint8Array(2 + imei.length);
  out[1] = imei.length;
  for (let i = 0; i < imei.length; i++) out[2 + i] = imei.charCodeAt(i);
  return out;
}

/** The AVL data block shared by TCP and UDP: codec id, N1, records, N2 (§3, §8). */
export function encodeAvlData(codec: AvlCodec, records: readonly AvlRecordInput[]): Uint8Array {
  if (!isAvlCodec(codec)) throw new RangeError(`codec: expected 0x08, 0x8E or 0x10, got ${codec}`);
  checkRange('record count', records.length, 1, 255);
  const planned = records.map((r, i) => plan(codec, r, i));
  let size = 3;
  for (const p of planned) size += p.size;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = codec;
  out[1] = records.length;
  let o = 2;
  for (let i = 0; i < records.length; i++) o = writeRecord(codec, records[i], planned[i], out, view, o);
  out[o] = records.length;
  return out;
}

/** A TCP AVL packet: preamble, L, data, CRC (§3). */
export function encodeAvlPacket(codec: AvlCodec, records: readonly AvlRecordInput[]): Uint8Array {
  return encodeTcpFrame(encodeAvlData(codec, records));
}

/** Wraps a data field (codec id … N2 / Quantity 2) into a TCP packet: 00000000, L, data, 0000 + CRC-16/IBM (§3, §6). */
export function encodeTcpFrame(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 12);
  const view = new DataView(out.buffer);
  view.setUint32(4, data.length);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc16ibm(data));
  return out;
}

/** A UDP datagram (§8): length, packet id, 0x01, AVL packet id, IMEI, then the AVL data block. */
export function encodeUdpDatagram(input: UdpDatagramInput): Uint8Array {
  checkRange('packet id', input.packetId, 0, 0xffff);
  checkRange('AVL packet id', input.avlPacketId, 0, 0xff);
  const imei = encodeImei(input.imei);
  const data = encodeAvlData(input.codec, input.records);
  const length = 4 + imei.length + data.length; // everything after the length field
  checkRange('UDP datagram length', length, 0, 0xffff);
  const out = new Uint8Array(2 + length);
  const view = new DataView(out.buffer);
  view.setUint16(0, length);
  view.setUint16(2, input.packetId);
  out[4] = 0x01;
  out[5] = input.avlPacketId;
  out.set(imei, 6);
  out.set(data, 6 + imei.length);
  return out;
}

/** §9: a Codec 12 command packet (type 0x05) for the server to send; text as UTF-8 (ASCII). */
export function encodeCommand(text: string | Uint8Array): Uint8Array {
  return encodeCodec12Packet(CODEC12_TYPE_COMMAND, [text]);
}

/** §9: a Codec 12 response packet (type 0x06), as a device sends it (simulator). */
export function encodeCommandResponse(text: string | Uint8Array): Uint8Array {
  return encodeCodec12Packet(CODEC12_TYPE_RESPONSE, [text]);
}

/** §9: any Codec 12 packet: `0C q [type, size u32, bytes]×q q`, wrapped with preamble, L and CRC. */
export function encodeCodec12Packet(type: number, payloads: readonly (string | Uint8Array)[]): Uint8Array {
  checkRange('Codec 12 type', type, 0, 255);
  checkRange('Codec 12 quantity', payloads.length, 1, 255);
  const bytes = payloads.map((p) => (typeof p === 'string' ? utf8.encode(p) : p));
  let size = 3;
  for (const b of bytes) size += 5 + b.length;
  const data = new Uint8Array(size);
  const view = new DataView(data.buffer);
  data[0] = CODEC_12;
  data[1] = bytes.length;
  let o = 2;
  for (const b of bytes) {
    data[o] = type;
    view.setUint32(o + 1, b.length);
    data.set(b, o + 5);
    o += 5 + b.length;
  }
  data[o] = bytes.length;
  return encodeTcpFrame(data);
}

// ---------------------------------------------------------------------------------------------

interface Planned {
  readonly size: number;
  /** IO elements sorted into wire groups: 1, 2, 4, 8, X. */
  readonly groups: readonly (readonly AvlIoInput[])[];
}

const GROUP_INDEX: { readonly [K in IoSize]: number } = { 1: 0, 2: 1, 4: 2, 8: 3, X: 4 };
const GROUP_BYTES = [1, 2, 4, 8] as const;

function plan(codec: AvlCodec, r: AvlRecordInput, index: number): Planned {
  const groups: AvlIoInput[][] = [[], [], [], [], []];
  const wide = codec !== CODEC_8; // 2-byte ids (§4.5)
  for (const e of r.io ?? []) {
    checkRange(`record ${index + 1} IO id`, e.id, 0, wide ? 0xffff : 0xff);
    const size = e.size ?? defaultSize(e.value);
    if (size === 'X' && codec !== CODEC_8E) {
      throw new RangeError(`record ${index + 1} IO ${e.id}: variable-length (NX) values exist only in Codec 8E`);
    }
    checkValue(index, e, size);
    groups[GROUP_INDEX[size]].push({ id: e.id, value: e.value, size });
  }
  const countMax = codec === CODEC_8E ? 0xffff : 0xff;
  let size = 24; // §4.1 head
  size += codec === CODEC_8 ? 2 : codec === CODEC_8E ? 4 : 4; // event id + N (+ generation type for 16)
  const idBytes = wide ? 2 : 1;
  const countBytes = codec === CODEC_8E ? 2 : 1;
  for (let g = 0; g < 4; g++) {
    checkRange(`record ${index + 1} ${GROUP_BYTES[g]}-byte IO count`, groups[g].length, 0, countMax);
    size += countBytes + groups[g].length * (idBytes + GROUP_BYTES[g]);
  }
  if (codec === CODEC_8E) {
    checkRange(`record ${index + 1} NX IO count`, groups[4].length, 0, countMax);
    size += 2;
    for (const e of groups[4]) size += 4 + (e.value as Uint8Array).length;
  }
  return { size, groups };
}

function defaultSize(v: AvlIoInput['value']): IoSize {
  if (typeof v === 'bigint') return 8;
  if (typeof v !== 'number') return 'X';
  if (v <= 0xff) return 1;
  if (v <= 0xffff) return 2;
  if (v <= 0xffffffff) return 4;
  return 8;
}

function checkValue(index: number, e: AvlIoInput, size: IoSize): void {
  const what = `record ${index + 1} IO ${e.id}`;
  const v = e.value;
  if (size === 'X') {
    if (!(v instanceof Uint8Array)) throw new RangeError(`${what}: an NX value must be a Uint8Array`);
    checkRange(`${what} NX length`, v.length, 0, 0xffff);
    return;
  }
  if (v instanceof Uint8Array) {
    if (v.length !== size) throw new RangeError(`${what}: expected ${size} bytes, got ${v.length}`);
    return;
  }
  const max = (1n << BigInt(size * 8)) - 1n;
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`${what}: expected an integer, got ${v}`);
  const big = BigInt(v);
  if (big < 0n || big > max) throw new RangeError(`${what}: expected 0..${max} for ${size} bytes, got ${v}`);
}

function writeRecord(codec: AvlCodec, r: AvlRecordInput, p: Planned, out: Uint8Array, view: DataView, o: number): number {
  const wide = codec !== CODEC_8;
  const at = (what: string) => `record at offset ${o}: ${what}`;
  if (!Number.isSafeInteger(r.deviceTime) || r.deviceTime < 0) {
    throw new RangeError(at(`deviceTime: expected an integer 0..2^53-1, got ${r.deviceTime}`));
  }
  view.setUint32(o, Math.floor(r.deviceTime / 4294967296));
  view.setUint32(o + 4, r.deviceTime % 4294967296);
  out[o + 8] = checkRange(at('priority'), r.priority ?? 0, 0, 0xff);
  view.setInt32(o + 9, checkRange(at('longitude × 1e7'), Math.round((r.longitude ?? 0) * 1e7), -0x80000000, 0x7fffffff));
  view.setInt32(o + 13, checkRange(at('latitude × 1e7'), Math.round((r.latitude ?? 0) * 1e7), -0x80000000, 0x7fffffff));
  view.setInt16(o + 17, checkRange(at('altitude'), r.altitude ?? 0, -0x8000, 0x7fff));
  view.setUint16(o + 19, checkRange(at('course'), r.course ?? 0, 0, 0xffff));
  out[o + 21] = checkRange(at('satellites'), r.satellites ?? 0, 0, 0xff);
  view.setUint16(o + 22, checkRange(at('speed'), r.speed ?? 0, 0, 0xffff));
  o += 24;
  const eventId = checkRange(at('event id'), r.eventId ?? 0, 0, wide ? 0xffff : 0xff);
  let total = 0;
  for (const g of p.groups) total += g.length;
  const ioTotal = r.ioTotal ?? total;
  if (codec === CODEC_8) {
    out[o++] = eventId;
    out[o++] = checkRange(at('IO total'), ioTotal, 0, 0xff);
  } else if (codec === CODEC_8E) {
    view.setUint16(o, eventId);
    view.setUint16(o + 2, checkRange(at('IO total'), ioTotal, 0, 0xffff));
    o += 4;
  } else {
    view.setUint16(o, eventId);
    out[o + 2] = checkRange(at('generation type'), r.generationType ?? 7, 0, 0xff);
    out[o + 3] = checkRange(at('IO total'), ioTotal, 0, 0xff);
    o += 4;
  }
  for (let g = 0; g < 4; g++) {
    const group = p.groups[g];
    const width = GROUP_BYTES[g];
    if (codec === CODEC_8E) {
      view.setUint16(o, group.length);
      o += 2;
    } else out[o++] = group.length;
    for (const e of group) {
      if (wide) {
        view.setUint16(o, e.id);
        o += 2;
      } else out[o++] = e.id;
      writeFixed(e.value, width, out, view, o);
      o += width;
    }
  }
  if (codec === CODEC_8E) {
    view.setUint16(o, p.groups[4].length);
    o += 2;
    for (const e of p.groups[4]) {
      const v = e.value as Uint8Array;
      view.setUint16(o, e.id);
      view.setUint16(o + 2, v.length);
      out.set(v, o + 4);
      o += 4 + v.length;
    }
  }
  return o;
}

function writeFixed(v: AvlIoInput['value'], width: number, out: Uint8Array, view: DataView, o: number): void {
  if (v instanceof Uint8Array) out.set(v, o);
  else if (width === 8) view.setBigUint64(o, BigInt(v));
  else if (width === 4) view.setUint32(o, Number(v));
  else if (width === 2) view.setUint16(o, Number(v));
  else out[o] = Number(v);
}

function checkRange(what: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${what}: expected an integer ${min}..${max}, got ${v}`);
  return v;
}
