import { describe, expect, it } from 'vitest';
import { crc16arc } from '../common/crc.ts';
import { checkCrc, formatCrc, parseCrcToken } from './crc.ts';

const te = new TextEncoder();

describe('v2.0 CRC field (§11)', () => {
  it('every CRC quoted in §13 is CRC-16/ARC of its covered text', () => {
    const table: [string, number][] = [
      ['2.0;imei;NA;', 0xa932], // W1
      ['2.0;359633100458590;NA;', 0xeebf], // W1 variant
      ['300924;154245;5554.350052;N;3644.670410;E;2.92;NA;NA;NA;', 0x7a01], // W2
      ['220323;114150;2234.80479;N;11354.87786;E;0;NA;59;11;NA;NA;NA;;NA;d_battr:1:94,d_csq:1:21,di_light:1:1;', 0xe7c9], // W3
      ['270413;205601;5544.6025;N;03739.6834;E;1;2;3;4|270413;205701;5544.6100;N;03739.7000;E;5;90;3;6|', 0x7981], // W6
      ['Hello driver;', 0x0798], // W8
      ['2.0;42001300083;;', 0xdbeb], // W9: not the 0xCE45 the frame carries
    ];
    for (const [text, crc] of table) expect(crc16arc(te.encode(text)), text).toBe(crc);
  });
  it('formats 4 upper-case hex digits (0xFC45 → FC45, 0x0798 → 0798)', () => {
    expect(formatCrc(0xfc45)).toBe('FC45');
    expect(formatCrc(0x0798)).toBe('0798');
    expect(formatCrc(0)).toBe('0000');
  });
  it('parses leniently: case, optional 0x, no padding (traccar 0x9b0 = 0x09B0)', () => {
    expect(parseCrcToken('FC45')).toBe(0xfc45);
    expect(parseCrcToken('fc45')).toBe(0xfc45);
    expect(parseCrcToken('0x9b0')).toBe(0x09b0);
    expect(parseCrcToken('0X09B0')).toBe(0x09b0);
    expect(parseCrcToken('9b0')).toBe(0x09b0);
    expect(parseCrcToken('0')).toBe(0);
  });
  it('a token that is not 1–4 hex digits is no CRC (NaN)', () => {
    for (const t of ['', 'NA', '0x', 'FC455', 'G000', ' FC4', 'FC4 ', '-1', '0x12345', '4;']) expect(parseCrcToken(t), t).toBeNaN();
  });
  it('checkCrc: ok, mismatch, missing over the given range', () => {
    const bytes = te.encode('#M#Hello driver;0798');
    expect(checkCrc(bytes, 3, bytes.length - 4, '0798')).toEqual({ status: 'ok' });
    expect(checkCrc(bytes, 3, bytes.length - 4, '0x798')).toEqual({ status: 'ok' });
    expect(checkCrc(bytes, 3, bytes.length - 4, '0799').status).toBe('mismatch');
    expect(checkCrc(bytes, 3, bytes.length - 4, 'zz').status).toBe('missing');
  });
});
