/**
 * Every worked example of shared/protocols/wialon-ips.md §13 (W1–W9), and the other example
 * packets the doc gives (§9 photo sequence), each through the vector helper: decode with every
 * value asserted + exact answer, encode, round-trip, split at every offset.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../common/hex.ts';
import { loginReply } from './answers.ts';
import { encodeCompressed } from './compression.ts';
import {
  encodeBlackBox,
  encodeExtendedData,
  encodeImage,
  encodeLogin,
  encodeMessage,
  encodeShortData,
  encodeUdp,
} from './encoder.ts';
import type { WialonPacketResult, WialonUdpResult } from './model.ts';
import { deg, decodeWire, loggedIn, notLoggedIn, rec, RECEIVED_AT, replyText, tcpVector, td, te, udpVector, wire } from './vectors.test-helper.ts';

function records(r: WialonPacketResult | WialonUdpResult) {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.records;
}

const V2 = loggedIn('2.0', 'imei');
const V1 = loggedIn('1.1', '123456789012345');

describe('§13 W1: v2.0 login', () => {
  tcpVector({
    name: 'W1 #L#2.0;imei;NA;A932 (from the spec compression example)',
    wire: wire('#L#2.0;imei;NA;A932'),
    state: notLoggedIn(),
    check: (r) => expect(r).toEqual({ ok: true, type: 'L', login: { deviceId: 'imei', password: null, version: '2.0' }, records: [], reply: null }),
    reply: null, // ingest decides, then sends loginReply
    encode: () => encodeLogin('2.0', 'imei', null),
    canonical: true,
  });
  tcpVector({
    name: 'W1 constructed variant #L#2.0;359633100458590;NA;EEBF',
    wire: wire('#L#2.0;359633100458590;NA;EEBF'),
    state: notLoggedIn(),
    check: (r) => expect(r).toEqual({ ok: true, type: 'L', login: { deviceId: '359633100458590', password: null, version: '2.0' }, records: [], reply: null }),
    reply: null,
    encode: () => encodeLogin('2.0', '359633100458590', null),
    canonical: true,
  });
  it('W1: the server answers #AL#1 once ingest accepts', () => {
    expect(td.decode(loginReply('2.0', 'accepted'))).toBe('#AL#1\r\n');
  });
});

describe('§13 W2: v2.0 short data (real device, traccar tests)', () => {
  tcpVector({
    name: 'W2 #SD#300924;154245;5554.350052;N;3644.670410;E;2.92;NA;NA;NA;7A01',
    wire: wire('#SD#300924;154245;5554.350052;N;3644.670410;E;2.92;NA;NA;NA;7A01'),
    state: V2,
    check: (r) =>
      expect(records(r)).toEqual([
        rec({
          deviceId: 'imei',
          deviceTime: Date.parse('2024-09-30T15:42:45Z'),
          latitude: deg(55.9058342), // 55 + 54.350052/60
          longitude: deg(36.7445068), // 2-digit degree field: the robust rule (§10)
          speed: 2.92,
          course: null,
          altitude: null,
          satellites: null,
          hdop: null,
          valid: true, // coordinates present, satellites NA (data.ts isValidFix)
          io: [],
          archive: false,
          extras: { packetType: 'SD', version: '2.0' },
        }),
      ]),
    reply: '#ASD#1\r\n', // the spec's answer; traccar's #AD#1 deviates (§14)
    encode: () =>
      encodeShortData(
        '2.0',
        { time: Date.parse('2024-09-30T15:42:45Z'), latitude: 55 + 54.350052 / 60, longitude: 36 + 44.67041 / 60, speed: 2.92, course: null, altitude: null, satellites: null },
        { minuteDecimals: 6 },
      ),
  });
});

describe('§13 W3: v2.0 extended data with params (real device)', () => {
  tcpVector({
    name: 'W3 #D#220323;114150;2234.80479;N;11354.87786;E;0;NA;59;11;NA;NA;NA;;NA;d_battr:1:94,…;E7C9',
    wire: wire('#D#220323;114150;2234.80479;N;11354.87786;E;0;NA;59;11;NA;NA;NA;;NA;d_battr:1:94,d_csq:1:21,di_light:1:1;E7C9'),
    state: V2,
    check: (r) =>
      expect(records(r)).toEqual([
        rec({
          deviceId: 'imei',
          deviceTime: Date.parse('2023-03-22T11:41:50Z'),
          latitude: deg(22.5800798),
          longitude: deg(113.914631),
          speed: 0,
          course: null,
          altitude: 59,
          satellites: 11,
          hdop: null,
          valid: true,
          // hdop, inputs, outputs NA; adc empty; ibutton NA → no io entries for them
          io: [
            { id: 'd_battr', value: 94 },
            { id: 'd_csq', value: 21 },
            { id: 'di_light', value: 1 },
          ],
          archive: false,
          extras: { packetType: 'D', version: '2.0' },
        }),
      ]),
    reply: '#AD#1\r\n',
    encode: () =>
      encodeExtendedData(
        '2.0',
        {
          time: Date.parse('2023-03-22T11:41:50Z'),
          latitude: 22 + 34.80479 / 60,
          longitude: 113 + 54.87786 / 60,
          speed: 0,
          course: null,
          altitude: 59,
          satellites: 11,
          hdop: null,
          inputs: null,
          outputs: null,
          adc: [],
          ibutton: null,
          params: [
            { name: 'd_battr', type: 1, value: 94 },
            { name: 'd_csq', type: 1, value: 21 },
            { name: 'di_light', type: 1, value: 1 },
          ],
        },
        { minuteDecimals: 5 },
      ),
    canonical: true,
  });
});

const W4_BODY =
  '101118;061143;0756.0930;N;12338.6403;E;18.223;99.766;-4.000;10;0.800;NA;NA;NA;NA;101_521347:1:521249,101_521126:1:6593598,101_521127:1:774780,101_521072_21.1:1:0,101_521072_21.2:1:71353;F24A';
const W4_DATA = {
  time: Date.parse('2018-11-10T06:11:43Z'),
  latitude: 7 + 56.093 / 60,
  longitude: 123 + 38.6403 / 60,
  speed: 18.223,
  course: 99.766,
  altitude: -4,
  satellites: 10,
  hdop: 0.8,
  inputs: null,
  outputs: null,
  adc: [],
  ibutton: null,
  params: [
    { name: '101_521347', type: 1, value: 521249 },
    { name: '101_521126', type: 1, value: 6593598 },
    { name: '101_521127', type: 1, value: 774780 },
    { name: '101_521072_21.1', type: 1, value: 0 },
    { name: '101_521072_21.2', type: 1, value: 71353 },
  ],
} as const;
const w4Record = (deviceId: string) =>
  rec({
    deviceId,
    deviceTime: Date.parse('2018-11-10T06:11:43Z'),
    latitude: deg(7.9348833),
    longitude: deg(123.644005),
    speed: 18.223,
    course: 99.766,
    altitude: -4,
    satellites: 10,
    hdop: 0.8,
    valid: true,
    io: [
      // param names may contain `.` and `_`
      { id: '101_521347', value: 521249 },
      { id: '101_521126', value: 6593598 },
      { id: '101_521127', value: 774780 },
      { id: '101_521072_21.1', value: 0 },
      { id: '101_521072_21.2', value: 71353 },
    ],
    archive: false,
    extras: { packetType: 'D', version: '2.0' },
  });

describe('§13 W4: v2.0 D with decimal speed/course, negative altitude (real device)', () => {
  tcpVector({
    name: 'W4 over TCP',
    wire: wire('#D#' + W4_BODY),
    state: V2,
    check: (r) => expect(records(r)).toEqual([w4Record('imei')]),
    reply: '#AD#1\r\n',
    encode: () => encodeExtendedData('2.0', W4_DATA),
  });
  udpVector({
    name: 'W4 over UDP: 2.0;99999999#D#…;F24A, the same CRC (the prefix is not covered, §3/§11)',
    datagram: wire('2.0;99999999#D#' + W4_BODY),
    check: (r) => {
      expect(r.ok && r.deviceId).toBe('99999999');
      expect(r.ok && r.version).toBe('2.0');
      expect(r.ok && r.type).toBe('D');
      expect(records(r)).toEqual([w4Record('99999999')]);
    },
    reply: '#AD#1\r\n',
    encode: () => encodeUdp('2.0', '99999999', encodeExtendedData('2.0', W4_DATA)),
  });
});

describe('§13 W5: v1.1 packets (no CRC)', () => {
  tcpVector({
    name: 'W5 login #L#123456789012345;test',
    wire: wire('#L#123456789012345;test'),
    state: notLoggedIn(),
    check: (r) => expect(r).toEqual({ ok: true, type: 'L', login: { deviceId: '123456789012345', password: 'test', version: '1.1' }, records: [], reply: null }),
    reply: null,
    encode: () => encodeLogin('1.1', '123456789012345', 'test'),
    canonical: true,
  });

  const sdFix = { time: Date.parse('2013-04-27T20:56:01Z'), latitude: 55.743375, longitude: 37.66139, speed: 1, course: 2, altitude: 3, satellites: 4 };
  const sdRecord = (deviceId: string) =>
    rec({
      deviceId,
      deviceTime: Date.parse('2013-04-27T20:56:01Z'),
      latitude: deg(55.743375),
      longitude: deg(37.66139),
      speed: 1,
      course: 2,
      altitude: 3,
      satellites: 4,
      hdop: null,
      valid: true,
      io: [],
      archive: false,
      extras: { packetType: 'SD', version: '1.1' },
    });
  tcpVector({
    name: 'W5 #SD#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4',
    wire: wire('#SD#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4'),
    state: V1,
    check: (r) => expect(records(r)).toEqual([sdRecord('123456789012345')]),
    reply: '#ASD#1\r\n',
    encode: () => encodeShortData('1.1', sdFix),
    canonical: true,
  });

  tcpVector({
    name: 'W5 #D#…;0.0;0;0;14.77,0.02,3.6;NA;count1:1:564,fuel:2:45.8,hw:3:V4.5',
    wire: wire('#D#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4;0.0;0;0;14.77,0.02,3.6;NA;count1:1:564,fuel:2:45.8,hw:3:V4.5'),
    state: V1,
    check: (r) =>
      expect(records(r)).toEqual([
        rec({
          deviceId: '123456789012345',
          deviceTime: Date.parse('2013-04-27T20:56:01Z'),
          latitude: deg(55.743375),
          longitude: deg(37.66139),
          speed: 1,
          course: 2,
          altitude: 3,
          satellites: 4,
          hdop: 0,
          valid: true,
          io: [
            { id: 'inputs', value: 0 },
            { id: 'outputs', value: 0 },
            { id: 'adc1', value: 14.77 },
            { id: 'adc2', value: 0.02 },
            { id: 'adc3', value: 3.6 },
            { id: 'count1', value: 564 }, // type 1 → int
            { id: 'fuel', value: 45.8 }, // type 2 → double
            { id: 'hw', value: 'V4.5' }, // type 3 → string
          ],
          archive: false,
          extras: { packetType: 'D', version: '1.1' },
        }),
      ]),
    reply: '#AD#1\r\n',
    encode: () =>
      encodeExtendedData('1.1', {
        ...sdFix,
        hdop: 0,
        inputs: 0,
        outputs: 0,
        adc: [14.77, 0.02, 3.6],
        ibutton: null,
        params: [
          { name: 'count1', type: 1, value: 564 },
          { name: 'fuel', type: 2, value: 45.8 },
          { name: 'hw', type: 3, value: 'V4.5' },
        ],
      }),
  });

  udpVector({
    name: 'W5 v1.1 UDP 99999999#SD#270413;205601;…;1;2;3;4',
    datagram: wire('99999999#SD#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4'),
    check: (r) => {
      expect(r.ok && [r.deviceId, r.version, r.type]).toEqual(['99999999', '1.1', 'SD']);
      expect(records(r)).toEqual([sdRecord('99999999')]);
    },
    reply: '#ASD#1\r\n',
    encode: () => encodeUdp('1.1', '99999999', encodeShortData('1.1', sdFix)),
    canonical: true,
  });
});

describe('§13 W6: black box', () => {
  const body = (t: string, lat: string, lon: string, speed: string, course: string) =>
    `080914;${t};${lat};N;${lon};E;${speed};${course};NA;4;NA;NA;NA;;NA;Батарея:3:100 %`;
  tcpVector({
    name: 'W6 v1.1, 2 D bodies, UTF-8 (Cyrillic) param name',
    wire: wire('#B#' + body('073235', '5027.50625', '03026.19321', '0.700', '0.000') + '|' + body('073420', '5027.50845', '03026.18854', '1.996', '292.540')),
    state: V1,
    check: (r) => {
      const bb = (deviceTime: string, latitude: number, longitude: number, speed: number, course: number) =>
        rec({
          deviceId: '123456789012345',
          deviceTime: Date.parse(deviceTime),
          latitude: deg(latitude),
          longitude: deg(longitude),
          speed,
          course,
          altitude: null,
          satellites: 4,
          hdop: null,
          valid: true,
          io: [{ id: 'Батарея', value: '100 %' }],
          archive: true, // §8: history
          extras: { packetType: 'B', version: '1.1', bodyType: 'D' },
        });
      expect(records(r)).toEqual([
        bb('2014-09-08T07:32:35Z', 50.4584375, 30.4365535, 0.7, 0),
        bb('2014-09-08T07:34:20Z', 50 + 27.50845 / 60, 30 + 26.18854 / 60, 1.996, 292.54),
      ]);
    },
    reply: '#AB#2\r\n',
    encode: () => {
      const d = (time: string, latitude: number, longitude: number, speed: number, course: number) =>
        ({
          kind: 'D',
          time: Date.parse(time),
          latitude,
          longitude,
          speed,
          course,
          altitude: null,
          satellites: 4,
          hdop: null,
          inputs: null,
          outputs: null,
          adc: [],
          ibutton: null,
          params: [{ name: 'Батарея', type: 3, value: '100 %' }],
        }) as const;
      return encodeBlackBox(
        '1.1',
        [d('2014-09-08T07:32:35Z', 50 + 27.50625 / 60, 30 + 26.19321 / 60, 0.7, 0), d('2014-09-08T07:34:20Z', 50 + 27.50845 / 60, 30 + 26.18854 / 60, 1.996, 292.54)],
        { minuteDecimals: 5 },
      );
    },
  });

  const W6_V2 = '#B#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4|270413;205701;5544.6100;N;03739.7000;E;5;90;3;6|7981';
  const sd = (time: string, latitude: number, longitude: number, speed: number, course: number, satellites: number) =>
    ({ kind: 'SD', time: Date.parse(time), latitude, longitude, speed, course, altitude: 3, satellites }) as const;
  tcpVector({
    name: 'W6 v2.0, 2 SD bodies, CRC over everything up to and including the last | (0x7981)',
    wire: wire(W6_V2),
    state: V2,
    check: (r) => {
      const bb = (deviceTime: string, latitude: number, longitude: number, speed: number, course: number, satellites: number) =>
        rec({
          deviceId: 'imei',
          deviceTime: Date.parse(deviceTime),
          latitude: deg(latitude),
          longitude: deg(longitude),
          speed,
          course,
          altitude: 3,
          satellites,
          hdop: null,
          valid: true,
          io: [],
          archive: true,
          extras: { packetType: 'B', version: '2.0', bodyType: 'SD' },
        });
      expect(records(r)).toEqual([
        bb('2013-04-27T20:56:01Z', 55.743375, 37.66139, 1, 2, 4),
        bb('2013-04-27T20:57:01Z', 55.7435, 37 + 39.7 / 60, 5, 90, 6),
      ]);
    },
    reply: '#AB#2\r\n',
    encode: () => encodeBlackBox('2.0', [sd('2013-04-27T20:56:01Z', 55.743375, 37.66139, 1, 2, 4), sd('2013-04-27T20:57:01Z', 55.7435, 37 + 39.7 / 60, 5, 90, 6)]),
    canonical: true,
  });
  tcpVector({
    name: 'W6 v2.0 with a corrupted CRC: the whole packet rejected, #AB#',
    wire: wire(W6_V2.replace('|7981', '|7982')),
    state: V2,
    check: (r) => expect(!r.ok && r.error.code).toBe('FM_ERR_CRC_MISMATCH'),
    reply: '#AB#\r\n',
  });
});

describe('§13 W7: compressed container (from the v2.0 spec)', () => {
  const V2_LOGIN = 'FF1B00780153F65136D233B0CECC4DCDB4F673B476B4343602002FF404E6';
  const V1_LOGIN = 'FF180078DA53F651CECC4DCDB42E482C2E2ECF2F4A01002D1C05E5';
  tcpVector({
    name: 'W7 v2.0: FF, length 0x001B little-endian, zlib (78 01) → #L#2.0;imei;NA;A932',
    wire: fromHex(V2_LOGIN),
    state: notLoggedIn(),
    check: (r) => expect(r).toEqual({ ok: true, type: 'L', login: { deviceId: 'imei', password: null, version: '2.0' }, records: [], reply: null }),
    reply: null,
    // the spec's compressor used zlib level 1 and no trailing \r\n
    encode: () => encodeCompressed(encodeLogin('2.0', 'imei', null).subarray(0, -2), { level: 1 }),
    canonical: true,
  });
  tcpVector({
    name: 'W7 v1.1: zlib (78 DA) → #L#imei;password',
    wire: fromHex(V1_LOGIN),
    state: notLoggedIn(),
    check: (r) => expect(r).toEqual({ ok: true, type: 'L', login: { deviceId: 'imei', password: 'password', version: '1.1' }, records: [], reply: null }),
    reply: null,
    encode: () => encodeCompressed(encodeLogin('1.1', 'imei', 'password').subarray(0, -2), { level: 9 }),
    canonical: true,
  });
  it('W7: the length field is little-endian (1B 00 = 27 bytes follow)', () => {
    const bytes = fromHex(V2_LOGIN);
    expect(bytes[1] | (bytes[2] << 8)).toBe(27);
    expect(bytes.length).toBe(3 + 27);
  });

  const D_TEXT =
    '#D#231012;153959;5354.49260;N;02731.44990;E;0;0;300;7;1.1;0;0;1,0,0,0;NA;ign:1:1,dparam:2:3.14159265,tparam:3:lorem,iparam:1:-55,SOS:1:1;4BC3';
  const dData = {
    time: Date.parse('2012-10-23T15:39:59Z'),
    latitude: 53 + 54.4926 / 60,
    longitude: 27 + 31.4499 / 60,
    speed: 0,
    course: 0,
    altitude: 300,
    satellites: 7,
    hdop: 1.1,
    inputs: 0,
    outputs: 0,
    adc: [1, 0, 0, 0],
    ibutton: null,
    params: [
      { name: 'ign', type: 1, value: 1 },
      { name: 'dparam', type: 2, value: 3.14159265 },
      { name: 'tparam', type: 3, value: 'lorem' },
      { name: 'iparam', type: 1, value: -55 },
      { name: 'SOS', type: 1, value: 1 },
    ],
  } as const;
  const dRecord = rec({
    deviceId: 'imei',
    deviceTime: Date.parse('2012-10-23T15:39:59Z'),
    latitude: deg(53.90821),
    longitude: deg(27.524165),
    speed: 0,
    course: 0,
    altitude: 300,
    satellites: 7,
    hdop: 1.1,
    valid: true,
    io: [
      { id: 'inputs', value: 0 },
      { id: 'outputs', value: 0 },
      { id: 'adc1', value: 1 },
      { id: 'adc2', value: 0 },
      { id: 'adc3', value: 0 },
      { id: 'adc4', value: 0 },
      { id: 'ign', value: 1 },
      { id: 'dparam', value: 3.14159265 },
      { id: 'tparam', value: 'lorem' },
      { id: 'iparam', value: -55 }, // negative int
      { id: 'SOS', value: 1 }, // panic (§7 reserved name)
    ],
    archive: false,
    extras: { packetType: 'D', version: '2.0' },
  });
  tcpVector({
    name: 'W7 v2.0 D example, as text (CRC 0x4BC3)',
    wire: wire(D_TEXT),
    state: V2,
    check: (r) => expect(records(r)).toEqual([dRecord]),
    reply: '#AD#1\r\n',
    encode: () => encodeExtendedData('2.0', dData, { minuteDecimals: 5 }),
    canonical: true,
  });
  tcpVector({
    name: 'W7 v2.0 D example, inside a container (no trailing \\r\\n inside)',
    wire: encodeCompressed(te.encode(D_TEXT)),
    state: V2,
    check: (r) => expect(records(r)).toEqual([dRecord]),
    reply: '#AD#1\r\n',
    encode: () => encodeCompressed(encodeExtendedData('2.0', dData, { minuteDecimals: 5 })),
  });
});

describe('§13 W8: driver message (constructed, v2.0)', () => {
  tcpVector({
    name: 'W8 #M#Hello driver;0798',
    wire: wire('#M#Hello driver;0798'),
    state: V2,
    check: (r) => expect(r).toEqual({ ok: true, type: 'M', records: [], reply: expect.any(Uint8Array), text: 'Hello driver' }),
    reply: '#AM#1\r\n',
    encode: () => encodeMessage('2.0', 'Hello driver'),
    canonical: true,
  });
});

describe('§13 W9: negative test', () => {
  tcpVector({
    name: 'W9 #L#2.0;42001300083;;CE45: CRC of "2.0;42001300083;;" is 0xDBEB, so #AL#10',
    wire: wire('#L#2.0;42001300083;;CE45'),
    state: notLoggedIn(),
    check: (r) => {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('FM_ERR_CRC_MISMATCH');
    },
    reply: '#AL#10\r\n',
  });
  it('W9 with the right CRC logs in with no password (empty field = absent, §10)', () => {
    const r = decodeWire(wire('#L#2.0;42001300083;;DBEB'), notLoggedIn());
    expect(r).toEqual({ ok: true, type: 'L', login: { deviceId: '42001300083', password: null, version: '2.0' }, records: [], reply: null });
  });
});

describe('§9 photo example sequence (v1.1)', () => {
  const first = new Uint8Array(51200).map((_, i) => (i * 7 + 13) & 0xff); // contains \r\n pairs
  const second = new Uint8Array(28923).map((_, i) => (i % 2 ? 0x0d : 0x0a));
  const header1 = '#I#51200;0;1;070512;124010;sample.jpg\r\n';
  const header2 = '#I#28923;1;1;070512;124010;sample.jpg\r\n';
  const block = (index: number, data: Uint8Array) => ({ index, lastIndex: 1, time: Date.parse('2012-05-07T12:40:10Z'), name: 'sample.jpg', data });
  tcpVector({
    name: '§9 block 0 of 1: #I#51200;0;1;070512;124010;sample.jpg + 51200 B → #AI#0;1',
    wire: new Uint8Array([...te.encode(header1), ...first]),
    state: V1,
    check: (r) => expect(r).toEqual({ ok: true, type: 'I', records: [], reply: expect.any(Uint8Array), image: block(0, first) }),
    reply: '#AI#0;1\r\n',
    encode: () => encodeImage('1.1', block(0, first)),
    canonical: true,
  });
  tcpVector({
    name: '§9 last block: #I#28923;1;1;… + 28923 B → #AI#1;1 then #AI#1',
    wire: new Uint8Array([...te.encode(header2), ...second]),
    state: V1,
    check: (r) => expect(r).toEqual({ ok: true, type: 'I', records: [], reply: expect.any(Uint8Array), image: block(1, second) }),
    reply: '#AI#1;1\r\n#AI#1\r\n',
    encode: () => encodeImage('1.1', block(1, second)),
    canonical: true,
  });
});

it('every vector above used the receive time it was given', () => {
  const r = decodeWire(wire('#SD#NA;NA;NA;NA;NA;NA;NA;NA;NA;NA'), V1, 42);
  expect(records(r)[0].receivedAt).toBe(42);
  expect(records(r)[0].deviceTime).toBeNull();
  expect(RECEIVED_AT).not.toBe(42);
  expect(replyText(r)).toBe('#ASD#1\r\n');
});
