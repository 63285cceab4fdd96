/**
 * The IMEI handshake (teltonika.md §2): u16 length + the IMEI as ASCII digits; the server answers
 * one raw byte, 0x01 accept / 0x00 reject.
 */
import { ProtocolFault } from '../common/errors.ts';

/** §2 framing: "reject lengths other than 15 (or, to be lenient, outside 1..20)". We are lenient. */
export const IMEI_MIN_LENGTH = 1;
export const IMEI_MAX_LENGTH = 20;
/** The length every real device sends (`0x000F`). */
export const IMEI_STANDARD_LENGTH = 15;

const ACCEPT = Uint8Array.of(0x01);
const REJECT = Uint8Array.of(0x00);

/** §2 step 2: one binary byte, 0x01 to accept or 0x00 to reject (never ASCII "1"). A fresh copy. */
export function imeiReply(accepted: boolean): Uint8Array {
  return (accepted ? ACCEPT : REJECT).slice();
}

export function isImeiLength(length: number, strict = false): boolean {
  return strict ? length === IMEI_STANDARD_LENGTH : length >= IMEI_MIN_LENGTH && length <= IMEI_MAX_LENGTH;
}

/**
 * Reads `length` ASCII digits at `bytes[offset]`; throws `FM_ERR_BAD_IMEI` if the length is out of
 * range or a byte is not a digit. The caller guarantees the bytes are there.
 */
export function checkImeiBytes(bytes: Uint8Array, offset: number, length: number, strict = false): string {
  if (!isImeiLength(length, strict)) {
    throw new ProtocolFault('FM_ERR_BAD_IMEI', `IMEI length: expected ${strict ? IMEI_STANDARD_LENGTH : `${IMEI_MIN_LENGTH}..${IMEI_MAX_LENGTH}`}, got ${length}`);
  }
  let imei = '';
  for (let i = 0; i < length; i++) {
    const c = bytes[offset + i];
    if (c < 0x30 || c > 0x39) {
      throw new ProtocolFault('FM_ERR_BAD_IMEI', `IMEI byte ${i + 1}: expected an ASCII digit, got 0x${c.toString(16).toUpperCase().padStart(2, '0')}`);
    }
    imei += String.fromCharCode(c);
  }
  return imei;
}
