/**
 * §9 tachograph (DDD) files, v2.0 only (§1: none in v1.1):
 * - `#IT#date;time;DriverID;Code;Count;CRC16` → `#AIT#1` OK, `#AIT#0` error, `#AIT#01` CRC error;
 * - `#T#Code;Sz;Ind;CRC16\r\n` + Sz bytes, the CRC over the binary only → `#AT#ind;1`, `#AT#ind;0`,
 *   `#AT#ind;01`. The final `#AT#1` needs the block count of the session's IT packet, so ingest
 *   sends it (answers.ts `answerDddDone`). A T header too broken to name its index gets no answer:
 *   the doc defines none.
 */
import { crc16arc } from '../common/crc.ts';
import { hex16 } from '../common/errors.ts';
import { answerDddBlock, answerDddInfo } from './answers.ts';
import { splitBinary } from './binary.ts';
import { checkCrc, parseCrcToken } from './crc.ts';
import { fail, type PacketContext } from './data.ts';
import { parseDateTime } from './datetime.ts';
import { parseUnsigned, utf8 } from './fields.ts';
import type { WialonPacketResult } from './model.ts';

export function decodeDddInfo(packet: Uint8Array, bodyStart: number, _ctx: PacketContext): WialonPacketResult {
  const fields = utf8(packet, bodyStart).split(';');
  if (fields.length !== 6) return fail('FM_ERR_MALFORMED', `IT has ${fields.length} fields, expected 6`, answerDddInfo('0'));
  const token = fields[5];
  const crc = checkCrc(packet, bodyStart, packet.length - token.length, token);
  if (crc.status === 'missing') return fail('FM_ERR_MALFORMED', crc.message, answerDddInfo('0'));
  if (crc.status === 'mismatch') return fail('FM_ERR_CRC_MISMATCH', crc.message, answerDddInfo('01'));
  const time = parseDateTime(fields[0], fields[1]);
  if (Number.isNaN(time)) return fail('FM_ERR_BAD_FIELD', `impossible date/time "${fields[0].slice(0, 16)};${fields[1].slice(0, 16)}"`, answerDddInfo('0'));
  const count = parseUnsigned(fields[4], 9);
  if (Number.isNaN(count)) return fail('FM_ERR_BAD_FIELD', `IT block count "${fields[4].slice(0, 16)}" is not an integer`, answerDddInfo('0'));
  return { ok: true, type: 'IT', records: [], reply: answerDddInfo('1'), ddd: { time, driverId: fields[2], code: fields[3], count } };
}

export function decodeDddBlock(packet: Uint8Array, bodyStart: number, _ctx: PacketContext): WialonPacketResult {
  const { headerEnd, data } = splitBinary(packet, bodyStart);
  const fields = utf8(packet, bodyStart, headerEnd).split(';');
  if (fields.length !== 4) return fail('FM_ERR_MALFORMED', `T header has ${fields.length} fields, expected 4`, null);
  const index = parseUnsigned(fields[2], 9);
  if (Number.isNaN(index)) return fail('FM_ERR_MALFORMED', `T block index "${fields[2].slice(0, 16)}" is not an integer`, null);
  const sent = parseCrcToken(fields[3]);
  if (Number.isNaN(sent)) return fail('FM_ERR_MALFORMED', `T header lacks a CRC: "${fields[3].slice(0, 16)}"`, answerDddBlock(index, '0'));
  const size = parseUnsigned(fields[1], 9);
  if (data === null || data.length !== size) {
    return fail('FM_ERR_LENGTH_MISMATCH', `T header says ${fields[1].slice(0, 16)} bytes, ${data?.length ?? 0} followed`, answerDddBlock(index, '0'));
  }
  const computed = crc16arc(data);
  if (computed !== sent) return fail('FM_ERR_CRC_MISMATCH', `CRC mismatch: packet says ${hex16(sent)}, computed ${hex16(computed)}`, answerDddBlock(index, '01'));
  return { ok: true, type: 'T', records: [], reply: answerDddBlock(index, '1'), ddd: { code: fields[0], index, data } };
}
