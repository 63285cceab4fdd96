/**
 * Codec 12 (0x0C) body: GPRS commands (type 0x05, server → device) and responses (type 0x06,
 * device → server), teltonika.md §9.
 *
 * Body layout from the codec id to Quantity 2: `0C q1 [type u8, size u32, bytes]×q1 q2`. The doc
 * only shows q1 = 1; for q1 > 1 we repeat the [type, size, bytes] entry, as traccar does.
 * Text is UTF-8 (a superset of the ASCII the doc describes); raw bytes stay available in `payloads`
 * for serial pass-through.
 */
import { ProtocolFault } from '../common/errors.ts';
import { copyBytes } from './avl.ts';

export const CODEC12_TYPE_COMMAND = 0x05;
export const CODEC12_TYPE_RESPONSE = 0x06;

export interface Codec12Body {
  /** Type byte of the entries (0x05 command, 0x06 response); every entry must share it. */
  readonly type: number;
  /** Raw bytes of each entry, in order (copies, not views). */
  readonly payloads: Uint8Array[];
}

const utf8 = new TextDecoder('utf-8');

/**
 * Parses `bytes[start, end)`, where `start` is the offset of Quantity 1 (just after the codec id)
 * and `end` the offset of Quantity 2. Throws `ProtocolFault` on any inconsistency.
 */
export function parseCodec12Body(bytes: Uint8Array, start: number, end: number): Codec12Body {
  const q1 = bytes[start];
  const q2 = bytes[end];
  if (q1 !== q2) {
    throw new ProtocolFault('FM_ERR_COUNT_MISMATCH', `Codec 12 quantity: quantity 1 says ${q1}, quantity 2 says ${q2}`);
  }
  if (q1 === 0) throw new ProtocolFault('FM_ERR_BAD_FIELD', 'Codec 12 quantity: expected 1..255, got 0');
  let o = start + 1;
  let type = -1;
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < q1; i++) {
    if (o + 5 > end) {
      throw new ProtocolFault('FM_ERR_TRUNCATED', `Codec 12 entry ${i + 1} head needs bytes up to ${o + 5}, data ends at ${end}`);
    }
    const t = bytes[o];
    if (type === -1) type = t;
    else if (t !== type) {
      throw new ProtocolFault('FM_ERR_BAD_FIELD', `Codec 12 entry ${i + 1} type: expected 0x${hex8(type)}, got 0x${hex8(t)}`);
    }
    const size = ((bytes[o + 1] << 24) | (bytes[o + 2] << 16) | (bytes[o + 3] << 8) | bytes[o + 4]) >>> 0;
    o += 5;
    if (size > end - o) {
      throw new ProtocolFault('FM_ERR_TRUNCATED', `Codec 12 entry ${i + 1} says ${size} bytes, ${end - o} remain`);
    }
    payloads.push(copyBytes(bytes, o, o + size));
    o += size;
  }
  if (o !== end) {
    throw new ProtocolFault('FM_ERR_LENGTH_MISMATCH', `Codec 12 entries end at offset ${o}, quantity 2 is at ${end}`);
  }
  return { type, payloads };
}

/** A response's text: UTF-8, trailing CR/LF trimmed (§9: "may end with or without CR LF; trim it"). */
export function responseText(payload: Uint8Array): string {
  let end = payload.length;
  while (end > 0 && (payload[end - 1] === 0x0d || payload[end - 1] === 0x0a)) end--;
  return utf8.decode(payload.subarray(0, end));
}

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
