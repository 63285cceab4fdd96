import { describe, expect, it } from 'vitest';
import { bodyToRecord, isValidFix, parseAdc, parseDataBody, parseExtendedBody, parseShortBody } from './data.ts';
import type { WialonPacketResult } from './model.ts';
import { deg, decodeWire, loggedIn, rec, replyText, wire, withCrc } from './vectors.test-helper.ts';

const V1 = loggedIn('1.1', 'dev1');
const V2 = loggedIn('2.0', 'dev2');
const SD_OK = '270413;205601;5544.6025;N;03739.6834;E;1;2;3;4';
const D_TAIL = ';0.9;5;1;12.5,NA,3;ABCDEF;a:1:1';
const code = (r: WialonPacketResult) => (r.ok ? 'ok' : r.error.code);

/** Replaces field `i` of the SD body. */
function sdWith(i: number, value: string): string {
  const f = SD_OK.split(';');
  f[i] = value;
  return f.join(';');
}

describe('SD (§6): every ASD code', () => {
  const cases: [string, string, string, string][] = [
    // [what, body, expected answer, expected error code]
    ['registered', SD_OK, '#ASD#1\r\n', 'ok'],
    ['structure: 9 fields', SD_OK.split(';').slice(0, 9).join(';'), '#ASD#-1\r\n', 'FM_ERR_MALFORMED'],
    ['structure: 11 fields in v1.1', SD_OK + ';5', '#ASD#-1\r\n', 'FM_ERR_MALFORMED'],
    ['incorrect time (31 April)', sdWith(0, '310413'), '#ASD#0\r\n', 'FM_ERR_BAD_FIELD'],
    ['incorrect time (25h)', sdWith(1, '255601'), '#ASD#0\r\n', 'FM_ERR_BAD_FIELD'],
    ['coordinates: minutes 60', sdWith(2, '5560.0000'), '#ASD#10\r\n', 'FM_ERR_BAD_FIELD'],
    ['coordinates: hemisphere X', sdWith(5, 'X'), '#ASD#10\r\n', 'FM_ERR_BAD_FIELD'],
    ['coordinates: lon 181', sdWith(4, '18100.0000'), '#ASD#10\r\n', 'FM_ERR_BAD_FIELD'],
    ['speed: not a number', sdWith(6, 'fast'), '#ASD#11\r\n', 'FM_ERR_BAD_FIELD'],
    ['speed: negative', sdWith(6, '-1'), '#ASD#11\r\n', 'FM_ERR_BAD_FIELD'],
    ['course: 361', sdWith(7, '361'), '#ASD#11\r\n', 'FM_ERR_BAD_FIELD'],
    ['altitude: junk', sdWith(8, '1O0'), '#ASD#11\r\n', 'FM_ERR_BAD_FIELD'],
    ['satellites: fractional', sdWith(9, '4.5'), '#ASD#12\r\n', 'FM_ERR_BAD_FIELD'],
    ['satellites: negative', sdWith(9, '-4'), '#ASD#12\r\n', 'FM_ERR_BAD_FIELD'],
  ];
  for (const [what, body, answer, err] of cases) {
    it(`v1.1 ${what} → ${answer.trim()}`, () => {
      const r = decodeWire(wire('#SD#' + body), V1);
      expect(code(r)).toBe(err);
      expect(replyText(r)).toBe(answer);
    });
  }
  it('v2.0 CRC error → #ASD#13', () => {
    const w = withCrc('SD', SD_OK + ';');
    w[5] ^= 1; // corrupt the date after the CRC was computed
    const r = decodeWire(w, V2);
    expect([code(r), replyText(r)]).toEqual(['FM_ERR_CRC_MISMATCH', '#ASD#13\r\n']);
  });
  it('§12: a v2.0 session whose SD lacks the CRC → structure error #ASD#-1', () => {
    const r = decodeWire(wire('#SD#' + SD_OK), V2);
    expect([code(r), replyText(r)]).toEqual(['FM_ERR_MALFORMED', '#ASD#-1\r\n']);
  });
  it('§12: a CRC position holding something that is not hex → #ASD#-1', () => {
    const r = decodeWire(wire('#SD#' + SD_OK + ';XYZ'), V2);
    expect([code(r), replyText(r)]).toEqual(['FM_ERR_MALFORMED', '#ASD#-1\r\n']);
  });
  it('checks the structure before the CRC, the CRC before the fields', () => {
    const badTimeGoodCrc = decodeWire(withCrc('SD', sdWith(0, '999999') + ';'), V2);
    expect(replyText(badTimeGoodCrc)).toBe('#ASD#0\r\n');
    const badTimeBadCrc = decodeWire(wire('#SD#' + sdWith(0, '999999') + ';0000'), V2);
    expect(replyText(badTimeBadCrc)).toBe('#ASD#13\r\n');
  });
  it('§6/§10: every field NA (and coordinates NA;NA) → one record of nulls, answer 1', () => {
    const r = decodeWire(wire('#SD#NA;NA;NA;NA;NA;NA;NA;NA;NA;NA'), V1);
    expect(r.ok && r.records).toEqual([
      rec({
        deviceId: 'dev1',
        deviceTime: null,
        latitude: null,
        longitude: null,
        speed: null,
        course: null,
        altitude: null,
        satellites: null,
        hdop: null,
        valid: false,
        io: [],
        archive: false,
        extras: { packetType: 'SD', version: '1.1' },
      }),
    ]);
    expect(replyText(r)).toBe('#ASD#1\r\n');
  });
  it('§10: empty fields (;;) are absent too', () => {
    const r = decodeWire(wire('#SD#270413;205601;5544.6025;N;03739.6834;E;;;;'), V1);
    expect(r.ok && r.records[0]).toMatchObject({ speed: null, course: null, altitude: null, satellites: null });
  });
  it('§6: decimal speed/course/alt, southern/western hemisphere', () => {
    const r = decodeWire(wire('#SD#010124;000000;3352.0000;S;07003.0000;W;2.92;359.9;265.000000;12'), V1);
    expect(r.ok && r.records[0]).toMatchObject({
      deviceTime: Date.parse('2024-01-01T00:00:00Z'),
      latitude: deg(-(33 + 52 / 60)),
      longitude: deg(-(70 + 3 / 60)),
      speed: 2.92,
      course: 359.9,
      altitude: 265,
      satellites: 12,
    });
  });
});

