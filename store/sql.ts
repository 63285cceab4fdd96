/**
 * SQL text helpers. ClickHouse 18.16 has no query parameters, so values are escaped here, in one
 * place, and every builder that uses them is unit-tested as text.
 */

/** A string literal: backslash and single quote escaped (ClickHouse string literal rules). */
export function sqlString(value: string): string {
  return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

/** An identifier (table/column/database): only [A-Za-z_][A-Za-z0-9_]* is accepted. */
export function sqlIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a safe SQL identifier: ${JSON.stringify(name)}`);
  return name;
}

/** A finite number or bigint literal. */
export function sqlNumber(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return String(value);
}

/** A `Date` literal from 'YYYY-MM-DD'. */
export function sqlDate(isoDate: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(isoDate)) throw new Error(`not a YYYY-MM-DD date: ${JSON.stringify(isoDate)}`);
  return `toDate('${isoDate}')`;
}

/** A UTC `DateTime` literal from epoch milliseconds (seconds precision). */
export function sqlDateTime(epochMs: number): string {
  return `toDateTime(${Math.floor(epochMs / 1000)}, 'UTC')`;
}

/** A list of string literals for `IN (...)`; an empty list becomes `('\0')`, which matches no id (ClickHouse rejects `IN ()`). */
export function sqlStringList(values: readonly string[]): string {
  if (values.length === 0) return "('\\0')";
  return '(' + values.map(sqlString).join(', ') + ')';
}
