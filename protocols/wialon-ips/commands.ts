/**
 * Server → device packets (§2, §9) and their reading on the device side (for the device
 * simulator and tests): `#M#` driver message, `#QI#` photo request, `#QT#` DDD request, `#US#` /
 * `#UC#` firmware / config upload with binary, a raw custom command line, and every answer.
 * The device answers none of US/UC (§9: "No device answer is defined"), so there is no `#AUS#`.
 */
import { crc16arc } from '../common/crc.ts';
import { hex16, protocolError, type ProtocolError } from '../common/errors.ts';
import { parseAnswer, type ParsedAnswer } from './answers.ts';
import { splitBinary } from './binary.ts';
import { checkCrc, formatCrc, parseCrcToken } from './crc.ts';
import { parseHead } from './decoder.ts';
import { encodeMessage } from './encoder.ts';
import { concatBytes, CRLF, parseUnsigned, preview, toBytes, utf8 } from './fields.ts';
import type { WialonVersion } from './model.ts';

/** §9: a driver message from the server has the device's format (`#M#text[;CRC]`). */
export const encodeServerMessage = encodeMessage;

/** §2 `#QI#` (v2.0): ask for a photo; the device answers with I packets. */
export function encodeImageRequest(): Uint8Array {
  return toBytes('#QI#\r\n');
}

/** §2 `#QT#DriverID` (v2.0): ask for a DDD file; the device answers IT, then T blocks. */
export function encodeDddRequest(driverId: string): Uint8Array {
  if (/[\r\n]/.test(driverId)) throw new RangeError('driverId cannot contain CR or LF');
  return toBytes(`#QT#${driverId}\r\n`);
}

function upload(type: 'US' | 'UC', version: WialonVersion, bin: Uint8Array): Uint8Array {
  const header = version === '2.0' ? `#${type}#${bin.length};${formatCrc(crc16arc(bin))}` : `#${type}#${bin.length}`;
  return concatBytes([toBytes(header), CRLF, bin]);
}

/** §9 `#US#sz[;CRC16]\r\n` + firmware BIN (CRC over the BIN, v2.0). */
export const encodeFirmwareUpload = (version: WialonVersion, bin: Uint8Array): Uint8Array => upload('US', version, bin);

/** §9 `#UC#sz[;CRC16]\r\n` + configuration BIN (CRC over the BIN, v2.0). */
export const encodeConfigUpload = (version: WialonVersion, bin: Uint8Array): Uint8Array => upload('UC', version, bin);

/** §9 custom command: plain `text\r\n` with no `#..#` (device-specific, e.g. `reboot`). */
export function encodeCommand(text: string): Uint8Array {
  if (text === '' || text.startsWith('#') || /[\r\n]/.test(text)) {
    throw new RangeError('a custom command is non-empty text that does not start with # and has no CR/LF');
  }
  return toBytes(text + '\r\n');
}

/** What a device reads from the server, one frame at a time. */
export type ServerPacket =
  | { readonly kind: 'answer'; readonly answer: ParsedAnswer }
  | { readonly kind: 'message'; readonly text: string }
  | { readonly kind: 'image-request' }
  | { readonly kind: 'ddd-request'; readonly driverId: string }
  | { readonly kind: 'upload'; readonly type: 'US' | 'UC'; readonly data: Uint8Array }
  | { readonly kind: 'command'; readonly text: string }
  | { readonly kind: 'invalid'; readonly error: ProtocolError };

function invalid(code: ProtocolError['code'], message: string): ServerPacket {
  return { kind: 'invalid', error: protocolError(code, message) };
}

/**
 * Reads one frame of the server → device stream (a framer made with `rawLines: true` yields
 * commands too). v2.0 CRCs on M, US and UC are checked. Never throws.
 */
export function decodeServerPacket(frame: Uint8Array, version: WialonVersion): ServerPacket {
  const head = parseHead(frame);
  if (head === null) return { kind: 'command', text: utf8(frame) };
  const { type, bodyStart } = head;
  switch (type) {
    case 'M': {
      const body = utf8(frame, bodyStart);
      if (version === '1.1') return { kind: 'message', text: body };
      const semi = body.lastIndexOf(';');
      if (semi < 0) return invalid('FM_ERR_MALFORMED', 'v2.0 message lacks its ;CRC16 field');
      const token = body.slice(semi + 1);
      const crc = checkCrc(frame, bodyStart, frame.length - token.length, token);
      if (crc.status === 'missing') return invalid('FM_ERR_MALFORMED', crc.message);
      if (crc.status === 'mismatch') return invalid('FM_ERR_CRC_MISMATCH', crc.message);
      return { kind: 'message', text: body.slice(0, semi) };
    }
    case 'QI':
      return { kind: 'image-request' };
    case 'QT':
      return { kind: 'ddd-request', driverId: utf8(frame, bodyStart) };
    case 'US':
    case 'UC': {
      const { headerEnd, data } = splitBinary(frame, bodyStart);
      const fields = utf8(frame, bodyStart, headerEnd).split(';');
      if (fields.length !== (version === '2.0' ? 2 : 1)) return invalid('FM_ERR_MALFORMED', `#${type}# header has ${fields.length} fields`);
      const size = parseUnsigned(fields[0], 9);
      if (data === null || data.length !== size) return invalid('FM_ERR_LENGTH_MISMATCH', `#${type}# says ${fields[0]} bytes, ${data?.length ?? 0} followed`);
      if (version === '2.0') {
        const sent = parseCrcToken(fields[1]);
        const computed = crc16arc(data);
        if (Number.isNaN(sent)) return invalid('FM_ERR_MALFORMED', `#${type}# lacks a CRC`);
        if (sent !== computed) return invalid('FM_ERR_CRC_MISMATCH', `CRC mismatch: packet says ${hex16(sent)}, computed ${hex16(computed)}`);
      }
      return { kind: 'upload', type, data };
    }
    default: {
      const answer = parseAnswer(utf8(frame));
      return answer ? { kind: 'answer', answer } : invalid('FM_ERR_UNKNOWN_PACKET', `unknown server packet "${preview(frame)}"`);
    }
  }
}
