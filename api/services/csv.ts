/**
 * A statement as CSV for 1C and spreadsheets: UTF-8 with a byte-order mark (so Excel reads
 * Cyrillic names right), CRLF line ends, RFC 4180 quoting, `;` as separator by default. One row
 * per line, then adjustments, then a `total` row.
 *
 * Dialects: `standard` (decimal point; `;`, `,` or tab) and `1c` — for 1C and Excel in a Russian
 * locale: `;`, decimal comma (with a point, Excel-RU reads `1.05` as a date), and the inclusive
 * last day of the period and of each line next to the exclusive ends (`period_last_day`,
 * `last_day`: a 1C document or an invoice says "по 31.05.2024", not "до 01.06.2024").
 *
 * Formula guard: a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
 * return as a formula (DDE/CSV injection). Text cells (names, ids, refs) starting with one get a
 * leading `'`. Numeric cells are not guarded — a negative amount must stay a number — and cannot
 * carry a formula: a cell is numeric only if it is a plain decimal (`-?digits[.digits]`); anything
 * else goes through the text path and its guard.
 */
import type { StatementDoc } from '../../rating/statement.ts';
import { addDays } from '../../rating/time.ts';

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

/** The two inclusive-end columns of the `1c` dialect, each right after the exclusive end it restates. */
export const CSV_COLUMNS_1C = CSV_COLUMNS.flatMap((c) => (c === 'period_to' ? [c, 'period_last_day'] : c === 'to' ? [c, 'last_day'] : [c]));

export interface CsvOptions {
  readonly separator: ';' | ',' | '\t';
  readonly decimalComma: boolean;
  /** Add the inclusive last days (`period_last_day`, `last_day`). */
  readonly inclusiveEnds?: boolean;
}

/** `1c`: what 1C and Russian-locale Excel read as numbers and dates. */
export const CSV_1C: CsvOptions = { separator: ';', decimalComma: true, inclusiveEnds: true };

/** What a spreadsheet would start evaluating as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;

type Cell = { readonly text: string } | { readonly number: string } | null;
const text = (t: string): Cell => ({ text: t });
const num = (n: string): Cell => ({ number: n });

function cell(c: Cell, o: CsvOptions): string {
  if (c === null) return '';
  let s: string;
  if ('number' in c && PLAIN_DECIMAL.test(c.number)) s = o.decimalComma ? c.number.replace('.', ',') : c.number;
  else {
    const t = 'number' in c ? c.number : c.text;
    s = FORMULA_START.test(t) ? `'${t}` : t;
  }
  return s.includes(o.separator) || s.includes('"') || s.includes('\n') || s.includes('\r') || (o.decimalComma && o.separator === ',' && s.includes(',')) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function statementCsv(doc: StatementDoc, o: CsvOptions): string {
  const incl = o.inclusiveEnds === true;
  /** An exclusive end date, and with inclusive ends the day before it. */
  const end = (to: string | null): Cell[] => (to === null ? (incl ? [null, null] : [null]) : incl ? [text(to), text(addDays(to, -1))] : [text(to)]);
  const head = [text(doc.accountId), text(doc.accountName), text(doc.period.from), ...end(doc.period.to), text(doc.status)];
  const rows: Cell[][] = [];
  for (const l of doc.lines) {
    const unitPrice = l.pricing !== null && l.pricing.model === 'per-unit' ? num(l.pricing.unitPrice) : null;
    rows.push([...head, text(l.kind), text(l.ref), text(l.tariffId), text(l.tariffName), num(String(l.tariffVersion)), text(l.segment.from), ...end(l.segment.to), text(l.unit), num(l.quantity), unitPrice, num(l.amount), num(l.vatRate), num(l.vat), num(l.total), text(doc.currency)]);
  }
  for (const a of doc.adjustments) {
    rows.push([...head, text('adjustment'), text(a.ref), text(a.tariffId), null, num(String(a.tariffVersion)), text(a.originalPeriod.from), ...end(a.originalPeriod.to), text(a.unit), num(a.quantity), null, num(a.amount), num(a.vatRate), num(a.vat), num(a.total), text(doc.currency)]);
  }
  rows.push([...head, text('total'), null, null, null, null, null, ...end(null), null, null, null, num(doc.totals.amount), null, num(doc.totals.vat), num(doc.totals.total), text(doc.currency)]);
  const lines = [(incl ? CSV_COLUMNS_1C : CSV_COLUMNS).join(o.separator), ...rows.map((r) => r.map((c) => cell(c, o)).join(o.separator))];
  return CSV_BOM + lines.join('\r\n') + '\r\n';
}
