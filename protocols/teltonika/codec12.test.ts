import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../common/hex.ts';
import { decodeCommandPacket, decodeTcpPacket } from './decoder.ts';
import { encodeCodec12Packet, encodeCommand, encodeCommandResponse, encodeTcpFrame } from './encoder.ts';
import { IMEI, RECEIVED_AT, codec12VectorTests } from './testing/expand.ts';

const ctx = { deviceId: IMEI, receivedAt: RECEIVED_AT };

describe('Codec 12 vectors (teltonika.md §12 E7)', () => {
  codec12VectorTests({
    source: '§12 E7 getinfo command',
    hex: '000000000000000F0C010500000007676574696E666F0100004312',
    type: 0x05,
    text: 'getinfo',
    dataLength: 15,
    crc: 0x4312,
  });
  codec12VectorTests({
    source: '§12 E7 getio command',
    hex: '000000000000000D0C010500000005676574696F01000000CB',
    type: 0x05,
    text: 'getio',
    dataLength: 13,
    crc: 0x00cb,
  });
  codec12VectorTests({
    source: '§12 E7 device response to getio (older wiki example)',
    hex: '000000000000002C0C0106000000244449313A30204449323A30204449333A302041494E3A323420444F313A3020444F323A30010000F925',
    type: 0x06,
    text: 'DI1:0 DI2:0 DI3:0 AIN:24 DO1:0 DO2:0',
    dataLength: 0x2c,
    crc: 0xf925,
  });
  codec12VectorTests({
    source: '§12 E7 traccar encoder vector, setdigout 11',
    hex: '00000000000000140C01050000000C7365746469676F7574203131010000BED5',
    type: 0x05,
    text: 'setdigout 11',
    dataLength: 20,
    crc: 0xbed5,
  });
  codec12VectorTests({
    source: '§12 E7 our encoder, setdigout 1',
    hex: '00000000000000130C01050000000B7365746469676F7574203101000087A2',
    type: 0x05,
    text: 'setdigout 1',
    dataLength: 19,
    crc: 0x87a2,
  });
});

describe('Codec 12', () => {
  it('encodeCommand builds the §12 E7 getinfo packet', () => {
    expect(toHex(encodeCommand('getinfo'))).toBe('000000000000000F0C010500000007676574696E666F0100004312');
  });

  it('trims a trailing CR LF from responses (§9)', () => {
    const r = decodeTcpPacket(encodeCommandResponse('getio ok\r\n'), ctx);
    expect(r).toStrictEqual({ ok: true, kind: 'command-response', codec: 12, responses: ['getio ok'], reply: null });
  });

  it('copies payloads out of a Node Buffer (Buffer#slice would share its memory)', () => {
    const buffer = Buffer.from(encodeCommandResponse('abc'));
    const r = decodeCommandPacket(buffer);
    buffer.fill(0);
    expect(r.ok && r.payloads).toStrictEqual([Uint8Array.of(0x61, 0x62, 0x63)]);
  });

  it('decodes several entries in one packet', () => {
    const r = decodeTcpPacket(encodeCodec12Packet(0x06, ['a', 'bc\n', '']), ctx);
    expect(r).toStrictEqual({ ok: true, kind: 'command-response', codec: 12, responses: ['a', 'bc', ''], reply: null });
  });

  it('rejects quantity 1 ≠ quantity 2, entries of mixed types, sizes past the end, and leftovers', () => {
    const cases: [string, string][] = [
      ['0C0106000000016102', 'FM_ERR_COUNT_MISMATCH'], // q1 = 1, q2 = 2
      ['0C00', 'FM_ERR_TRUNCATED'], // L = 2: no room for codec, quantity 1 and quantity 2
      ['0C010600000009616101', 'FM_ERR_TRUNCATED'], // size 9, 2 bytes remain
      ['0C01060000000161626301', 'FM_ERR_LENGTH_MISMATCH'], // size 1, 2 bytes left over before q2
      ['0C0206000000016105000000016202', 'FM_ERR_BAD_FIELD'], // entry types 06 then 05
      ['0C0000', 'FM_ERR_BAD_FIELD'], // quantity 0
    ];
    for (const [data, code] of cases) {
      const r = decodeCommandPacket(encodeTcpFrame(Buffer.from(data, 'hex')));
      expect(r.ok ? 'ok' : r.error.code, data).toBe(code);
    }
  });

  it('decodeTcpPacket refuses a command (type 0x05) from a device', () => {
    const r = decodeTcpPacket(encodeCommand('getver'), ctx);
    expect(r.ok ? 'ok' : r.error.code).toBe('FM_ERR_BAD_FIELD');
    expect(r.reply).toBeNull();
  });

  it('property: any command / response text round-trips', () => {
    // Responses lose trailing CR/LF by design (§9), so the texts here do not end with them.
    const text = fc.string({ unit: 'grapheme', maxLength: 60 }).filter((t) => !/[\r\n]$/.test(t));
    fc.assert(
      fc.property(text, (t) => {
        expect(decodeCommandPacket(encodeCommand(t))).toStrictEqual({
          ok: true, type: 0x05, payloads: [new TextEncoder().encode(t)], texts: [t],
        });
        expect(decodeTcpPacket(encodeCommandResponse(t), ctx)).toStrictEqual({
          ok: true, kind: 'command-response', codec: 12, responses: [t], reply: null,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('property: raw binary payloads survive byte for byte', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { minLength: 1, maxLength: 4 }), (payloads) => {
        const r = decodeCommandPacket(encodeCodec12Packet(0x06, payloads));
        expect(r.ok && r.payloads).toStrictEqual(payloads);
      }),
      { numRuns: 200 },
    );
  });
});
