import { describe, expect, it } from 'vitest';
import {
  decodeServerPacket,
  encodeCommand,
  encodeConfigUpload,
  encodeDddRequest,
  encodeFirmwareUpload,
  encodeImageRequest,
  encodeServerMessage,
} from './commands.ts';
import { frameAll } from './framer.ts';
import { td, te } from './vectors.test-helper.ts';

/** Frames a server → device stream as a device would (raw command lines allowed). */
const deviceFrames = (bytes: Uint8Array) => frameAll(bytes, { rawLines: true }).map((e) => (e.ok ? e.frame : new Uint8Array()));
const BIN = Uint8Array.of(0x0d, 0x0a, 0x00, 0xff, 0x23);

describe('server → device packets (§2, §9)', () => {
  it('exact bytes', () => {
    expect(td.decode(encodeServerMessage('2.0', 'Hello driver'))).toBe('#M#Hello driver;0798\r\n');
    expect(td.decode(encodeServerMessage('1.1', 'Hello driver'))).toBe('#M#Hello driver\r\n');
    expect(td.decode(encodeImageRequest())).toBe('#QI#\r\n');
    expect(td.decode(encodeDddRequest('DRV1'))).toBe('#QT#DRV1\r\n');
    expect(Array.from(encodeFirmwareUpload('1.1', BIN))).toEqual([...te.encode('#US#5\r\n'), ...BIN]);
    expect(td.decode(encodeConfigUpload('2.0', te.encode('123456789')))).toBe('#UC#9;BB3D\r\n123456789');
    // §9 traccar's examples of custom commands
    expect(['reboot', 'VER?', 'USSD:*100#', 'L1=1'].map((c) => td.decode(encodeCommand(c)))).toEqual(['reboot\r\n', 'VER?\r\n', 'USSD:*100#\r\n', 'L1=1\r\n']);
  });
  it('a device reads back a whole server stream, one frame each', () => {
    const stream = new Uint8Array([
      ...te.encode('#AL#1\r\n#ASD#-1\r\n#AB#\r\n#AI#NA;0\r\n'),
      ...encodeServerMessage('2.0', 'Привет'),
      ...encodeImageRequest(),
      ...encodeDddRequest('DRV1'),
      ...encodeFirmwareUpload('2.0', BIN),
      ...encodeConfigUpload('1.1', BIN),
      ...encodeCommand('USSD:*100#'),
    ]);
    const versions = ['2.0', '2.0', '2.0', '2.0', '2.0', '2.0', '2.0', '2.0', '1.1', '2.0'] as const;
    expect(deviceFrames(stream).map((f, i) => decodeServerPacket(f, versions[i]))).toEqual([
      { kind: 'answer', answer: { type: 'AL', code: '1', index: null } },
      { kind: 'answer', answer: { type: 'ASD', code: '-1', index: null } },
      { kind: 'answer', answer: { type: 'AB', code: '', index: null } },
      { kind: 'answer', answer: { type: 'AI', code: '0', index: 'NA' } },
      { kind: 'message', text: 'Привет' },
      { kind: 'image-request' },
      { kind: 'ddd-request', driverId: 'DRV1' },
      { kind: 'upload', type: 'US', data: BIN },
      { kind: 'upload', type: 'UC', data: BIN },
      { kind: 'command', text: 'USSD:*100#' },
    ]);
  });
  it('v2.0 CRC checks on M and uploads', () => {
    expect(decodeServerPacket(te.encode('#M#Hello driver;0799'), '2.0')).toMatchObject({ kind: 'invalid', error: { code: 'FM_ERR_CRC_MISMATCH' } });
    expect(decodeServerPacket(te.encode('#M#Hello driver'), '2.0')).toMatchObject({ kind: 'invalid', error: { code: 'FM_ERR_MALFORMED' } });
    expect(decodeServerPacket(te.encode('#M#Hello driver;x'), '2.0')).toMatchObject({ kind: 'invalid', error: { code: 'FM_ERR_MALFORMED' } });
    const up = encodeFirmwareUpload('2.0', BIN);
    up[up.length - 1] ^= 1;
    expect(decodeServerPacket(up, '2.0')).toMatchObject({ kind: 'invalid', error: { code: 'FM_ERR_CRC_MISMATCH' } });
    expect(decodeServerPacket(te.encode('#US#9;0000\r\nab'), '2.0')).toMatchObject({ kind: 'invalid', error: { code: 'FM_ERR_LENGTH_MISMATCH' } });
    expect(decodeServerPacket(te.encode('#US#2\r\nab'), '2.0')).toMatchObject({ kind: 'invalid', error: { code: 'FM_ERR_MALFORMED' } });
    expect(decodeServerPacket(te.encode('#US#2;zz\r\nab'), '2.0')).toMatchObject({ kind: 'invalid', error: { code: 'FM_ERR_MALFORMED' } });
    expect(decodeServerPacket(te.encode('#ZZ#'), '2.0')).toMatchObject({ kind: 'invalid', error: { code: 'FM_ERR_UNKNOWN_PACKET' } });
  });
  it('refuses unsendable commands', () => {
    expect(() => encodeCommand('')).toThrow(RangeError);
    expect(() => encodeCommand('#M#x')).toThrow(RangeError);
    expect(() => encodeCommand('a\r\nb')).toThrow(RangeError);
    expect(() => encodeDddRequest('a\nb')).toThrow(RangeError);
  });
});