const D_OK = SD_OK + D_TAIL;
function dWith(i: number, value: string): string {
  const f = D_OK.split(';');
  f[i] = value;
  return f.join(';');
}

describe('D (§7): every AD code', () => {
  const cases: [string, string, string, string][] = [
    ['registered', D_OK, '#AD#1\r\n', 'ok'],
    ['structure: 15 fields', D_OK.split(';').slice(0, 15).join(';'), '#AD#-1\r\n', 'FM_ERR_MALFORMED'],
    ['structure: a ; inside params', D_OK + ';x', '#AD#-1\r\n', 'FM_ERR_MALFORMED'],
    ['incorrect time', dWith(1, '12345'), '#AD#0\r\n', 'FM_ERR_BAD_FIELD'],
    ['coordinates', dWith(3, 'Q'), '#AD#10\r\n', 'FM_ERR_BAD_FIELD'],
    ['speed/course/altitude', dWith(7, 'north'), '#AD#11\r\n', 'FM_ERR_BAD_FIELD'],
    ['satellites', dWith(9, 'x'), '#AD#12\r\n', 'FM_ERR_BAD_FIELD'],
    ['HDOP', dWith(10, 'good'), '#AD#12\r\n', 'FM_ERR_BAD_FIELD'],
    ['inputs', dWith(11, '0x1F'), '#AD#13\r\n', 'FM_ERR_BAD_FIELD'],
    ['outputs', dWith(12, '-1'), '#AD#13\r\n', 'FM_ERR_BAD_FIELD'],
    ['ADC', dWith(13, '1.0,abc'), '#AD#14\r\n', 'FM_ERR_BAD_FIELD'],
    ['params', dWith(15, 'a:9:1'), '#AD#15\r\n', 'FM_ERR_BAD_FIELD'],
  ];
  for (const [what, body, answer, err] of cases) {
    it(`v1.1 ${what} → ${answer.trim()}`, () => {
      const r = decodeWire(wire('#D#' + body), V1);
      expect(code(r)).toBe(err);
      expect(replyText(r)).toBe(answer);
    });
  }
  it('v2.0 CRC error → #AD#16; missing CRC → #AD#-1', () => {
    const r = decodeWire(wire('#D#' + D_OK + ';FFFF'), V2);
    expect([code(r), replyText(r)]).toEqual(['FM_ERR_CRC_MISMATCH', '#AD#16\r\n']);
    const m = decodeWire(wire('#D#' + D_OK), V2);
    expect([code(m), replyText(m)]).toEqual(['FM_ERR_MALFORMED', '#AD#-1\r\n']);
  });
  it('maps every field: hdop, inputs, outputs, adc (NA item skipped), ibutton, params', () => {
    const r = decodeWire(withCrc('D', D_OK + ';'), V2);
    expect(r.ok && r.records).toEqual([
      rec({
        deviceId: 'dev2',
        deviceTime: Date.parse('2013-04-27T20:56:01Z'),
        latitude: deg(55.743375),
        longitude: deg(37.66139),
        speed: 1,
        course: 2,
        altitude: 3,
        satellites: 4,
        hdop: 0.9,
        valid: true,
        io: [
          { id: 'inputs', value: 5 },
          { id: 'outputs', value: 1 },
          { id: 'adc1', value: 12.5 },
          { id: 'adc3', value: 3 },
          { id: 'ibutton', value: 'ABCDEF' },
          { id: 'a', value: 1 },
        ],
        archive: false,
        extras: { packetType: 'D', version: '2.0' },
      }),
    ]);
    expect(replyText(r)).toBe('#AD#1\r\n');
  });
  it('§7: a param whose value does not match its type is dropped with a warning, the record kept', () => {
    const r = decodeWire(wire('#D#' + dWith(15, 'a:1:x,b:2:2.5')), V1);
    expect(r.ok).toBe(true);
    if (r.ok && r.type !== 'L' && r.type !== 'P') {
      expect(r.records[0].io).toEqual([
        { id: 'inputs', value: 5 },
        { id: 'outputs', value: 1 },
        { id: 'adc1', value: 12.5 },
        { id: 'adc3', value: 3 },
        { id: 'ibutton', value: 'ABCDEF' },
        { id: 'b', value: 2.5 },
      ]);
      expect(r.warnings?.map((w) => w.code)).toEqual(['FM_ERR_BAD_FIELD']);
    }
    expect(replyText(r)).toBe('#AD#1\r\n');
  });
  it('§7: int params beyond 2^53 are bigint; bitmasks beyond 2^53 too', () => {
    const r = decodeWire(wire('#D#' + dWith(11, '18446744073709551615').replace(';a:1:1', ';big:1:-9223372036854775808')), V1);
    expect(r.ok && r.records[0].io).toContainEqual({ id: 'inputs', value: 18446744073709551615n });
    expect(r.ok && r.records[0].io).toContainEqual({ id: 'big', value: -9223372036854775808n });
  });
  it('§4: Cyrillic text params round-trip through the record', () => {
    const r = decodeWire(withCrc('D', dWith(15, 'Батарея:3:100 %,текст:3:Привет, мир'.replace(', ', ' ')) + ';'), V2);
    expect(r.ok && r.records[0].io.slice(-2)).toEqual([
      { id: 'Батарея', value: '100 %' },
      { id: 'текст', value: 'Привет мир' },
    ]);
  });
});

