/**
 * §11 v2.0 CRC field: CRC-16/ARC (protocols/common/crc.ts) written as 4 upper-case hex digits,
 * parsed leniently (optional `0x`, any case, 1–4 digits: traccar has a real `0x9b0` = 0x09B0).
 */
import { crc16arc } from '../common/crc.ts';
import { hex16 } from '../common/errors.ts';

/** The CRC value of a token, or NaN when the token is not a CRC (then the packet "lacks a CRC", §12). */
export function parseCrcToken(token: string): number {
  let i = 0;
  if (token.length > 2 && token.charCodeAt(0) === 0x30 && (token.charCodeAt(1) | 0x20) === 0x78) i = 2; // 0x / 0X
  const digits = token.length - i;
  if (digits < 1 || digits > 4) return NaN;
  let v = 0;
  for (; i < token.length; i++) {
    const c = token.charCodeAt(i);
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x61 + 10;
    else return NaN;
    v = v * 16 + d;
  }
  return v;
}

/** §11 format: 4 ASCII hex digits, upper case (0xFC45 → `FC45`). */
export function formatCrc(crc: number): string {
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

export type CrcCheck =
  | { readonly status: 'ok' }
  | { readonly status: 'missing'; readonly message: string }
  | { readonly status: 'mismatch'; readonly message: string };

/**
 * Checks a trailing CRC token against `bytes[start, end)`. The token must be the ASCII text that
 * the caller cut after the last separator, so its byte length equals its string length.
 */
export function checkCrc(bytes: Uint8Array, start: number, end: number, token: string): CrcCheck {
  const sent = parseCrcToken(token);
  if (Number.isNaN(sent)) {
    return { status: 'missing', message: `v2.0 packet lacks a CRC: expected 4 hex digits, got "${token.slice(0, 16)}"` };
  }
  const computed = crc16arc(bytes, start, end);
  if (sent !== computed) {
    return { status: 'mismatch', message: `CRC mismatch: packet says ${hex16(sent)}, computed ${hex16(computed)}` };
  }
  return { status: 'ok' };
}
