/**
 * UDP datagrams (teltonika.md §8): no handshake, no preamble, no CRC. Each datagram carries its own
 * header with the IMEI; the ack echoes the packet id and the AVL packet id.
 *
 * §11: a datagram that is too short, whose length field does not match, or that fails to parse is
 * dropped silently: every error here has `reply: null`.
 */
import { ProtocolFault } from '../common/errors.ts';
import type { ProtocolError } from '../common/errors.ts';
import type { TelemetryRecord } from '../record.ts';
import { CODEC_12, isAvlCodec } from './avl.ts';
import { decodeAvlData, toError } from './decoder.ts';
import { checkImeiBytes } from './imei.ts';

export type TeltonikaUdpResult =
  | {
      readonly ok: true;
      readonly imei: string;
      readonly packetId: number;
      readonly avlPacketId: number;
      readonly records: TelemetryRecord[];
      /** §8: 0005 + packet id + 01 + AVL packet id + u8 record count. Send after storing. */
      readonly reply: Uint8Array;
      /** Non-fatal findings (§4.5). Present only when non-empty. */
      readonly warnings?: string[];
    }
  | { readonly ok: false; readonly error: ProtocolError; readonly reply: Uint8Array | null };

/** Header bytes before the IMEI: length 2 + packet id 2 + not-usable byte 1 + AVL packet id 1 + IMEI length 2. */
const UDP_HEAD = 8;

/** §8: the 7-byte UDP ack. `count` is the number of accepted records (u8). */
export function udpAck(packetId: number, avlPacketId: number, count: number): Uint8Array {
  return Uint8Array.of(0x00, 0x05, (packetId >>> 8) & 0xff, packetId & 0xff, 0x01, avlPacketId & 0xff, count & 0xff);
}

export function decodeUdpDatagram(bytes: Uint8Array, receivedAt: number): TeltonikaUdpResult {
  try {
    const n = bytes.length;
    if (n < UDP_HEAD) {
      throw new ProtocolFault('FM_ERR_TRUNCATED', `UDP datagram: expected at least ${UDP_HEAD} header bytes, got ${n}`);
    }
    const length = (bytes[0] << 8) | bytes[1];
    if (length !== n - 2) {
      // §8: the length field excludes itself.
      throw new ProtocolFault(length > n - 2 ? 'FM_ERR_TRUNCATED' : 'FM_ERR_LENGTH_MISMATCH', `UDP datagram: length field says ${length}, ${n - 2} bytes follow it`);
    }
    const packetId = (bytes[2] << 8) | bytes[3];
    // bytes[4] is the "not usable" byte (0x01 in every example); it is not checked.
    const avlPacketId = bytes[5];
    const imeiLength = (bytes[6] << 8) | bytes[7];
    // IMEI + codec id + N1 + N2 must fit.
    if (UDP_HEAD + imeiLength + 3 > n) {
      throw new ProtocolFault('FM_ERR_TRUNCATED', `UDP datagram: IMEI length ${imeiLength} needs ${UDP_HEAD + imeiLength + 3} bytes, got ${n}`);
    }
    const imei = checkImeiBytes(bytes, UDP_HEAD, imeiLength);
    const codecAt = UDP_HEAD + imeiLength;
    const codec = bytes[codecAt];
    if (!isAvlCodec(codec)) {
      if (codec === CODEC_12) {
        // §9: Codec 12 over UDP has no defined framing (UNVERIFIED); not implemented.
        throw new ProtocolFault('FM_ERR_UNSUPPORTED', 'UDP datagram: Codec 12 over UDP is not supported');
      }
      throw new ProtocolFault('FM_ERR_UNKNOWN_CODEC', `UDP datagram codec id: expected 0x08, 0x8E or 0x10, got 0x${codec.toString(16).toUpperCase().padStart(2, '0')}`);
    }
    const warnings: string[] = [];
    const records = decodeAvlData(bytes, codecAt, n - 1, imei, receivedAt, warnings);
    const reply = udpAck(packetId, avlPacketId, records.length);
    return warnings.length === 0
      ? { ok: true, imei, packetId, avlPacketId, records, reply }
      : { ok: true, imei, packetId, avlPacketId, records, reply, warnings };
  } catch (e) {
    return { ok: false, error: toError(e), reply: null };
  }
}