describe('body parsers', () => {
  it('parseDataBody tells SD from D by field count (§8)', () => {
    expect(parseDataBody(SD_OK)).toMatchObject({ ok: true, body: { kind: 'SD' } });
    expect(parseDataBody(D_OK)).toMatchObject({ ok: true, body: { kind: 'D' } });
    expect(parseDataBody('1;2;3')).toMatchObject({ ok: false, code: -1 });
  });
  it('parseShortBody / parseExtendedBody insist on their counts', () => {
    expect(parseShortBody(D_OK.split(';'))).toMatchObject({ ok: false, code: -1 });
    expect(parseExtendedBody(SD_OK.split(';'))).toMatchObject({ ok: false, code: -1 });
  });
  it('parseAdc: empty/NA → [], NA item → null, junk → null (error)', () => {
    expect(parseAdc('')).toEqual([]);
    expect(parseAdc('NA')).toEqual([]);
    expect(parseAdc('14.77,0.02,3.6')).toEqual([14.77, 0.02, 3.6]);
    expect(parseAdc('1,NA,,2')).toEqual([1, null, null, 2]);
    expect(parseAdc('1,x')).toBeNull();
  });
  it('valid: both coordinates and, when reported, ≥ 3 satellites', () => {
    expect(isValidFix({ latitude: 1, longitude: 2, satellites: null })).toBe(true);
    expect(isValidFix({ latitude: 1, longitude: 2, satellites: 3 })).toBe(true);
    expect(isValidFix({ latitude: 1, longitude: 2, satellites: 2 })).toBe(false);
    expect(isValidFix({ latitude: null, longitude: 2, satellites: 9 })).toBe(false);
    expect(isValidFix({ latitude: 1, longitude: null, satellites: 9 })).toBe(false);
  });
  it('bodyToRecord marks black-box bodies', () => {
    const p = parseDataBody(SD_OK);
    if (!p.ok) throw new Error('unreachable');
    const r = bodyToRecord(p.body, { deviceId: 'x', version: '1.1', receivedAt: 1, packetType: 'B', archive: true });
    expect(r.archive).toBe(true);
    expect(r.extras).toEqual({ packetType: 'B', version: '1.1', bodyType: 'SD' });
  });
});
