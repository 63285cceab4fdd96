import { describe, expect, it } from 'vitest';
import { formatDateTime, parseDateTime, WIALON_MAX_TIME, WIALON_MIN_TIME } from './datetime.ts';

describe('parseDateTime (§6, §10)', () => {
  it('§10: 270413;205601 = 2013-04-27T20:56:01Z (DDMMYY, UTC, year 2000+YY)', () => {
    expect(parseDateTime('270413', '205601')).toBe(Date.parse('2013-04-27T20:56:01Z'));
  });
  it('§6: accepts a fraction of a second, truncated to ms (v2.1 allows 9 digits)', () => {
    expect(parseDateTime('270413', '205601.5')).toBe(Date.parse('2013-04-27T20:56:01.500Z'));
    expect(parseDateTime('270413', '205601.123')).toBe(Date.parse('2013-04-27T20:56:01.123Z'));
    expect(parseDateTime('270413', '205601.123456789')).toBe(Date.parse('2013-04-27T20:56:01.123Z'));
    expect(parseDateTime('270413', '205601.999999999')).toBe(Date.parse('2013-04-27T20:56:01.999Z'));
  });
  it('NA (or empty) date or time → null: the device sent no usable time', () => {
    expect(parseDateTime('NA', 'NA')).toBeNull();
    expect(parseDateTime('', '')).toBeNull();
    expect(parseDateTime('270413', 'NA')).toBeNull();
    expect(parseDateTime('NA', '205601')).toBeNull();
  });
  it('boundaries of the 2-digit year and of the day', () => {
    expect(parseDateTime('010100', '000000')).toBe(Date.parse('2000-01-01T00:00:00Z'));
    expect(parseDateTime('311299', '235959')).toBe(Date.parse('2099-12-31T23:59:59Z'));
    expect(parseDateTime('290212', '120000')).toBe(Date.parse('2012-02-29T12:00:00Z')); // leap year
  });
  it('impossible dates and times → NaN (answer code 0)', () => {
    for (const [d, t] of [
      ['320413', '205601'], // day 32
      ['310413', '205601'], // 31 April
      ['290213', '205601'], // 29 Feb 2013
      ['001313', '205601'], // day 0, month 13
      ['271313', '205601'], // month 13
      ['270013', '205601'], // month 0
      ['270413', '245601'], // hour 24
      ['270413', '206001'], // minute 60
      ['270413', '205660'], // second 60
      ['27041', '205601'], // 5 digits
      ['2704133', '205601'],
      ['270413', '20560'],
      ['27O413', '205601'], // letter O
      ['270413', '205601.'], // dot without digits
      ['270413', '205601,5'],
      ['270413', '205601.5x'],
      ['-70413', '205601'],
    ]) {
      expect(parseDateTime(d, t), `${d};${t}`).toBeNaN();
    }
  });
});

describe('formatDateTime', () => {
  it('ms → DDMMYY / HHMMSS, with .fff only when there are ms', () => {
    expect(formatDateTime(Date.parse('2013-04-27T20:56:01Z'))).toEqual(['270413', '205601']);
    expect(formatDateTime(Date.parse('2013-04-27T20:56:01.050Z'))).toEqual(['270413', '205601.050']);
    expect(formatDateTime(Date.parse('2001-02-03T04:05:06Z'))).toEqual(['030201', '040506']);
  });
  it('null → NA;NA', () => expect(formatDateTime(null)).toEqual(['NA', 'NA']));
  it('throws outside 2000..2099 and for non-integers', () => {
    expect(() => formatDateTime(WIALON_MIN_TIME - 1)).toThrow(RangeError);
    expect(() => formatDateTime(WIALON_MAX_TIME + 1)).toThrow(RangeError);
    expect(() => formatDateTime(WIALON_MIN_TIME + 0.5)).toThrow(RangeError);
    expect(formatDateTime(WIALON_MAX_TIME)).toEqual(['311299', '235959.999']);
  });
  it('parse(format(t)) = t across the range', () => {
    for (let i = 0; i <= 2000; i++) {
      const t = WIALON_MIN_TIME + Math.floor(((WIALON_MAX_TIME - WIALON_MIN_TIME) * i) / 2000);
      const [d, h] = formatDateTime(t);
      expect(parseDateTime(d, h)).toBe(t);
    }
  });
});
