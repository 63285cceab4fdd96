/**
 * A statement as CSV for 1C and spreadsheets: UTF-8 with a byte-order mark (so Excel reads
 * Cyrillic names right), CRLF line ends, RFC 4180 quoting, `;` as separator by default (what 1C
 * and Excel read in locales whose decimal mark is a comma). One row per line, then adjustments,
 * then a `total` row. Text cells starting with = + @ get a leading apostrophe so a spreadsheet
 * never runs them as formulas.
 */
import type { StatementDoc } from '../../rating/statement.ts';

export const CSV_BOM = '\uFEFF';
export const CSV_COLUMNS = [
  'account_id',
  'account_name',
  'period_from',
  'period_to',
  'status',
  'kind',
  'ref',
  'tariff_id',
  'tariff_name',
  'tariff_version',
  'from',
  'to',
  'unit',
  'quantity',
  'unit_price',
  'amount',
  'vat_rate',
  'vat',
  'total',
  'currency',
] as const;

export interface CsvOptions {
  readonly separator: ';' | ',' | '\t';
  readonly decimalComma: boolean;
}

type Cell = { readonly text: string } | { readonly number: string } | null;
const text = (t: string): Cell => ({ text: t });
const num = (n: string): Cell => ({ number: n });

function cell(c: Cell, o: CsvOptions): string {
  if (c === null) return '';
  let s: string;
  if ('number' in c) s = o.decimalComma ? c.number.replace('.', ',') : c.number;
  else s = /^[=+@\t\r]/.test(c.text) ? `'${c.text}` : c.text;
  return s.includes(o.separator) || s.includes('"') || s.includes('\n') || s.includes('\r') || (o.decimalComma && o.separator === ',' && s.includes(',')) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function statementCsv(doc: StatementDoc, o: CsvOptions): string {
  const head = [text(doc.accountId), text(doc.accountName), text(doc.period.from), text(doc.period.to), text(doc.status)];
  const rows: Cell[][] = [];
  for (const l of doc.lines) {
    const unitPrice = l.pricing !== null && l.pricing.model === 'per-unit' ? num(l.pricing.unitPrice) : null;
    rows.push([...head, text(l.kind), text(l.ref), text(l.tariffId), text(l.tariffName), num(String(l.tariffVersion)), text(l.segment.from), text(l.segment.to), text(l.unit), num(l.quantity), unitPrice, num(l.amount), num(l.vatRate), num(l.vat), num(l.total), text(doc.currency)]);
  }
  for (const a of doc.adjustments) {
    rows.push([...head, text('adjustment'), text(a.ref), text(a.tariffId), null, num(String(a.tariffVersion)), text(a.originalPeriod.from), text(a.originalPeriod.to), text(a.unit), num(a.quantity), null, num(a.amount), num(a.vatRate), num(a.vat), num(a.total), text(doc.currency)]);
  }
  rows.push([...head, text('total'), null, null, null, null, null, null, null, null, null, num(doc.totals.amount), null, num(doc.totals.vat), num(doc.totals.total), text(doc.currency)]);
  const lines = [CSV_COLUMNS.join(o.separator), ...rows.map((r) => r.map((c) => cell(c, o)).join(o.separator))];
  return CSV_BOM + lines.join('\r\n') + '\r\n';
}
