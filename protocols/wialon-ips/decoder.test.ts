import { describe, expect, it } from 'vitest';
import { decodePacket, parseHead } from './decoder.ts';
import { decodeWire, loggedIn, notLoggedIn, replyText, te, wire } from './vectors.test-helper.ts';

describe('parseHead', () => {
  it('reads #TYPE# and where the body starts', () => {
    expect(parseHead(te.encode('#SD#1;2'))).toEqual({ type: 'SD', bodyStart: 4 });
    expect(parseHead(te.encode('#AIT#1'))).toEqual({ type: 'AIT', bodyStart: 5 });
    expect(parseHead(te.encode('xx#P#'), 2)).toEqual({ type: 'P', bodyStart: 5 });
  });
  it('null for anything else', () => {
    for (const s of ['', '#', '##', '#SD', 'SD#1', '#S D#', '#S1#', '#TOOLONGTYPE#', '#Д#']) expect(parseHead(te.encode(s)), s).toBeNull();
  });
});

describe('decodePacket dispatch (§2, §12)', () => {
  it('§9 ping → #AP# in both versions (no CRC)', () => {
    for (const v of ['1.1', '2.0'] as const) {
      const r = decodeWire(wire('#P#'), loggedIn(v));
      expect(r).toEqual({ ok: true, type: 'P', records: [], reply: expect.any(Uint8Array) });
      expect(replyText(r)).toBe('#AP#\r\n');
    }
  });
  it('§12: data before a successful login → FM_ERR_NOT_LOGGED_IN, no answer (close)', () => {
    for (const text of ['#SD#NA;NA;NA;NA;NA;NA;NA;NA;NA;NA', '#D#x', '#B#x', '#P#', '#M#hi', '#XYZ#']) {
      const r = decodeWire(wire(text), notLoggedIn());
      expect([r.ok || r.error.code, replyText(r)], text).toEqual(['FM_ERR_NOT_LOGGED_IN', null]);
    }
    const half = decodeWire(wire('#P#'), { deviceId: 'x', version: null });
    expect(half.ok || half.error.code).toBe('FM_ERR_NOT_LOGGED_IN');
  });
  it('§12: unknown type → FM_ERR_UNKNOWN_PACKET, no answer; also server → device types', () => {
    for (const text of ['#XYZ#1;2', '#Q#', '#QI#', '#QT#drv', '#US#0', '#UC#0', '#AL#1', '#sd#x']) {
      const r = decodePacket(te.encode(text), loggedIn('2.0'), 0);
      expect([r.ok || r.error.code, replyText(r)], text).toEqual(['FM_ERR_UNKNOWN_PACKET', null]);
    }
  });
  it('not #TYPE#… at all → FM_ERR_MALFORMED, no answer', () => {
    for (const text of ['', 'hello', '#', '#SD', '##']) {
      const r = decodePacket(te.encode(text), loggedIn('2.0'), 0);
      expect([r.ok || r.error.code, replyText(r)], text).toEqual(['FM_ERR_MALFORMED', null]);
    }
  });
  it('never throws, whatever the bytes and state', () => {
    const states = [notLoggedIn(), loggedIn('1.1'), loggedIn('2.0')];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const alphabet = te.encode('#;|:,.NA0123456789SDBLPMIT\r\n\xff-ЖE W');
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rnd() * 80);
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = rnd() < 0.8 ? alphabet[Math.floor(rnd() * alphabet.length)] : Math.floor(rnd() * 256);
      if (len > 0 && rnd() < 0.7) b[0] = 0x23;
      for (const s of states) expect(() => decodePacket(b, s, 0)).not.toThrow();
    }
  });
});
