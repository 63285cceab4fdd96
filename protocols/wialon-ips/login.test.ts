import { describe, expect, it } from 'vitest';
import { decodeWire, loggedIn, notLoggedIn, replyText, te, wire, withCrc } from './vectors.test-helper.ts';
import { decodePacket } from './decoder.ts';

const fail = (r: ReturnType<typeof decodeWire>) => (r.ok ? 'ok' : r.error.code);

describe('login (§5)', () => {
  it('v1.1 #L#imei;password; the password NA is none', () => {
    expect(decodeWire(wire('#L#865205030000001;NA'), notLoggedIn())).toEqual({
      ok: true,
      type: 'L',
      login: { deviceId: '865205030000001', password: null, version: '1.1' },
      records: [],
      reply: null,
    });
  });
  it('v2.0 with a password; the unit id is a free string', () => {
    expect(decodeWire(withCrc('L', '2.0;unit-42/Б;s3cret;'), notLoggedIn())).toEqual({
      ok: true,
      type: 'L',
      login: { deviceId: 'unit-42/Б', password: 's3cret', version: '2.0' },
      records: [],
      reply: null,
    });
  });
  it('is parsed whatever the session state (a re-login is ingest’s call)', () => {
    expect(decodeWire(wire('#L#a;b'), loggedIn('2.0')).ok).toBe(true);
  });
  it('§1: the version is 2.0 when the first field contains a dot; v1.1 has exactly 2 fields → else #AL#0', () => {
    for (const text of ['#L#imei', '#L#imei;pw;x', '#L#imei;pw;x;y']) {
      const r = decodeWire(wire(text), notLoggedIn());
      expect(fail(r), text).toBe('FM_ERR_MALFORMED');
      expect(replyText(r), text).toBe('#AL#0\r\n');
    }
  });
  it('v2.0 needs 4 fields → else #AL#0', () => {
    const r = decodeWire(wire('#L#2.0;imei;NA'), notLoggedIn());
    expect(fail(r)).toBe('FM_ERR_MALFORMED');
    expect(replyText(r)).toBe('#AL#0\r\n');
  });
  it('§12 v2.0 CRC mismatch → #AL#10; a missing CRC (not hex) → structure error #AL#0', () => {
    const bad = decodeWire(wire('#L#2.0;imei;NA;A933'), notLoggedIn());
    expect([fail(bad), replyText(bad)]).toEqual(['FM_ERR_CRC_MISMATCH', '#AL#10\r\n']);
    const missing = decodeWire(wire('#L#2.0;imei;NA;'), notLoggedIn());
    expect([fail(missing), replyText(missing)]).toEqual(['FM_ERR_MALFORMED', '#AL#0\r\n']);
  });
  it('§11 lenient CRC token: 0xa932 is accepted', () => {
    expect(decodeWire(wire('#L#2.0;imei;NA;0xa932'), notLoggedIn()).ok).toBe(true);
  });
  it('§12 protocol version mismatch (2.1, 3.0) → #AL#0', () => {
    const r = decodeWire(withCrc('L', '2.1;imei;NA;'), notLoggedIn());
    expect([fail(r), replyText(r)]).toEqual(['FM_ERR_UNSUPPORTED', '#AL#0\r\n']);
  });
  it('an empty or NA unit id → #AL#0', () => {
    for (const w of [wire('#L#;pw'), wire('#L#NA;pw'), withCrc('L', '2.0;;NA;')]) {
      const r = decodeWire(w, notLoggedIn());
      expect([fail(r), replyText(r)]).toEqual(['FM_ERR_BAD_IMEI', '#AL#0\r\n']);
    }
  });
  it('the CRC is computed over the raw UTF-8 bytes (§4)', () => {
    const covered = '2.0;Лада-7;пароль;';
    const packet = withCrc('L', covered);
    const r = decodePacket(packet.subarray(0, -2), notLoggedIn(), 0);
    expect(r.ok && r.type === 'L' && r.login).toEqual({ deviceId: 'Лада-7', password: 'пароль', version: '2.0' });
    expect(te.encode(covered).length).toBeGreaterThan(covered.length); // multi-byte really involved
  });
});
