/**
 * Codec 16 (0x10) records (teltonika.md §4.4): 2-byte event id, a generation type byte, 1-byte
 * counts, 2-byte IO ids, groups of 1, 2, 4 and 8-byte values, no NX group.
 */
import type { IoElement } from '../record.ts';
import { EXTRAS_CODEC_16, RECORD_HEAD_SIZE, ioCountWarning, makeRecord, overrun } from './avl.ts';
import type { RecordParser } from './avl.ts';

export const parseRecords16: RecordParser = (b, view, start, end, count, deviceId, receivedAt, out, warnings) => {
  let o = start;
  for (let r = 0; r < count; r++) {
    const rec = o;
    // head + event id (2) + generation type (1) + N (1) + N1 count (1)
    const need = o + RECORD_HEAD_SIZE + 5;
    if (need > end) throw overrun('head', r, need, end);
    const eventId = (b[o + 24] << 8) | b[o + 25];
    const generationType = b[o + 26];
    const declared = b[o + 27];
    o += 28;

    // One bounds pass over the groups: each check covers a group and the count after it; the
    // 8-byte group is the last thing in the record.
    const n1 = b[o];
    const o2 = o + 1 + n1 * 3;
    if (o2 + 1 > end) throw overrun('1-byte IO group', r, o2 + 1, end);
    const n2 = b[o2];
    const o4 = o2 + 1 + n2 * 4;
    if (o4 + 1 > end) throw overrun('2-byte IO group', r, o4 + 1, end);
    const n4 = b[o4];
    const o8 = o4 + 1 + n4 * 6;
    if (o8 + 1 > end) throw overrun('4-byte IO group', r, o8 + 1, end);
    const n8 = b[o8];
    const stop = o8 + 1 + n8 * 10;
    if (stop > end) throw overrun('8-byte IO group', r, stop, end);

    const total = n1 + n2 + n4 + n8;
    const io: IoElement[] = new Array(total);
    let k = 0;
    // 1-byte values: [id u16, value u8]
    for (o += 1; o < o2; o += 3) io[k++] = { id: (b[o] << 8) | b[o + 1], value: b[o + 2] };
    // 2-byte values
    for (o += 1; o < o4; o += 4) io[k++] = { id: (b[o] << 8) | b[o + 1], value: (b[o + 2] << 8) | b[o + 3] };
    // 4-byte values (unsigned)
    for (o += 1; o < o8; o += 6) {
      io[k++] = { id: (b[o] << 8) | b[o + 1], value: ((b[o + 2] << 24) | (b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5]) >>> 0 };
    }
    // 8-byte values: exact unsigned bigint (§5)
    for (o += 1; o < stop; o += 10) io[k++] = { id: (b[o] << 8) | b[o + 1], value: view.getBigUint64(o + 2) };

    if (total !== declared) warnings.push(ioCountWarning(r, declared, total));
    out.push(makeRecord(b, rec, deviceId, receivedAt, eventId, io, EXTRAS_CODEC_16[generationType]));
  }
  return o;
};
