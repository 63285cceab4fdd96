/**
 * §9 driver message, device → server: `#M#text` (v1.1) or `#M#text;CRC16` (v2.0, the CRC over
 * `text;`). Answers: `#AM#1` received, `#AM#0` error, `#AM#01` CRC error (v2.0). In v2.0 the text
 * is everything before the last `;`, so it may itself contain `;`.
 */
import { answerMessage } from './answers.ts';
import { checkCrc } from './crc.ts';
import { fail, type PacketContext } from './data.ts';
import { utf8 } from './fields.ts';
import type { WialonPacketResult } from './model.ts';

export function decodeMessage(packet: Uint8Array, bodyStart: number, ctx: PacketContext): WialonPacketResult {
  const body = utf8(packet, bodyStart);
  if (ctx.version === '1.1') return { ok: true, type: 'M', records: [], reply: answerMessage('1'), text: body };
  const semi = body.lastIndexOf(';');
  if (semi < 0) return fail('FM_ERR_MALFORMED', 'v2.0 message lacks its ;CRC16 field', answerMessage('0'));
  const token = body.slice(semi + 1);
  const crc = checkCrc(packet, bodyStart, packet.length - token.length, token);
  if (crc.status === 'missing') return fail('FM_ERR_MALFORMED', crc.message, answerMessage('0'));
  if (crc.status === 'mismatch') return fail('FM_ERR_CRC_MISMATCH', crc.message, answerMessage('01'));
  return { ok: true, type: 'M', records: [], reply: answerMessage('1'), text: body.slice(0, semi) };
}
