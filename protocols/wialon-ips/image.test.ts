import { describe, expect, it } from 'vitest';
import { crc16arc } from '../common/crc.ts';
import { formatCrc } from './crc.ts';
import { decodePacket } from './decoder.ts';
import { decodeWire, loggedIn, replyText, te } from './vectors.test-helper.ts';

const BIN = Uint8Array.of(0xff, 0xd8, 0x0d, 0x0a, 0x23, 0x49, 0x23, 0x0d, 0x0a, 0xff, 0xd9); // \r\n and #I# inside
const packet = (header: string, data: Uint8Array = BIN) => new Uint8Array([...te.encode(header + '\r\n'), ...data]);
const code = (r: ReturnType<typeof decodePacket>) => (r.ok ? 'ok' : r.error.code);

describe('photo block I (§9)', () => {
  it('v1.1 middle block → #AI#ind;1 with the bytes and header fields', () => {
    const r = decodeWire(packet(`#I#${BIN.length};2;5;070512;124010;cam1.jpg`), loggedIn('1.1'));
    expect(r).toEqual({
      ok: true,
      type: 'I',
      records: [],
      reply: expect.any(Uint8Array),
      image: { index: 2, lastIndex: 5, time: Date.parse('2012-05-07T12:40:10Z'), name: 'cam1.jpg', data: BIN },
    });
    expect(replyText(r)).toBe('#AI#2;1\r\n');
  });
  it('the last block also gets #AI#1 (one reply, two lines)', () => {
    const r = decodeWire(packet(`#I#${BIN.length};5;5;070512;124010;cam1.jpg`), loggedIn('1.1'));
    expect(replyText(r)).toBe('#AI#5;1\r\n#AI#1\r\n');
  });
  it('v2.0: the CRC covers only the BIN; good → #AI#ind;1, bad → #AI#ind;01', () => {
    const good = decodeWire(packet(`#I#${BIN.length};0;0;NA;NA;x.jpg;${formatCrc(crc16arc(BIN))}`), loggedIn('2.0'));
    expect([code(good), replyText(good)]).toEqual(['ok', '#AI#0;1\r\n#AI#1\r\n']);
    expect(good.ok && good.type === 'I' && good.image?.time).toBeNull();
    const bad = decodeWire(packet(`#I#${BIN.length};0;3;NA;NA;x.jpg;${formatCrc(crc16arc(BIN) ^ 1)}`), loggedIn('2.0'));
    expect([code(bad), replyText(bad)]).toEqual(['FM_ERR_CRC_MISMATCH', '#AI#0;01\r\n']);
  });
  it('§12 structure errors → #AI#NA;0', () => {
    for (const [header, version] of [
      [`#I#${BIN.length};0;1;070512;124010`, '1.1'], // 5 fields
      [`#I#${BIN.length};0;1;070512;124010;x.jpg;ABCD`, '1.1'], // a CRC in v1.1
      [`#I#${BIN.length};0;1;070512;124010;x.jpg`, '2.0'], // no CRC in v2.0
      [`#I#${BIN.length};zero;1;070512;124010;x.jpg`, '1.1'], // index not a number
      [`#I#${BIN.length};0;1;070512;124010;x.jpg;nothex`, '2.0'],
    ] as const) {
      const r = decodeWire(packet(header), loggedIn(version));
      expect([code(r), replyText(r)], header).toEqual(['FM_ERR_MALFORMED', '#AI#NA;0\r\n']);
    }
  });
  it('block errors with a known index → #AI#ind;0', () => {
    const cases: [string, string][] = [
      ['#I#5;1;1;070512;124010;x.jpg', 'FM_ERR_LENGTH_MISMATCH'], // header says 5, 11 follow
      [`#I#${BIN.length};2;1;070512;124010;x.jpg`, 'FM_ERR_BAD_FIELD'], // index past the last
      [`#I#${BIN.length};1;1;320512;124010;x.jpg`, 'FM_ERR_BAD_FIELD'], // 32 May
    ];
    for (const [header, err] of cases) {
      const r = decodePacket(packet(header), loggedIn('1.1'), 0); // directly: a framer would cut 5 bytes
      expect(r.ok).toBe(false);
      expect([code(r), replyText(r)], header).toEqual([err, `#AI#${header.split(';')[1]};0\r\n`]);
    }
  });
  it('a header without its \\r\\n + BIN (as the framer yields when Sz is unreadable) → ind;0 or NA;0', () => {
    const r = decodePacket(te.encode('#I#x;1;1;070512;124010;x.jpg'), loggedIn('1.1'), 0);
    expect(replyText(r)).toBe('#AI#1;0\r\n');
  });
  it('an empty block (sz 0)', () => {
    const r = decodeWire(packet('#I#0;0;0;070512;124010;empty.jpg', new Uint8Array(0)), loggedIn('1.1'));
    expect(r.ok && r.type === 'I' && r.image?.data).toEqual(new Uint8Array(0));
  });
});
