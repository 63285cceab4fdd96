import { describe, expect, it } from 'vitest';
import { crc16arc } from '../common/crc.ts';
import { formatCrc } from './crc.ts';
import { decodePacket } from './decoder.ts';
import { encodeDddBlock, encodeDddInfo } from './encoder.ts';
import { decodeWire, loggedIn, replyText, te, wire, withCrc } from './vectors.test-helper.ts';

const V2 = loggedIn('2.0');
const code = (r: ReturnType<typeof decodeWire>) => (r.ok ? 'ok' : r.error.code);
const DATA = Uint8Array.of(0x76, 0x01, 0x0d, 0x0a, 0x00, 0xff);

describe('DDD (§9, v2.0)', () => {
  it('IT: date;time;DriverID;Code;Count;CRC → #AIT#1', () => {
    const r = decodeWire(withCrc('IT', '150124;083000;DRV0001;ddd-7;3;'), V2);
    expect(r).toEqual({
      ok: true,
      type: 'IT',
      records: [],
      reply: expect.any(Uint8Array),
      ddd: { time: Date.parse('2024-01-15T08:30:00Z'), driverId: 'DRV0001', code: 'ddd-7', count: 3 },
    });
    expect(replyText(r)).toBe('#AIT#1\r\n');
  });
  it('IT CRC error → #AIT#01; structure / field errors → #AIT#0', () => {
    expect(replyText(decodeWire(wire('#IT#150124;083000;DRV0001;ddd-7;3;0000'), V2))).toBe('#AIT#01\r\n');
    expect(replyText(decodeWire(withCrc('IT', '150124;083000;DRV0001;3;'), V2))).toBe('#AIT#0\r\n');
    expect(replyText(decodeWire(wire('#IT#150124;083000;DRV0001;ddd-7;3;'), V2))).toBe('#AIT#0\r\n');
    expect(replyText(decodeWire(withCrc('IT', '150124;083000;DRV0001;ddd-7;three;'), V2))).toBe('#AIT#0\r\n');
    expect(replyText(decodeWire(withCrc('IT', '150124;250000;DRV0001;ddd-7;3;'), V2))).toBe('#AIT#0\r\n');
  });
  it('T: Code;Sz;Ind;CRC + BIN, CRC over the BIN → #AT#ind;1', () => {
    const p = new Uint8Array([...te.encode(`#T#ddd-7;${DATA.length};2;${formatCrc(crc16arc(DATA))}\r\n`), ...DATA]);
    const r = decodeWire(p, V2);
    expect(r).toEqual({ ok: true, type: 'T', records: [], reply: expect.any(Uint8Array), ddd: { code: 'ddd-7', index: 2, data: DATA } });
    expect(replyText(r)).toBe('#AT#2;1\r\n');
    expect(p).toEqual(encodeDddBlock({ code: 'ddd-7', index: 2, data: DATA }));
  });
  it('T CRC error → #AT#ind;01; size mismatch → #AT#ind;0; no index → no answer', () => {
    const bad = new Uint8Array([...te.encode(`#T#c;${DATA.length};4;${formatCrc(crc16arc(DATA) ^ 0x100)}\r\n`), ...DATA]);
    expect([code(decodeWire(bad, V2)), replyText(decodeWire(bad, V2))]).toEqual(['FM_ERR_CRC_MISMATCH', '#AT#4;01\r\n']);
    const short = new Uint8Array([...te.encode(`#T#c;2;4;${formatCrc(crc16arc(DATA))}\r\n`), ...DATA.subarray(0, 2)]);
    expect(replyText(decodeWire(short, V2))).toBe('#AT#4;01\r\n');
    const noIndex = new Uint8Array([...te.encode(`#T#c;${DATA.length};x;0000\r\n`), ...DATA]);
    expect([code(decodeWire(noIndex, V2)), replyText(decodeWire(noIndex, V2))]).toEqual(['FM_ERR_MALFORMED', null]);
  });
  it('T header without its BIN (decoded directly) → #AT#ind;0', () => {
    const r = decodePacket(te.encode('#T#c;6;4;0000'), V2, 0);
    expect([r.ok || r.error.code, replyText(r)]).toEqual(['FM_ERR_LENGTH_MISMATCH', '#AT#4;0\r\n']);
  });
  it('§1: no tachograph packets in v1.1 → unknown packet, no answer', () => {
    const r = decodeWire(withCrc('IT', '150124;083000;DRV0001;ddd-7;3;'), loggedIn('1.1'));
    expect([code(r), replyText(r)]).toEqual(['FM_ERR_UNKNOWN_PACKET', null]);
  });
  it('encodeDddInfo is what the decoder reads', () => {
    const info = { time: Date.parse('2024-01-15T08:30:00Z'), driverId: 'DRV0001', code: 'ddd-7', count: 3 };
    const r = decodeWire(encodeDddInfo(info), V2);
    expect(r.ok && r.type === 'IT' && r.ddd).toEqual(info);
  });
});
