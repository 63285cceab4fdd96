/**
 * A statement as an Excel workbook (exceljs): numbers are number cells, dates are date cells, so a
 * spreadsheet sums and filters them without conversion. Sheets: the lines (then adjustments and a
 * totals row), the devices (online minutes and units per usage line), and a summary.
 */
import ExcelJS from 'exceljs';
import { unitLabel } from './format.ts';
import type { DocumentContent } from './model.ts';
import type { Lang } from './words.ts';
import { addDays } from '../../rating/time.ts';

const H = {
  ru: {
    lines: 'Строки',
    devices: 'Устройства',
    summary: 'Сводка',
    lineCols: ['№', 'Вид', 'Наименование', 'Тариф', 'Первый день', 'Последний день', 'Количество', 'Ед.', 'Цена', 'Сумма без НДС', 'Ставка НДС, %', 'НДС', 'Всего', 'Валюта'],
    total: 'Итого',
    deviceCols: ['Устройство', 'Минут онлайн', 'в т. ч. по времени приёма'],
    units: (no: number) => `Единицы, стр. ${no}`,
    summaryRows: ['Лицевой счёт', 'Клиент', 'Начало периода', 'Конец периода', 'Статус', 'Закрыт', 'Валюта', 'Сумма без НДС', 'НДС', 'Всего'],
    status: { draft: 'черновик', closed: 'закрыт' },
  },
  en: {
    lines: 'Lines',
    devices: 'Devices',
    summary: 'Summary',
    lineCols: ['No.', 'Kind', 'Description', 'Tariff', 'First day', 'Last day', 'Quantity', 'Unit', 'Price', 'Net', 'VAT rate, %', 'VAT', 'Gross', 'Currency'],
    total: 'Total',
    deviceCols: ['Device', 'Online minutes', 'of which by receive time'],
    units: (no: number) => `Units, line ${no}`,
    summaryRows: ['Account', 'Customer', 'Period start', 'Period end', 'Status', 'Closed', 'Currency', 'Net', 'VAT', 'Gross'],
    status: { draft: 'draft', closed: 'closed' },
  },
} as const;

/** A local date (YYYY-MM-DD) as a date cell: midnight UTC, which Excel shows as that date. */
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const num = (s: string) => Number(s);
const DATE_FMT: { readonly [L in Lang]: string } = { ru: 'dd.mm.yyyy', en: 'yyyy-mm-dd' };
const MONEY_FMT = '#,##0.00';

export async function renderXlsx(c: DocumentContent): Promise<Buffer> {
  const h = H[c.lang];
  const s = c.statement;
  const wb = new ExcelJS.Workbook();
  wb.creator = 'fleetmeter';
  wb.created = s.closedAt !== null ? new Date(s.closedAt) : day(c.date);

  const lines = wb.addWorksheet(h.lines, { views: [{ state: 'frozen', ySplit: 1 }] });
  lines.columns = h.lineCols.map((header, i) => ({ header, width: [5, 10, 60, 14, 12, 12, 11, 7, 10, 14, 10, 12, 14, 8][i] }));
  for (const l of c.lines) {
    lines.addRow([l.no, l.kind, l.description, l.tariffId, day(l.firstDay), day(l.lastDay), num(l.quantity), l.unit === null ? null : unitLabel(l.unit, c.lang), l.price === null ? null : num(l.price), num(l.net), num(l.vatRate), num(l.vat), num(l.gross), s.currency]);
  }
  const totalRow = lines.addRow([null, null, h.total, null, null, null, null, null, null, num(s.totals.amount), null, num(s.totals.vat), num(s.totals.total), s.currency]);
  totalRow.font = { bold: true };
  lines.getRow(1).font = { bold: true };
  for (const col of [5, 6]) lines.getColumn(col).numFmt = DATE_FMT[c.lang];
  for (const col of [9, 10, 12, 13]) lines.getColumn(col).numFmt = MONEY_FMT;

  const devices = wb.addWorksheet(h.devices, { views: [{ state: 'frozen', ySplit: 1 }] });
  const usage = c.lines.filter((l) => l.kind === 'usage');
  devices.columns = [...h.deviceCols, ...usage.map((l) => h.units(l.no))].map((header, i) => ({ header, width: i === 0 ? 24 : 16 }));
  for (const d of s.devices) {
    const units = new Map(d.units.map((u) => [u.ref, u.quantity]));
    devices.addRow([d.deviceId, d.onlineMinutes, d.implausibleMinutes, ...usage.map((l) => (units.has(l.ref) ? num(units.get(l.ref)!) : 0))]);
  }
  devices.getRow(1).font = { bold: true };

  const summary = wb.addWorksheet(h.summary);
  summary.columns = [{ width: 20 }, { width: 40 }];
  const values: (string | number | Date | null)[] = [s.accountId, c.customer.requisites?.legalName ?? c.customer.name, day(s.period.from), day(addDays(s.period.to, -1)), h.status[s.status], s.closedAt === null ? null : new Date(s.closedAt), s.currency, num(s.totals.amount), num(s.totals.vat), num(s.totals.total)];
  h.summaryRows.forEach((label, i) => {
    const r = summary.addRow([label, values[i]]);
    const v = values[i];
    if (v instanceof Date) r.getCell(2).numFmt = i === 5 ? `${DATE_FMT[c.lang]} hh:mm` : DATE_FMT[c.lang];
    else if (typeof v === 'number') r.getCell(2).numFmt = MONEY_FMT;
  });

  return Buffer.from(await wb.xlsx.writeBuffer());
}
