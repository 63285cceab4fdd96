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
import { bodyToRecord, droppedWarnings, fail, parseDataBody, type PacketContext, type RecordOptions } from './data.ts';
import { utf8 } from './fields.ts';
import type { WialonPacketResult } from './model.ts';
import { scanBody, scannedEnd, WIALON_EXTRAS } from './scan.ts';

const BAR = 0x7c; // '|'

/**
 * Bodies are found by scanning the bytes for `|` and each is read in place by scan.ts; a body it
 * declines goes through the text path (`parseDataBody`), which accepts it or says why not. Decoding
 * per segment equals decoding the packet and splitting it: `|` and `;` are ASCII, never inside a
 * UTF-8 sequence.
 */
export function decodeBlackBox(packet: Uint8Array, bodyStart: number, ctx: PacketContext): WialonPacketResult {
  let end = packet.length;
  if (ctx.version === '2.0') {
    let bar = end - 1;
    while (bar >= bodyStart && packet[bar] !== BAR) bar--;
    const token = utf8(packet, bar + 1); // no `|` at all: the whole body is the token (and no body is left)
    const crc = checkCrc(packet, bodyStart, packet.length - token.length, token);
    if (crc.status === 'missing') return fail('FM_ERR_MALFORMED', crc.message, answerBlackBox(0));
    if (crc.status === 'mismatch') return fail('FM_ERR_CRC_MISMATCH', crc.message, answerBlackBox(null));
    end = bar; // < bodyStart when there was no `|`: no bodies
  }
  const records: TelemetryRecord[] = [];
  let warnings: ProtocolError[] | undefined;
  const extras = WIALON_EXTRAS[ctx.version].blackBox;
  let opts: RecordOptions | null = null;
  for (let from = bodyStart, i = 0; from <= end && end >= bodyStart; i++) {
    // The scanner reads up to the next `|` and says where that was, accepted or not.
    const record = from < end && packet[from] !== BAR ? scanBody(packet, from, end, null, ctx.deviceId, ctx.receivedAt, extras, true) : null;
    const to = from < end && packet[from] !== BAR ? scannedEnd : from;
    if (to > from) {
      if (record !== null) records.push(record);
      else {
        const parsed = parseDataBody(utf8(packet, from, to));
        if (!parsed.ok) {
          // Its own code (the §7 answer code the body would have earned is in the message): ingest
          // counts these in fleetmeter_decode_errors_total, they are not silently lost in `#AB#n`.
          (warnings ??= []).push(protocolError('FM_ERR_BODY_REFUSED', `black-box body ${i} refused (code ${parsed.code}): ${parsed.message}`));
        } else {
          records.push(bodyToRecord(parsed.body, (opts ??= { ...ctx, packetType: 'B', archive: true })));
          const dropped = droppedWarnings(parsed.dropped);
          if (dropped) (warnings ??= []).push(...dropped);
        }
      }
    }
    from = to + 1;
  }
  return { ok: true, type: 'B', records, reply: answerBlackBox(records.length), ...(warnings ? { warnings } : {}) };
}
