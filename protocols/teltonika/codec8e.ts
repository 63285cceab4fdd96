/**
 * Codec 8 Extended (0x8E) records (teltonika.md §4.3): 2-byte event id, 2-byte counts, 2-byte IO
 * ids, and a variable-length NX group ([id u16, length u16, bytes]) after the 8-byte group.
 */
import type { IoElement } from '../record.ts';
import { EXTRAS_CODEC_8E, RECORD_HEAD_SIZE, copyBytes, ioCountWarning, makeRecord, overrun } from './avl.ts';
import type { RecordParser } from './avl.ts';

export const parseRecords8E: RecordParser = (b, view, start, end, count, deviceId, receivedAt, out, warnings) => {
  let o = start;
  for (let r = 0; r < count; r++) {
    const rec = o;
    // head + event id (2) + N (2) + N1 count (2)
    let need = o + RECORD_HEAD_SIZE + 6;
    if (need > end) throw overrun('head', r, need, end);
    const eventId = (b[o + 24] << 8) | b[o + 25];
    const declared = (b[o + 26] << 8) | b[o + 27];
    o += 28;

    // One bounds pass over the fixed groups: each check covers a group and the count after it.
    const n1 = (b[o] << 8) | b[o + 1];
    const o2 = o + 2 + n1 * 3;
    if (o2 + 2 > end) throw overrun('1-byte IO group', r, o2 + 2, end);
    const n2 = (b[o2] << 8) | b[o2 + 1];
    const o4 = o2 + 2 + n2 * 4;
    if (o4 + 2 > end) throw overrun('2-byte IO group', r, o4 + 2, end);
    const n4 = (b[o4] << 8) | b[o4 + 1];
    const o8 = o4 + 2 + n4 * 6;
    if (o8 + 2 > end) throw overrun('4-byte IO group', r, o8 + 2, end);
    const n8 = (b[o8] << 8) | b[o8 + 1];
    const ox = o8 + 2 + n8 * 10;
    if (ox + 2 > end) throw overrun('8-byte IO group', r, ox + 2, end);
    const nx = (b[ox] << 8) | b[ox + 1];
    // Each NX entry takes at least 4 bytes: checked before the IO array is sized from the counts,
    // so a small packet can never make us allocate for 65535 phantom entries.
    if (ox + 2 + nx * 4 > end) throw overrun('NX IO group', r, ox + 2 + nx * 4, end);

    const total = n1 + n2 + n4 + n8 + nx;
    const io: IoElement[] = new Array(total);
    let k = 0;
    // 1-byte values: [id u16, value u8]
    for (o += 2; o < o2; o += 3) io[k++] = { id: (b[o] << 8) | b[o + 1], value: b[o + 2] };
    // 2-byte values
    for (o += 2; o < o4; o += 4) io[k++] = { id: (b[o] << 8) | b[o + 1], value: (b[o + 2] << 8) | b[o + 3] };
    // 4-byte values (unsigned)
    for (o += 2; o < o8; o += 6) {
      io[k++] = { id: (b[o] << 8) | b[o + 1], value: ((b[o + 2] << 24) | (b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5]) >>> 0 };
    }
    // 8-byte values: exact unsigned bigint (§5)
    for (o += 2; o < ox; o += 10) io[k++] = { id: (b[o] << 8) | b[o + 1], value: view.getBigUint64(o + 2) };
    // NX values: [id u16, length u16, bytes]; copied, so records never pin the caller's buffer.
    o += 2;
    for (let i = 0; i < nx; i++) {
      need = o + 4;
      if (need > end) throw overrun('NX IO group', r, need, end);
      const len = (b[o + 2] << 8) | b[o + 3];
      need = o + 4 + len;
      if (need > end) throw overrun('NX IO value', r, need, end);
      io[k++] = { id: (b[o] << 8) | b[o + 1], value: copyBytes(b, o + 4, need) };
      o = need;
    }

    if (total !== declared) warnings.push(ioCountWarning(r, declared, total));
    out.push(makeRecord(b, rec, deviceId, receivedAt, eventId, io, EXTRAS_CODEC_8E));
  }
  return o;
};
