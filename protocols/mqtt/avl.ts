/**
 * The raw Teltonika AVL payload, for trackers and edge gateways that forward Teltonika data over
 * MQTT (Teltonika FMx "MQTT" mode, codec data as the message body). Two shapes are accepted:
 *
 * - the AVL data field alone: codec id, N1, records, N2 (teltonika.md §3/§8: what a TCP packet
 *   carries between its length and its CRC); decoded by the Teltonika codec's `decodeAvlData`;
 * - a whole TCP AVL packet (preamble 00000000, length, data, CRC), recognised by its zero
 *   preamble and decoded by `decodeTcpPacket`, which also checks the CRC.
 *
 * Records keep `protocol: 'teltonika'` and the codec in `extras`: the bytes are Teltonika's own.
 */
import { protocolError } from '../common/errors.ts';
import type { DecodeContext } from '../record.ts';
import { decodeAvlData, decodeTcpPacket, toError } from '../teltonika/decoder.ts';
import type { PayloadResult } from './result.ts';

/** Codec id + N1 + N2: the smallest data field (teltonika.md §3). */
const MIN_AVL_DATA = 3;
/** A TCP packet is at least preamble 4 + length 4 + data 3 + CRC 4. */
const MIN_TCP_PACKET = 15;

export function decodeAvlPayload(bytes: Uint8Array, ctx: DecodeContext): PayloadResult {
  if (bytes.length >= MIN_TCP_PACKET && (bytes[0] | bytes[1] | bytes[2] | bytes[3]) === 0) {
    const r = decodeTcpPacket(bytes, ctx);
    if (!r.ok) return { ok: false, error: r.error };
    if (r.kind !== 'avl') return { ok: false, error: protocolError('FM_ERR_UNSUPPORTED', 'payload: expected AVL data (Codec 8, 8E or 16), got a Codec 12 packet') };
    return r.warnings ? { ok: true, records: r.records, warnings: r.warnings } : { ok: true, records: r.records };
  }
  if (bytes.length < MIN_AVL_DATA) {
    return { ok: false, error: protocolError('FM_ERR_TRUNCATED', `AVL payload: expected at least ${MIN_AVL_DATA} bytes (codec id, N1, N2), got ${bytes.length}`) };
  }
  try {
    const warnings: string[] = [];
    const records = decodeAvlData(bytes, 0, bytes.length - 1, ctx.deviceId, ctx.receivedAt, warnings);
    return warnings.length > 0 ? { ok: true, records, warnings } : { ok: true, records };
  } catch (e) {
    return { ok: false, error: toError(e) };
  }
}
