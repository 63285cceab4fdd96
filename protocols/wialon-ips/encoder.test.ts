import { describe, expect, it } from 'vitest';
import {
  encodeBlackBox,
  encodeData,
  encodeDddBlock,
  encodeDddInfo,
  encodeExtendedData,
  encodeImage,
  encodeLogin,
  encodeMessage,
  encodePing,
  encodeShortData,
  encodeUdp,
  formatBody,
} from './encoder.ts';
import type { WialonExtendedData, WialonShortData } from './model.ts';
import { td } from './vectors.test-helper.ts';

const T = Date.parse('2013-04-27T20:56:01Z');
const SD: WialonShortData = { kind: 'SD', time: T, latitude: 55.743375, longitude: 37.66139, speed: 1, course: 2, altitude: 3, satellites: 4 };
const D: WialonExtendedData = {
  ...SD,
  kind: 'D',
  hdop: 0.9,
  inputs: 5,
  outputs: 2n ** 60n,
  adc: [14.77, null, 3.6],
  ibutton: '01A2B3',
  params: [
    { name: 'count1', type: 1, value: 564 },
    { name: 'fuel', type: 2, value: 45.8 },
    { name: 'hw', type: 3, value: 'V4.5' },
  ],
};
const text = (b: Uint8Array) => td.decode(b);

