/**
 * Protocol errors are values with a stable code; tests assert the code, never the message.
 * Messages say what was expected and what came ("CRC mismatch: frame says 0x09A5, computed 0xA6DE").
 */

export const PROTOCOL_ERROR_CODES = [
  'FM_ERR_CRC_MISMATCH',
  'FM_ERR_TRUNCATED',
  'FM_ERR_FRAME_TOO_LARGE',
  'FM_ERR_LENGTH_MISMATCH',
  'FM_ERR_COUNT_MISMATCH',
  'FM_ERR_UNKNOWN_CODEC',
  'FM_ERR_BAD_PREAMBLE',
  'FM_ERR_BAD_IMEI',
  'FM_ERR_BAD_FIELD',
  'FM_ERR_UNKNOWN_PACKET',
  'FM_ERR_NOT_LOGGED_IN',
  'FM_ERR_UNSUPPORTED',
  'FM_ERR_MALFORMED',
  /** A record inside an accepted packet was refused (Wialon IPS black-box body): a warning, counted. */
  'FM_ERR_BODY_REFUSED',
] as const;
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

export interface ProtocolError {
  readonly code: ProtocolErrorCode;
  readonly message: string;
}

export function protocolError(code: ProtocolErrorCode, message: string): ProtocolError {
  return { code, message };
}

/**
 * Thrown inside decoders only, to unwind from deep reads; every public decode entry point catches
 * it and returns it as a value. Never escapes `protocols/`.
 */
export class ProtocolFault extends Error {
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.code = code;
  }
  toValue(): ProtocolError {
    return { code: this.code, message: this.message };
  }
}

export function hex16(n: number): string {
  return '0x' + n.toString(16).toUpperCase().padStart(4, '0');
}
