import { describe, expect, it } from 'vitest';
import { decodePacket } from './decoder.ts';
import type { WialonPacketResult } from './model.ts';
import { decodeWire, loggedIn, replyText, wire, withCrc } from './vectors.test-helper.ts';

const V1 = loggedIn('1.1', 'bb1');
const V2 = loggedIn('2.0', 'bb2');
const SD = (t: string) => `270413;${t};5544.6025;N;03739.6834;E;1;2;3;4`;
const D = (t: string) => `${SD(t)};1.0;0;0;;NA;fuel:2:12.5`;
const code = (r: WialonPacketResult) => (r.ok ? 'ok' : r.error.code);
const recs = (r: WialonPacketResult) => (r.ok ? r.records : []);

describe('black box (§8)', () => {
  it('v1.1: mixed SD and D bodies, decided per body by field count; all archived', () => {
    const r = decodeWire(wire(`#B#${SD('100000')}|${D('100100')}|${SD('100200')}`), V1);
    expect(replyText(r)).toBe('#AB#3\r\n');
    expect(recs(r).map((x) => [x.deviceTime, x.extras?.bodyType, x.archive, x.io.length])).toEqual([
      [Date.parse('2013-04-27T10:00:00Z'), 'SD', true, 0],
      [Date.parse('2013-04-27T10:01:00Z'), 'D', true, 3], // inputs, outputs, fuel
      [Date.parse('2013-04-27T10:02:00Z'), 'SD', true, 0],
    ]);
  });
  it('answers the count of bodies that parsed; refused bodies become warnings', () => {
    const r = decodeWire(wire(`#B#${SD('100000')}|garbage|${SD('250000')}|${D('100300')}`), V1);
    expect(replyText(r)).toBe('#AB#2\r\n');
    expect(recs(r)).toHaveLength(2);
    // Their own code, so ingest can count them in fleetmeter_decode_errors_total; the §7 answer code
    // the body would have earned is in the message.
    expect(r.ok && r.type === 'B' && r.warnings?.map((w) => w.code)).toEqual(['FM_ERR_BODY_REFUSED', 'FM_ERR_BODY_REFUSED']);
    expect(r.ok && r.type === 'B' && r.warnings?.map((w) => /code (-?\d+)/.exec(w.message)?.[1])).toEqual(['-1', '0']);
  });
  it('v2.0: CRC over everything up to and including the last | → #AB#n', () => {
    const r = decodeWire(withCrc('B', `${SD('100000')}|${D('100100')}|`), V2);
    expect([code(r), replyText(r), recs(r).length]).toEqual(['ok', '#AB#2\r\n', 2]);
  });
  it('v2.0 CRC error → #AB# (empty): nothing accepted', () => {
    const r = decodeWire(wire(`#B#${SD('100000')}|0000`), V2);
    expect([code(r), replyText(r)]).toEqual(['FM_ERR_CRC_MISMATCH', '#AB#\r\n']);
  });
  it('§12: v2.0 without a CRC after the last | is a structure error, nothing accepted → #AB#0', () => {
    const r = decodeWire(wire(`#B#${SD('100000')}|${SD('100100')}`), V2);
    expect([code(r), replyText(r)]).toEqual(['FM_ERR_MALFORMED', '#AB#0\r\n']);
  });
  it('a v1.1 session receiving a v2.0-style trailing CRC: the CRC segment is a refused body', () => {
    const r = decodeWire(wire(`#B#${SD('100000')}|7981`), V1);
    expect(replyText(r)).toBe('#AB#1\r\n');
  });
  it('empty bodies are skipped without counting; an empty packet accepts 0', () => {
    expect(replyText(decodeWire(wire(`#B#${SD('100000')}||${SD('100100')}|`), V1))).toBe('#AB#2\r\n');
    expect(replyText(decodeWire(wire('#B#'), V1))).toBe('#AB#0\r\n');
    expect(replyText(decodeWire(withCrc('B', '|'), V2))).toBe('#AB#0\r\n');
  });
  it('a body with a v2.0 per-body CRC is refused (bodies carry none, §8)', () => {
    const r = decodeWire(wire(`#B#${SD('100000')};1234`), V1);
    expect(replyText(r)).toBe('#AB#0\r\n');
  });
  it('5000 bodies (the v2.0 maximum, ~250 KB: beyond the default frame cap, so decoded directly)', () => {
    const bodies = Array.from({ length: 5000 }, (_, i) => SD(String(100000 + (i % 60))));
    const packet = withCrc('B', bodies.join('|') + '|');
    const r = decodePacket(packet.subarray(0, -2), V2, 0);
    expect(replyText(r)).toBe('#AB#5000\r\n');
    expect(recs(r)).toHaveLength(5000);
  });
});
