/**
 * `decodePacket`: one framed TCP packet (`#PT#msg`, no trailing `\r\n`; for I and T the header,
 * `\r\n` and the binary) + the session state → records and the exact answer bytes.
 * Pure: the session state is read, never written — ingest records the login it accepts.
 */
import { answerPing } from './answers.ts';
import { decodeBlackBox } from './blackbox.ts';
import { decodeDataPacket, fail, type PacketContext } from './data.ts';
import { decodeDddBlock, decodeDddInfo } from './ddd.ts';
import { HASH, preview } from './fields.ts';
import { decodeImage } from './image.ts';
import { decodeLogin } from './login.ts';
import { decodeMessage } from './message.ts';
import type { WialonPacketResult, WialonSessionState } from './model.ts';

/** Longest packet type name we look for between the two `#` (the longest real one is 3). */
export const MAX_TYPE_LENGTH = 8;

export interface PacketHead {
  readonly type: string;
  /** Index of the first byte after `#PT#`. */
  readonly bodyStart: number;
}

/** `#PT#` at the start of a packet: PT is 1–8 ASCII letters. Null when the bytes do not start so. */
export function parseHead(packet: Uint8Array, from = 0): PacketHead | null {
  if (packet[from] !== HASH) return null;
  const limit = Math.min(packet.length, from + 2 + MAX_TYPE_LENGTH);
  for (let i = from + 1; i < limit; i++) {
    const c = packet[i];
    if (c === HASH) {
      if (i === from + 1) return null;
      // Types are 1–3 letters in practice: no spread of a subarray (its iterator cost ~6 % of a #D# decode).
      const n = i - from - 1;
      const type =
        n === 1 ? String.fromCharCode(packet[from + 1]) : n === 2 ? String.fromCharCode(packet[from + 1], packet[from + 2]) : String.fromCharCode(...packet.subarray(from + 1, i));
      return { type, bodyStart: i + 1 };
    }
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return null;
  }
  return null;
}

/**
 * Decodes one packet. Never throws.
 * - `L` (§5) is parsed whatever the state: ingest authorises and answers with `loginReply`.
 * - Anything else before a login (`state.deviceId` or `state.version` null) is
 *   `FM_ERR_NOT_LOGGED_IN` with no answer: §12 recommends "send nothing and close the connection".
 * - The session's version decides whether a CRC is expected (§1, §12: strict within a session).
 * - An unknown type, or a server → device type sent by the device (US, UC, QI, QT, answers), is
 *   `FM_ERR_UNKNOWN_PACKET` with no answer; §12: "log it, send no answer, keep the session".
 */
export function decodePacket(packet: Uint8Array, state: Readonly<WialonSessionState>, receivedAt: number): WialonPacketResult {
  try {
    return decodeUnchecked(packet, state, receivedAt);
  } catch (e) {
    // Defensive only: every path above returns values. Kept so a bug never crashes a connection.
    return fail('FM_ERR_MALFORMED', `decoder fault on "${preview(packet)}": ${(e as Error).message}`, null);
  }
}

function decodeUnchecked(packet: Uint8Array, state: Readonly<WialonSessionState>, receivedAt: number): WialonPacketResult {
  const head = parseHead(packet);
  if (head === null) return fail('FM_ERR_MALFORMED', `expected #TYPE#…, got "${preview(packet)}"`, null);
  const { type, bodyStart } = head;
  if (type === 'L') return decodeLogin(packet, bodyStart);
  if (state.deviceId === null || state.version === null) {
    return fail('FM_ERR_NOT_LOGGED_IN', `#${type}# before a successful login`, null);
  }
  const ctx: PacketContext = { deviceId: state.deviceId, version: state.version, receivedAt };
  switch (type) {
    case 'P':
      return { ok: true, type: 'P', records: [], reply: answerPing() }; // §9: no CRC in either version
    case 'SD':
    case 'D':
      return decodeDataPacket(type, packet, bodyStart, ctx);
    case 'B':
      return decodeBlackBox(packet, bodyStart, ctx);
    case 'M':
      return decodeMessage(packet, bodyStart, ctx);
    case 'I':
      return decodeImage(packet, bodyStart, ctx);
    case 'IT':
    case 'T':
      if (ctx.version !== '2.0') return fail('FM_ERR_UNKNOWN_PACKET', `#${type}# is a v2.0 packet (§1), session speaks v1.1`, null);
      return type === 'IT' ? decodeDddInfo(packet, bodyStart, ctx) : decodeDddBlock(packet, bodyStart, ctx);
    default:
      return fail('FM_ERR_UNKNOWN_PACKET', `unknown or server-only packet type #${type}#`, null);
  }
}
