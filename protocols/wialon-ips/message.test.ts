import { describe, expect, it } from 'vitest';
import { decodeWire, loggedIn, replyText, wire, withCrc } from './vectors.test-helper.ts';

describe('driver message M (§9)', () => {
  it('v1.1: the whole body is the text (; allowed) → #AM#1', () => {
    const r = decodeWire(wire('#M#Пробка на МКАД; буду позже'), loggedIn('1.1'));
    expect(r).toEqual({ ok: true, type: 'M', records: [], reply: expect.any(Uint8Array), text: 'Пробка на МКАД; буду позже' });
    expect(replyText(r)).toBe('#AM#1\r\n');
  });
  it('v2.0: the text is what precedes the last ; and may contain ; itself', () => {
    const r = decodeWire(withCrc('M', 'a;b;'), loggedIn('2.0'));
    expect(r.ok && r.type === 'M' && r.text).toBe('a;b');
    expect(replyText(r)).toBe('#AM#1\r\n');
  });
  it('v2.0: an empty text', () => {
    const r = decodeWire(withCrc('M', ';'), loggedIn('2.0'));
    expect(r.ok && r.type === 'M' && r.text).toBe('');
  });
  it('v2.0 CRC error → #AM#01', () => {
    const r = decodeWire(wire('#M#Hello driver;0799'), loggedIn('2.0'));
    expect([r.ok || r.error.code, replyText(r)]).toEqual(['FM_ERR_CRC_MISMATCH', '#AM#01\r\n']);
  });
  it('v2.0 without the CRC field → #AM#0', () => {
    for (const text of ['#M#Hello driver', '#M#Hello; driver']) {
      const r = decodeWire(wire(text), loggedIn('2.0'));
      expect([r.ok || r.error.code, replyText(r)], text).toEqual(['FM_ERR_MALFORMED', '#AM#0\r\n']);
    }
  });
  it('v2.0 Cyrillic: CRC over the UTF-8 bytes', () => {
    const r = decodeWire(withCrc('M', 'Привет, водитель;'), loggedIn('2.0'));
    expect(r.ok && r.type === 'M' && r.text).toBe('Привет, водитель');
  });
});
