/**
 * §4.2 packets with binary after the header line (`#I#`, `#T#` device → server; `#US#`, `#UC#`
 * server → device): the header line, `\r\n`, then exactly `Sz` raw bytes that may contain `\r\n`.
 * The TCP framer yields such a packet as `header\r\nBIN`; this splits it again.
 */
import { CR, LF } from './fields.ts';

/**
 * Packet types followed by a binary block, and which `;` field of the header holds its size.
 * A Map, not an object literal: the key comes from the wire (`#toString#` must not find anything).
 */
export const BINARY_SIZE_FIELD: ReadonlyMap<string, number> = new Map([
  ['I', 0],
  ['T', 1],
  ['US', 0],
  ['UC', 0],
]);

/** Index of the first `\r\n` at or after `from`, or -1. */
export function indexOfCrlf(bytes: Uint8Array, from: number): number {
  let i = bytes.indexOf(CR, from);
  while (i >= 0 && i + 1 < bytes.length) {
    if (bytes[i + 1] === LF) return i;
    i = bytes.indexOf(CR, i + 1);
  }
  return -1;
}

export interface SplitBinary {
  /** End of the header text (exclusive). */
  readonly headerEnd: number;
  /** The bytes after the header's `\r\n`, copied; null when the packet has no `\r\n` at all. */
  readonly data: Uint8Array | null;
}

export function splitBinary(packet: Uint8Array, bodyStart: number): SplitBinary {
  const crlf = indexOfCrlf(packet, bodyStart);
  if (crlf < 0) return { headerEnd: packet.length, data: null };
  return { headerEnd: crlf, data: packet.slice(crlf + 2) };
}
