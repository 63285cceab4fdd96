import { describe, expect, it } from 'vitest';
import { crc16arc } from '../common/crc.ts';
import { encodeCompressed } from './compression.ts';
import { formatCrc } from './crc.ts';
import { encodeExtendedData, encodeImage, encodePing, encodeShortData, encodeUdp } from './encoder.ts';
import { decodeUdpDatagram } from './udp.ts';
import { replyText, te } from './vectors.test-helper.ts';

const SD = '270413;205601;5544.6025;N;03739.6834;E;1;2;3;4';
const sdCrc = formatCrc(crc16arc(te.encode(SD + ';')));
const code = (r: ReturnType<typeof decodeUdpDatagram>) => (r.ok ? 'ok' : r.error.code);

describe('UDP form (§3)', () => {
  it('v1.1 imei#SD#… → device id from the prefix, version 1.1', () => {
    const r = decodeUdpDatagram(te.encode(`99999999#SD#${SD}\r\n`), 5);
    expect(r.ok && [r.deviceId, r.version, r.type, r.records.length, r.records[0].deviceId, r.records[0].receivedAt]).toEqual([
      '99999999',
      '1.1',
      'SD',
      1,
      '99999999',
      5,
    ]);
    expect(replyText(r)).toBe('#ASD#1\r\n');
  });
  it('v2.0 2.0;imei#SD#…CRC, the CRC not covering the prefix (§11)', () => {
    const r = decodeUdpDatagram(te.encode(`2.0;865205030000001#SD#${SD};${sdCrc}\r\n`), 5);
    expect([code(r), r.ok && r.deviceId, r.ok && r.version]).toEqual(['ok', '865205030000001', '2.0']);
  });
  it('accepts a datagram without \\r\\n or with a bare \\n', () => {
    expect(code(decodeUdpDatagram(te.encode(`1#SD#${SD}`), 0))).toBe('ok');
    expect(code(decodeUdpDatagram(te.encode(`1#SD#${SD}\n`), 0))).toBe('ok');
  });
  it('v2.0 CRC error → #ASD#13; missing → #ASD#-1 (the version comes from the prefix)', () => {
    const bad = decodeUdpDatagram(te.encode(`2.0;1#SD#${SD};0000\r\n`), 0);
    expect([code(bad), replyText(bad)]).toEqual(['FM_ERR_CRC_MISMATCH', '#ASD#13\r\n']);
    const missing = decodeUdpDatagram(te.encode(`2.0;1#SD#${SD}\r\n`), 0);
    expect([code(missing), replyText(missing)]).toEqual(['FM_ERR_MALFORMED', '#ASD#-1\r\n']);
  });
  it('ping and black box over UDP', () => {
    const p = decodeUdpDatagram(encodeUdp('1.1', 'x', encodePing()), 0);
    expect([code(p), p.ok && p.type, replyText(p)]).toEqual(['ok', 'P', '#AP#\r\n']);
    const b = decodeUdpDatagram(te.encode(`x#B#${SD}|${SD}\r\n`), 0);
    expect([b.ok && b.records.map((r) => r.archive), replyText(b)]).toEqual([[true, true], '#AB#2\r\n']);
  });
  it('a photo block over UDP keeps its binary', () => {
    const block = { index: 0, lastIndex: 0, time: null, name: 'a.jpg', data: Uint8Array.of(0x0d, 0x0a) };
    const r = decodeUdpDatagram(encodeUdp('2.0', 'cam', encodeImage('2.0', block)), 0);
    expect(r.ok && r.type === 'I' && r.image).toEqual(block);
  });
  it('§4.1/§15: a compressed container wrapping the whole datagram', () => {
    const inner = encodeUdp('2.0', '42', encodeExtendedData('2.0', {
      time: 0 + Date.UTC(2020, 0, 1),
      latitude: 1.5,
      longitude: -2.25,
      speed: null,
      course: null,
      altitude: null,
      satellites: 2,
      hdop: null,
      inputs: null,
      outputs: null,
      adc: [],
      ibutton: null,
      params: [{ name: 'текст', type: 3, value: 'да' }],
    }));
    const r = decodeUdpDatagram(encodeCompressed(inner), 0);
    expect(r.ok && [r.deviceId, r.type, r.records[0].latitude, r.records[0].longitude, r.records[0].valid, r.records[0].io]).toEqual([
      '42',
      'D',
      1.5,
      -2.25,
      false, // 2 satellites
      [{ id: 'текст', value: 'да' }],
    ]);
  });
  it('errors, with no answer', () => {
    const cases: [Uint8Array, string][] = [
      [te.encode(`#SD#${SD}`), 'FM_ERR_BAD_IMEI'], // no prefix
      [te.encode(`#${SD}`), 'FM_ERR_BAD_IMEI'],
      [te.encode(`2.0;#SD#${SD}`), 'FM_ERR_BAD_IMEI'],
      [te.encode(`NA#P#`), 'FM_ERR_BAD_IMEI'],
      [te.encode(`2.1;1#P#`), 'FM_ERR_UNSUPPORTED'],
      [te.encode(`1;2;3#P#`), 'FM_ERR_MALFORMED'],
      [te.encode(`a;b#P#`), 'FM_ERR_MALFORMED'], // two fields but no version
      [te.encode(`1#L#1;pw`), 'FM_ERR_UNSUPPORTED'], // no login over UDP
      [te.encode(`no hash here`), 'FM_ERR_MALFORMED'],
      [te.encode('x'.repeat(100) + '#P#'), 'FM_ERR_MALFORMED'], // prefix too long
      [te.encode(`1#S D#x`), 'FM_ERR_MALFORMED'],
      [te.encode(`1#XYZ#x`), 'FM_ERR_UNKNOWN_PACKET'],
      [Uint8Array.of(0xff, 5), 'FM_ERR_TRUNCATED'],
      [Uint8Array.of(0xff, 5, 0, 1), 'FM_ERR_LENGTH_MISMATCH'],
      [Uint8Array.of(0xff, 2, 0, 1, 2), 'FM_ERR_MALFORMED'],
      [encodeCompressed(encodeCompressed(te.encode('1#P#'))), 'FM_ERR_MALFORMED'],
      [new Uint8Array(0), 'FM_ERR_MALFORMED'],
    ];
    for (const [bytes, err] of cases) {
      const r = decodeUdpDatagram(bytes, 0);
      expect([code(r), r.reply], new TextDecoder().decode(bytes)).toEqual([err, null]);
    }
  });
  it('the inflated size is capped (zip bomb)', () => {
    const r = decodeUdpDatagram(encodeCompressed(new Uint8Array(1 << 20).fill(0x23)), 0, { maxFrameSize: 1000 });
    expect(code(r)).toBe('FM_ERR_FRAME_TOO_LARGE');
  });
  it('encodeUdp + encodeShortData reproduce the §13 W5 UDP form', () => {
    const bytes = encodeUdp('1.1', '99999999', encodeShortData('1.1', { time: Date.parse('2013-04-27T20:56:01Z'), latitude: 55.743375, longitude: 37.66139, speed: 1, course: 2, altitude: 3, satellites: 4 }));
    expect(new TextDecoder().decode(bytes)).toBe(`99999999#SD#${SD}\r\n`);
  });
});
