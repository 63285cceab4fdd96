/**
 * §9 photo block: `#I#sz;ind;count;date;time;name[;CRC16]\r\n` + sz raw bytes. `ind` is the 0-based
 * block index, `count` the index of the last block; in v2.0 the CRC covers only the binary.
 * Answers: `#AI#ind;1` OK, `#AI#ind;0` error, `#AI#ind;01` CRC error, `#AI#NA;0` structure error
 * (§12), and after the last block also `#AI#1` (sent in the same reply, after `#AI#ind;1`).
 */
import { crc16arc } from '../common/crc.ts';
import { hex16 } from '../common/errors.ts';
import { answerImage, answerImageDone } from './answers.ts';
import { splitBinary } from './binary.ts';
import { parseCrcToken } from './crc.ts';
import { fail, type PacketContext } from './data.ts';
import { parseDateTime } from './datetime.ts';
import { concatBytes, parseUnsigned, utf8 } from './fields.ts';
import type { WialonPacketResult } from './model.ts';

export function decodeImage(packet: Uint8Array, bodyStart: number, ctx: PacketContext): WialonPacketResult {
  const { headerEnd, data } = splitBinary(packet, bodyStart);
  const fields = utf8(packet, bodyStart, headerEnd).split(';');
  const expected = ctx.version === '2.0' ? 7 : 6;
  const structure = answerImage(null, '0');
  if (fields.length !== expected) return fail('FM_ERR_MALFORMED', `I header has ${fields.length} fields, expected ${expected}`, structure);
  const index = parseUnsigned(fields[1], 9);
  if (Number.isNaN(index)) return fail('FM_ERR_MALFORMED', `I block index "${fields[1].slice(0, 16)}" is not an integer`, structure);
  let sent = NaN;
  if (ctx.version === '2.0') {
    sent = parseCrcToken(fields[6]);
    if (Number.isNaN(sent)) return fail('FM_ERR_MALFORMED', `v2.0 I header lacks a CRC: "${fields[6].slice(0, 16)}"`, structure);
  }
  const size = parseUnsigned(fields[0], 9);
  if (data === null || data.length !== size) {
    return fail('FM_ERR_LENGTH_MISMATCH', `I header says ${fields[0].slice(0, 16)} bytes, ${data?.length ?? 0} followed`, answerImage(index, '0'));
  }
  const lastIndex = parseUnsigned(fields[2], 9);
  if (!(lastIndex >= index)) return fail('FM_ERR_BAD_FIELD', `I last block "${fields[2].slice(0, 16)}" is below block ${index}`, answerImage(index, '0'));
  const time = parseDateTime(fields[3], fields[4]);
  if (Number.isNaN(time)) return fail('FM_ERR_BAD_FIELD', `impossible shot time "${fields[3].slice(0, 16)};${fields[4].slice(0, 16)}"`, answerImage(index, '0'));
  if (ctx.version === '2.0') {
    const computed = crc16arc(data);
    if (computed !== sent) return fail('FM_ERR_CRC_MISMATCH', `CRC mismatch: packet says ${hex16(sent)}, computed ${hex16(computed)}`, answerImage(index, '01'));
  }
  const ok = answerImage(index, '1');
  return {
    ok: true,
    type: 'I',
    records: [],
    reply: index === lastIndex ? concatBytes([ok, answerImageDone()]) : ok,
    image: { index, lastIndex, time, name: fields[5], data },
  };
}
