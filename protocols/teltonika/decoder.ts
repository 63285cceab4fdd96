/**
 * Decodes one whole TCP packet (preamble … CRC, as cut by the framer): length, CRC, dispatch by
 * codec id, N1 = N2 and "the parse ends exactly on N2" (teltonika.md §3, §4.5, §6, §9, §11).
 *
 * Every error is a value with `reply: null`: §11 prescribes no ack for a bad CRC, N1 ≠ N2, a parse
 * that does not land on N2, an unknown codec and Codec 13/14 (the device resends after its
 * timeout). The connection stays open; only the framer decides to close.
 */
import { ProtocolFault, hex16, protocolError } from '../common/errors.ts';
import type { ProtocolError } from '../common/errors.ts';
import { crc16ibm } from '../common/crc.ts';
import type { DecodeContext, TelemetryRecord } from '../record.ts';
import { CODEC_8, CODEC_8E, CODEC_12, CODEC_13, CODEC_14, CODEC_16 } from './avl.ts';
import { parseRecords8 } from './codec8.ts';
import { parseRecords8E } from './codec8e.ts';
import { parseRecords16 } from './codec16.ts';
import { CODEC12_TYPE_RESPONSE, parseCodec12Body, responseText } from './codec12.ts';

export type TeltonikaPacketResult =
  | {
      readonly ok: true;
      readonly kind: 'avl';
      readonly codec: number;
      readonly records: TelemetryRecord[];
      /** §2 step 4: the number of records as u32 big-endian. Send it only after they are stored. */
      readonly reply: Uint8Array;
      /** Non-fatal findings (§4.5: IO total N ≠ sum of group counts). Present only when non-empty. */
      readonly warnings?: string[];
    }
  | { readonly ok: true; readonly kind: 'command-response'; readonly codec: 12; readonly responses: string[]; readonly reply: null }
  | { readonly ok: false; readonly error: ProtocolError; readonly reply: Uint8Array | null };

/** Result of `decodeCommandPacket`: any Codec 12 packet, either direction (used by the simulator). */
export type Codec12PacketResult =
  | { readonly ok: true; readonly type: number; readonly payloads: Uint8Array[]; readonly texts: string[] }
  | { readonly ok: false; readonly error: ProtocolError };

/** Bytes around the data field: preamble 4 + length 4 + CRC 4 (§3). */
export const TCP_OVERHEAD = 12;
/** Smallest data field that can hold a codec id, N1 and N2 (§3). */
export const MIN_DATA_LENGTH = 3;

/** §2 step 4 / §7: the TCP ack is the accepted record count as u32 big-endian. */
export function tcpAck(count: number): Uint8Array {
  const a = new Uint8Array(4);
  a[0] = count >>> 24;
  a[1] = count >>> 16;
  a[2] = count >>> 8;
  a[3] = count;
  return a;
}

export function decodeTcpPacket(bytes: Uint8Array, ctx: DecodeContext): TeltonikaPacketResult {
  try {
    const length = checkTcpFrame(bytes);
    const codec = bytes[8];
    const end = 8 + length - 1; // offset of N2 / Quantity 2
    switch (codec) {
      case CODEC_8:
      case CODEC_8E:
      case CODEC_16: {
        const warnings: string[] = [];
        const records = decodeAvlData(bytes, 8, end, ctx.deviceId, ctx.receivedAt, warnings);
        return warnings.length === 0
          ? { ok: true, kind: 'avl', codec, records, reply: tcpAck(records.length) }
          : { ok: true, kind: 'avl', codec, records, reply: tcpAck(records.length), warnings };
      }
      case CODEC_12: {
        const body = parseCodec12Body(bytes, 9, end);
        if (body.type !== CODEC12_TYPE_RESPONSE) {
          return fail('FM_ERR_BAD_FIELD', `Codec 12 type: expected 0x06 (response), got 0x${body.type.toString(16).padStart(2, '0')}`);
        }
        // §7: no ack for a Codec 12 response.
        return { ok: true, kind: 'command-response', codec: 12, responses: body.payloads.map(responseText), reply: null };
      }
      case CODEC_13:
      case CODEC_14:
        // §11: Codec 13/14 from the device: no ack (out of scope, §11.4).
        return fail('FM_ERR_UNSUPPORTED', `codec 0x${codec.toString(16).toUpperCase()} (Codec ${codec}) is not supported`);
      default:
        // §11: unknown codec id: no ack, keep the connection open.
        return fail('FM_ERR_UNKNOWN_CODEC', `codec id: expected 0x08, 0x8E, 0x10 or 0x0C, got 0x${codec.toString(16).toUpperCase().padStart(2, '0')}`);
    }
  } catch (e) {
    return { ok: false, error: toError(e), reply: null };
  }
}

/**
 * Decodes any Codec 12 TCP packet, commands (0x05) included: the device side of the conversation
 * (simulator) and tests use it. Same length/CRC checks as `decodeTcpPacket`.
 */