describe('encoders: exact wire text', () => {
  it('§5 login v1.1 / v2.0 (W1, W5)', () => {
    expect(text(encodeLogin('1.1', '123456789012345', 'test'))).toBe('#L#123456789012345;test\r\n');
    expect(text(encodeLogin('1.1', 'imei', null))).toBe('#L#imei;NA\r\n');
    expect(text(encodeLogin('2.0', 'imei', null))).toBe('#L#2.0;imei;NA;A932\r\n');
  });
  it('§6 SD v1.1 / v2.0', () => {
    expect(text(encodeShortData('1.1', SD))).toBe('#SD#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4\r\n');
    expect(text(encodeShortData('2.0', SD))).toMatch(/^#SD#270413;205601;5544\.6025;N;03739\.6834;E;1;2;3;4;[0-9A-F]{4}\r\n$/);
    expect(text(encodeData('1.1', { ...SD, time: null, latitude: null, longitude: null, speed: null, course: null, altitude: null, satellites: null }))).toBe(
      '#SD#NA;NA;NA;NA;NA;NA;NA;NA;NA;NA\r\n',
    );
  });
  it('§7 D: every field', () => {
    expect(text(encodeExtendedData('1.1', D))).toBe(
      '#D#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4;0.9;5;1152921504606846976;14.77,NA,3.6;01A2B3;count1:1:564,fuel:2:45.8,hw:3:V4.5\r\n',
    );
    expect(text(encodeData('1.1', { ...D, hdop: null, inputs: null, outputs: null, adc: [], ibutton: null, params: [] }))).toBe(
      '#D#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4;NA;NA;NA;;NA;NA\r\n',
    );
  });
  it('§8 B: bodies joined by |, v2.0 with a trailing | and the CRC (W6 = 7981)', () => {
    expect(text(encodeBlackBox('1.1', [SD, D]))).toBe(`#B#${formatBody(SD)}|${formatBody(D)}\r\n`);
    const second: WialonShortData = { ...SD, time: T + 60_000, latitude: 55.7435, longitude: 37 + 39.7 / 60, speed: 5, course: 90, satellites: 6 };
    expect(text(encodeBlackBox('2.0', [SD, second]))).toBe(
      '#B#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4|270413;205701;5544.6100;N;03739.7000;E;5;90;3;6|7981\r\n',
    );
    expect(text(encodeBlackBox('1.1', []))).toBe('#B#\r\n');
  });
  it('a 50-message black box for the bench', () => {
    const bodies = Array.from({ length: 50 }, (_, i) => ({ ...D, time: T + i * 1000 }));
    const b = encodeBlackBox('2.0', bodies);
    expect(text(b).split('|')).toHaveLength(51);
  });
  it('§9 P, M, I, IT, T', () => {
    expect(text(encodePing())).toBe('#P#\r\n');
    expect(text(encodeMessage('1.1', 'Hello driver'))).toBe('#M#Hello driver\r\n');
    expect(text(encodeMessage('2.0', 'Hello driver'))).toBe('#M#Hello driver;0798\r\n'); // W8
    const img = encodeImage('1.1', { index: 0, lastIndex: 1, time: Date.parse('2012-05-07T12:40:10Z'), name: 'sample.jpg', data: Uint8Array.of(1, 2) });
    expect(Array.from(img)).toEqual([...new TextEncoder().encode('#I#2;0;1;070512;124010;sample.jpg\r\n'), 1, 2]);
    expect(text(encodeImage('2.0', { index: 0, lastIndex: 0, time: null, name: 'a', data: new TextEncoder().encode('123456789') }))).toBe(
      '#I#9;0;0;NA;NA;a;BB3D\r\n123456789', // CRC-16/ARC check value over the BIN only
    );
    expect(text(encodeDddInfo({ time: T, driverId: 'D1', code: 'c', count: 2 }))).toMatch(/^#IT#270413;205601;D1;c;2;[0-9A-F]{4}\r\n$/);
    expect(text(encodeDddBlock({ code: 'c', index: 1, data: new TextEncoder().encode('123456789') }))).toBe('#T#c;9;1;BB3D\r\n123456789');
  });
  it('§3 UDP prefix', () => {
    expect(text(encodeUdp('1.1', '99999999', encodePing()))).toBe('99999999#P#\r\n');
    expect(text(encodeUdp('2.0', '99999999', encodePing()))).toBe('2.0;99999999#P#\r\n');
  });
  it('coordinates with more minute decimals on request', () => {
    expect(text(encodeShortData('1.1', { ...SD, latitude: -(55 + 54.350052 / 60) }, { minuteDecimals: 6 }))).toContain(';5554.350052;S;');
  });
  it('ms in the time become .fff', () => {
    expect(text(encodeShortData('1.1', { ...SD, time: T + 5 }))).toContain('#SD#270413;205601.005;');
  });
});

describe('encoders refuse what the decoder could not read back', () => {
  const cases: [string, () => unknown][] = [
    ['empty device id', () => encodeLogin('1.1', '', null)],
    ['; in device id', () => encodeLogin('2.0', 'a;b', null)],
    ['# in a UDP device id', () => encodeUdp('1.1', 'a#b', encodePing())],
    ['v1.1 device id with a dot', () => encodeLogin('1.1', '1.5', null)],
    ['password NA', () => encodeLogin('1.1', 'x', 'NA')],
    ['; in a password', () => encodeLogin('1.1', 'x', 'a;b')],
    ['year 1999', () => encodeShortData('1.1', { ...SD, time: Date.UTC(1999, 11, 31) })],
    ['latitude 91', () => encodeShortData('1.1', { ...SD, latitude: 91 })],
    ['negative speed', () => encodeShortData('1.1', { ...SD, speed: -1 })],
    ['course 361', () => encodeShortData('1.1', { ...SD, course: 361 })],
    ['fractional satellites', () => encodeShortData('1.1', { ...SD, satellites: 1.5 })],
    ['NaN altitude', () => encodeShortData('1.1', { ...SD, altitude: Number.NaN })],
    ['negative hdop', () => encodeExtendedData('1.1', { ...D, hdop: -1 })],
    ['negative inputs', () => encodeExtendedData('1.1', { ...D, inputs: -1 })],
    ['65-bit outputs', () => encodeExtendedData('1.1', { ...D, outputs: 2n ** 64n })],
    ['adc [null]', () => encodeExtendedData('1.1', { ...D, adc: [null] })],
    ['ibutton NA', () => encodeExtendedData('1.1', { ...D, ibutton: 'NA' })],
    ['; in ibutton', () => encodeExtendedData('1.1', { ...D, ibutton: 'a;b' })],
    ['| in a string param', () => encodeExtendedData('1.1', { ...D, params: [{ name: 'a', type: 3, value: 'x|y' }] })],
    ['CR in a message', () => encodeMessage('1.1', 'a\rb')],
    ['image index past the last', () => encodeImage('1.1', { index: 2, lastIndex: 1, time: null, name: 'a', data: new Uint8Array() })],
    ['; in an image name', () => encodeImage('1.1', { index: 0, lastIndex: 0, time: null, name: 'a;b', data: new Uint8Array() })],
    ['negative DDD count', () => encodeDddInfo({ time: null, driverId: 'd', code: 'c', count: -1 })],
    ['fractional DDD index', () => encodeDddBlock({ code: 'c', index: 0.5, data: new Uint8Array() })],
  ];
  for (const [what, fn] of cases) it(what, () => expect(fn).toThrow(RangeError));
});
