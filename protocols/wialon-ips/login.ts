/**
 * §5 login. v1.1: `#L#imei;password`; v2.0: `#L#2.0;imei;password;CRC16` with the CRC over
 * `2.0;imei;password;`. §1: the version is 2.0 when the first `;` field contains a `.`; a v1.1
 * login has exactly 2 fields, a v2.0 login 4. The codec only parses: ingest decides whether the
 * unit and password are known and answers with `loginReply` (answers.ts).
 */
import { answerLogin } from './answers.ts';
import { checkCrc } from './crc.ts';
import { fail } from './data.ts';
import { isAbsent, utf8 } from './fields.ts';
import type { WialonPacketResult } from './model.ts';

export function decodeLogin(packet: Uint8Array, bodyStart: number): WialonPacketResult {
  const fields = utf8(packet, bodyStart).split(';');
  const v2 = fields[0].includes('.');
  if (!v2) {
    // §5 v1.1: imei;password. Anything else is "bad structure" → #AL#0 (§5, §12).
    if (fields.length !== 2) return fail('FM_ERR_MALFORMED', `v1.1 login has ${fields.length} fields, expected 2`, answerLogin('0'));
    return accepted(fields[0], fields[1], '1.1');
  }
  if (fields.length !== 4) return fail('FM_ERR_MALFORMED', `v2.0 login has ${fields.length} fields, expected 4`, answerLogin('0'));
  const token = fields[3];
  const crc = checkCrc(packet, bodyStart, packet.length - token.length, token);
  if (crc.status === 'missing') return fail('FM_ERR_MALFORMED', crc.message, answerLogin('0'));
  if (crc.status === 'mismatch') return fail('FM_ERR_CRC_MISMATCH', crc.message, answerLogin('10')); // §12 L: #AL#10
  // §12: "v2.0 protocol version mismatch on login" → #AL#0.
  if (fields[0] !== '2.0') return fail('FM_ERR_UNSUPPORTED', `protocol version "${fields[0].slice(0, 16)}", expected 2.0`, answerLogin('0'));
  return accepted(fields[1], fields[2], '2.0');
}

function accepted(deviceId: string, password: string, version: '1.1' | '2.0'): WialonPacketResult {
  if (deviceId === '' || deviceId === 'NA') return fail('FM_ERR_BAD_IMEI', 'login without a unit id', answerLogin('0'));
  // §5: the password is `NA` when the device has none; an empty field is absent too (§10).
  return { ok: true, type: 'L', login: { deviceId, password: isAbsent(password) ? null : password, version }, records: [], reply: null };
}
