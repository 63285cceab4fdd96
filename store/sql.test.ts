import { describe, expect, it } from 'vitest';
import { sqlDate, sqlDateTime, sqlIdent, sqlNumber, sqlString, sqlStringList } from './sql.ts';

describe('SQL text helpers', () => {
  it('escapes quotes and backslashes in string literals', () => {
    expect(sqlString("it's")).toBe("'it\\'s'");
    expect(sqlString('a\\b')).toBe("'a\\\\b'");
    expect(sqlString("\\'; DROP TABLE x; --")).toBe("'\\\\\\'; DROP TABLE x; --'");
    expect(sqlString('Привет')).toBe("'Привет'");
  });
  it('accepts only plain identifiers', () => {
    expect(sqlIdent('records_v1')).toBe('records_v1');
    expect(() => sqlIdent('x; DROP')).toThrow();
    expect(() => sqlIdent('1abc')).toThrow();
  });
  it('formats numbers, dates and times', () => {
    expect(sqlNumber(12)).toBe('12');
    expect(sqlNumber(18446744073709551615n)).toBe('18446744073709551615');
    expect(() => sqlNumber(NaN)).toThrow();
    expect(sqlDate('2026-03-29')).toBe("toDate('2026-03-29')");
    expect(() => sqlDate("2026-03-29'")).toThrow();
    expect(sqlDateTime(1_700_000_000_999)).toBe("toDateTime(1700000000, 'UTC')");
  });
  it('builds IN lists, never an empty one', () => {
    expect(sqlStringList(['a', "b'"])).toBe("('a', 'b\\'')");
    expect(sqlStringList([])).toBe("('\\0')");
  });
});