export function decodeCommandPacket(bytes: Uint8Array): Codec12PacketResult {
  try {
    const length = checkTcpFrame(bytes);
    if (bytes[8] !== CODEC_12) {
      return { ok: false, error: protocolError('FM_ERR_UNKNOWN_CODEC', `codec id: expected 0x0C, got 0x${bytes[8].toString(16).toUpperCase().padStart(2, '0')}`) };
    }
    const body = parseCodec12Body(bytes, 9, 8 + length - 1);
    return { ok: true, type: body.type, payloads: body.payloads, texts: body.payloads.map(responseText) };
  } catch (e) {
    return { ok: false, error: toError(e) };
  }
}

/**
 * Checks preamble, exact length and CRC of a TCP packet (§3, §6); returns the data field length L.
 * Throws `ProtocolFault`.
 */
function checkTcpFrame(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n < TCP_OVERHEAD + MIN_DATA_LENGTH) {
    throw new ProtocolFault('FM_ERR_TRUNCATED', `TCP packet: expected at least ${TCP_OVERHEAD + MIN_DATA_LENGTH} bytes, got ${n}`);
  }
  if ((bytes[0] | bytes[1] | bytes[2] | bytes[3]) !== 0) {
    throw new ProtocolFault('FM_ERR_BAD_PREAMBLE', `preamble: expected 00000000, got ${hex32(bytes, 0)}`);
  }
  const length = u32(bytes, 4);
  if (length < MIN_DATA_LENGTH) {
    throw new ProtocolFault('FM_ERR_LENGTH_MISMATCH', `data field length: expected at least ${MIN_DATA_LENGTH}, got ${length}`);
  }
  if (length > n - TCP_OVERHEAD) {
    throw new ProtocolFault('FM_ERR_TRUNCATED', `TCP packet: data field length ${length} needs ${length + TCP_OVERHEAD} bytes, got ${n}`);
  }
  if (length < n - TCP_OVERHEAD) {
    throw new ProtocolFault('FM_ERR_LENGTH_MISMATCH', `TCP packet: data field length ${length} means ${length + TCP_OVERHEAD} bytes, got ${n}`);
  }
  // §3/§6: CRC field is 0000 + CRC-16/IBM over [8, 8+L). Comparing the whole u32 also rejects a
  // non-zero upper half.
  const said = u32(bytes, 8 + length);
  const computed = crc16ibm(bytes, 8, 8 + length);
  if (said !== computed) {
    // §11: CRC mismatch → no ack; the device resends after its timeout.
    throw new ProtocolFault('FM_ERR_CRC_MISMATCH', `CRC mismatch: frame says ${hex16(said)}, computed ${hex16(computed)}`);
  }
  return length;
}

/**
 * Decodes the AVL data block shared by TCP and UDP: codec id at `codecAt`, N1, records, N2 at `end`
 * (§3, §8). Checks N1 = N2 and that the records end exactly on N2 (§4.5, §11). Throws `ProtocolFault`.
 */
export function decodeAvlData(
  bytes: Uint8Array,
  codecAt: number,
  end: number,
  deviceId: string,
  receivedAt: number,
  warnings: string[],
): TelemetryRecord[] {
  const n1 = bytes[codecAt + 1];
  const n2 = bytes[end];
  if (n1 !== n2) {
    throw new ProtocolFault('FM_ERR_COUNT_MISMATCH', `record count: N1 says ${n1}, N2 says ${n2}`);
  }
  if (n1 === 0) throw new ProtocolFault('FM_ERR_BAD_FIELD', 'record count: expected 1..255, got 0');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: TelemetryRecord[] = [];
  const start = codecAt + 2;
  let stop: number;
  switch (bytes[codecAt]) {
    case CODEC_8E:
      stop = parseRecords8E(bytes, view, start, end, n1, deviceId, receivedAt, records, warnings);
      break;
    case CODEC_8:
      stop = parseRecords8(bytes, view, start, end, n1, deviceId, receivedAt, records, warnings);
      break;
    case CODEC_16:
      stop = parseRecords16(bytes, view, start, end, n1, deviceId, receivedAt, records, warnings);
      break;
    default:
      throw new ProtocolFault('FM_ERR_UNKNOWN_CODEC', `codec id: expected 0x08, 0x8E or 0x10, got 0x${bytes[codecAt].toString(16).toUpperCase().padStart(2, '0')}`);
  }
  if (stop !== end) {
    // §4.5/§11: the parser must land exactly on N2.
    throw new ProtocolFault('FM_ERR_LENGTH_MISMATCH', `${n1} records end at offset ${stop}, N2 is at ${end}`);
  }
  return records;
}

function fail(code: ProtocolError['code'], message: string): TeltonikaPacketResult {
  return { ok: false, error: protocolError(code, message), reply: null };
}

/** Turns what a decode step threw into an error value; a non-fault is a bug, still never thrown. */
export function toError(e: unknown): ProtocolError {
  if (e instanceof ProtocolFault) return e.toValue();
  return protocolError('FM_ERR_MALFORMED', `decoder failure: ${e instanceof Error ? e.message : String(e)}`);
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function hex32(b: Uint8Array, o: number): string {
  return u32(b, o).toString(16).toUpperCase().padStart(8, '0');
}
