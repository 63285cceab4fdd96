/**
 * §8 black box: `#B#body|body|…|body` (v1.1) or `#B#body|…|body|CRC16` (v2.0, the CRC over
 * everything up to and including the last `|`). Each body is an SD (10 fields) or D (16 fields)
 * body without type prefix and CRC; records are flagged `archive` (history).
 *
 * Answer (§8): `#AB#n`, n = bodies that parsed (the doc's recommendation); `#AB#` for a v2.0 CRC
 * error (the whole packet rejected). A v2.0 packet with no CRC after its last `|` is a structure
 * error (§12) and accepts nothing: `#AB#0`. Empty bodies (`a||b`, a trailing `|` in v1.1) are
 * skipped without counting. A refused body is a warning with code `FM_ERR_BODY_REFUSED`.
 */
import { protocolError, type ProtocolError } from '../common/errors.ts';
import type { TelemetryRecord } from '../record.ts';
import { answerBlackBox } from './answers.ts';
import { checkCrc } from './crc.ts';
import { bodyToRecord, droppedWarnings, fail, parseDataBody, type PacketContext } from './data.ts';
import { utf8 } from './fields.ts';
import type { WialonPacketResult } from './model.ts';

export function decodeBlackBox(packet: Uint8Array, bodyStart: number, ctx: PacketContext): WialonPacketResult {
  const segments = utf8(packet, bodyStart).split('|');
  if (ctx.version === '2.0') {
    const token = segments.pop() as string; // split always yields at least one element
    const crc = checkCrc(packet, bodyStart, packet.length - token.length, token);
    if (crc.status === 'missing') return fail('FM_ERR_MALFORMED', crc.message, answerBlackBox(0));
    if (crc.status === 'mismatch') return fail('FM_ERR_CRC_MISMATCH', crc.message, answerBlackBox(null));
  }
  const records: TelemetryRecord[] = [];
  let warnings: ProtocolError[] | undefined;
  const opts = { ...ctx, packetType: 'B' as const, archive: true };
  for (let i = 0; i < segments.length; i++) {
    if (segments[i] === '') continue;
    const parsed = parseDataBody(segments[i]);
    if (!parsed.ok) {
      // Its own code (the §7 answer code the body would have earned is in the message): ingest
      // counts these in fleetmeter_decode_errors_total, they are not silently lost in `#AB#n`.
      (warnings ??= []).push(protocolError('FM_ERR_BODY_REFUSED', `black-box body ${i} refused (code ${parsed.code}): ${parsed.message}`));
      continue;
    }
    records.push(bodyToRecord(parsed.body, opts));
    const dropped = droppedWarnings(parsed.dropped);
    if (dropped) (warnings ??= []).push(...dropped);
  }
  return { ok: true, type: 'B', records, reply: answerBlackBox(records.length), ...(warnings ? { warnings } : {}) };
}
