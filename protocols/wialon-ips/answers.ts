/**
 * Every server → device answer of Wialon IPS 1.1 / 2.0, as the exact bytes to send (`text\r\n`).
 * Codes exactly as shared/protocols/wialon-ips.md lists them; each set cites its section.
 * Answers are never compressed (§4).
 */
import type { WialonVersion } from './model.ts';
import { toBytes } from './fields.ts';

/** Answers already encoded (bounded): encoding one each time cost ~10 % of a `#D#` decode. */
const encoded = new Map<string, Uint8Array>();

/** `text\r\n` as bytes; each call gets its own copy. */
function line(text: string): Uint8Array {
  let bytes = encoded.get(text);
  if (bytes === undefined) {
    bytes = toBytes(text + '\r\n');
    if (encoded.size < 1024) encoded.set(text, bytes);
  }
  return bytes.slice();
}

/** §5 AL: 1 authorised, 0 rejected (unknown unit, version mismatch, bad structure), 01 bad password, 10 bad CRC (v2.0). */
export const AL_CODES = ['1', '0', '01', '10'] as const;
export type AlCode = (typeof AL_CODES)[number];

/** §6 ASD: -1 structure, 0 time, 1 OK, 10 coordinates, 11 speed/course/altitude, 12 satellites, 13 CRC (v2.0). */
export const ASD_CODES = [-1, 0, 1, 10, 11, 12, 13] as const;
export type AsdCode = (typeof ASD_CODES)[number];

/** §7 AD: as ASD, plus 12 also HDOP, 13 inputs/outputs, 14 ADC, 15 params, 16 CRC (v2.0). {-1, 0, 1, 10–16}. */
export const AD_CODES = [-1, 0, 1, 10, 11, 12, 13, 14, 15, 16] as const;
export type AdCode = (typeof AD_CODES)[number];

/** §9 AM: 1 received, 0 error, 01 CRC error (v2.0). */
export const AM_CODES = ['1', '0', '01'] as const;
export type AmCode = (typeof AM_CODES)[number];

/** §9 AI / AT block results: 1 OK, 0 error, 01 CRC error. */
export const BLOCK_CODES = ['1', '0', '01'] as const;
export type BlockCode = (typeof BLOCK_CODES)[number];

/** §9 AIT: 1 OK, 0 error, 01 CRC error (v2.0). */
export const AIT_CODES = ['1', '0', '01'] as const;
export type AitCode = (typeof AIT_CODES)[number];

export const answerLogin = (code: AlCode): Uint8Array => line('#AL#' + code);
export const answerShortData = (code: AsdCode): Uint8Array => line('#ASD#' + code);
export const answerData = (code: AdCode): Uint8Array => line('#AD#' + code);

/** §8: `#AB#n` with n bodies accepted; `null` → `#AB#` (v2.0 CRC error, the whole packet rejected). */
export function answerBlackBox(accepted: number | null): Uint8Array {
  return line('#AB#' + (accepted === null ? '' : String(accepted)));
}

/** §9 ping answer. */
export const answerPing = (): Uint8Array => line('#AP#');

export const answerMessage = (code: AmCode): Uint8Array => line('#AM#' + code);

/** §9 `#AI#ind;code`; `index` null → `#AI#NA;0`-style (structure error, §12). */
export function answerImage(index: number | null, code: BlockCode): Uint8Array {
  return line('#AI#' + (index === null ? 'NA' : String(index)) + ';' + code);
}

/** §9: the extra `#AI#1` sent once the last block of a photo is stored. */
export const answerImageDone = (): Uint8Array => line('#AI#1');

export const answerDddInfo = (code: AitCode): Uint8Array => line('#AIT#' + code);

/** §9 `#AT#ind;code`. */
export function answerDddBlock(index: number, code: BlockCode): Uint8Array {
  return line('#AT#' + String(index) + ';' + code);
}

/** §9: the final `#AT#1` once every DDD block arrived (the session, not the codec, knows when). */
export const answerDddDone = (): Uint8Array => line('#AT#1');

/** Outcome of the login decision that ingest takes (device registry, password). */
export const LOGIN_OUTCOMES = ['accepted', 'rejected', 'bad-password', 'crc-error'] as const;
export type LoginOutcome = (typeof LOGIN_OUTCOMES)[number];

/**
 * §5 / §12 login answer: accepted `#AL#1`, rejected `#AL#0`, bad password `#AL#01`, CRC error
 * `#AL#10`. v1.1 has no CRC (§12: "A v1.1 device … never receives a CRC error code"), so a
 * `crc-error` outcome for v1.1 is answered `#AL#0`.
 */
export function loginReply(version: WialonVersion, outcome: LoginOutcome): Uint8Array {
  switch (outcome) {
    case 'accepted':
      return answerLogin('1');
    case 'rejected':
      return answerLogin('0');
    case 'bad-password':
      return answerLogin('01');
    case 'crc-error':
      return answerLogin(version === '2.0' ? '10' : '0');
  }
}

/** Answer packet types, server → device (§2). */
export const ANSWER_TYPES = ['AL', 'ASD', 'AD', 'AB', 'AP', 'AM', 'AI', 'AIT', 'AT'] as const;
export type AnswerType = (typeof ANSWER_TYPES)[number];

/**
 * An answer as the device sees it: `code` is the text after `#TYPE#` (for AI/AT after the `;`),
 * `index` the block index of AI/AT (`'NA'` kept as text). For the device simulator and tests.
 */
export interface ParsedAnswer {
  readonly type: AnswerType;
  readonly code: string;
  readonly index: string | null;
}

/** Parses one answer line (without `\r\n`); null when it is not an answer. */
export function parseAnswer(text: string): ParsedAnswer | null {
  if (text.charCodeAt(0) !== 0x23) return null;
  const close = text.indexOf('#', 1);
  if (close < 0) return null;
  const type = text.slice(1, close);
  if (!(ANSWER_TYPES as readonly string[]).includes(type)) return null;
  const body = text.slice(close + 1);
  if (type === 'AI' || type === 'AT') {
    const semi = body.indexOf(';');
    if (semi >= 0) return { type: type as AnswerType, index: body.slice(0, semi), code: body.slice(semi + 1) };
  }
  return { type: type as AnswerType, index: null, code: body };
}
