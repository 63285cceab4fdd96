/**
 * The invoice (счёт на оплату) and the act of services rendered (акт) as PDF, with pdfkit and the
 * DejaVu Sans font shipped in the `dejavu-fonts-ttf` package (Cyrillic; no system fonts). A4, one
 * table of lines, totals, the total in words, signatures, then an appendix: units per device.
 * A draft carries "ЧЕРНОВИК" / "DRAFT" across every page and no number.
 */
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import { formatMoney, formatNumber, longDate, shortDate, unitLabel } from './format.ts';
import type { DocumentContent, DocumentLine } from './model.ts';
import { addDays } from '../../rating/time.ts';
import { amountInWords, type Lang } from './words.ts';

const require = createRequire(import.meta.url);
const FONT = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const FONT_BOLD = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');

const L = {
  ru: {
    invoice: 'Счёт на оплату',
    act: 'Акт об оказании услуг',
    no: '№',
    of: 'от',
    draft: 'ЧЕРНОВИК',
    draftNote: 'ЧЕРНОВИК: период не закрыт, документ не выставлен, суммы могут измениться',
    bank: 'Банк получателя',
    bic: 'БИК',
    corr: 'Корр. счёт',
    payee: 'Получатель',
    innKpp: 'ИНН / КПП',
    settlement: 'Расчётный счёт',
    supplier: 'Поставщик',
    executor: 'Исполнитель',
    buyer: 'Покупатель',
    customer: 'Заказчик',
    basis: 'Основание',
    contract: 'Договор',
    account: 'лицевой счёт',
    period: 'Период оказания услуг',
    due: 'Оплатить до',
    inn: 'ИНН',
    kpp: 'КПП',
    phone: 'тел.',
    cols: ['№', 'Наименование', 'Кол-во', 'Ед.', 'Цена', 'Сумма без НДС', 'НДС, %', 'НДС', 'Всего'],
    service: 'усл.',
    net: 'Итого без НДС',
    vat: 'НДС',
    total: 'Всего к оплате',
    actTotal: 'Итого с НДС',
    count: (n: number, total: string, cur: string) => `Всего наименований ${n}, на сумму ${total} ${cur}`,
    actCount: (n: number, total: string, vat: string, cur: string) => `Всего оказано услуг ${n}, на сумму ${total} ${cur}, в том числе НДС ${vat} ${cur}`,
    actStatement: 'Вышеперечисленные услуги выполнены полностью и в срок. Заказчик претензий по объёму, качеству и срокам оказания услуг не имеет.',
    director: 'Генеральный директор',
    accountant: 'Главный бухгалтер',
    sign: 'подпись',
    appendix: (what: string) => `Приложение: детализация по устройствам к документу «${what}»`,
    devCols: ['Устройство', 'Минут онлайн', 'в т. ч. по времени приёма', 'Единицы по строкам'],
    line: 'стр.',
    page: (i: number, n: number) => `Стр. ${i} из ${n}`,
    noDevices: 'Устройств за период не было.',
  },
  en: {
    invoice: 'Invoice',
    act: 'Act of services rendered',
    no: 'No.',
    of: 'of',
    draft: 'DRAFT',
    draftNote: 'DRAFT: the period is not closed, the document is not issued, figures may change',
    bank: 'Payee\'s bank',
    bic: 'BIC',
    corr: 'Correspondent account',
    payee: 'Payee',
    innKpp: 'INN / KPP',
    settlement: 'Settlement account',
    supplier: 'Supplier',
    executor: 'Provider',
    buyer: 'Buyer',
    customer: 'Customer',
    basis: 'Basis',
    contract: 'Contract',
    account: 'account',
    period: 'Service period',
    due: 'Payable by',
    inn: 'INN',
    kpp: 'KPP',
    phone: 'tel.',
    cols: ['#', 'Description', 'Qty', 'Unit', 'Price', 'Net', 'VAT, %', 'VAT', 'Gross'],
    service: 'svc',
    net: 'Total net',
    vat: 'VAT',
    total: 'Total due',
    actTotal: 'Total incl. VAT',
    count: (n: number, total: string, cur: string) => `Items: ${n}, amounting to ${total} ${cur}`,
    actCount: (n: number, total: string, vat: string, cur: string) => `Services rendered: ${n}, amounting to ${total} ${cur}, including VAT ${vat} ${cur}`,
    actStatement: 'The services above have been rendered in full and on time. The customer has no claims as to their scope, quality or timing.',
    director: 'Director',
    accountant: 'Chief accountant',
    sign: 'signature',
    appendix: (what: string) => `Appendix: units per device to "${what}"`,
    devCols: ['Device', 'Online minutes', 'of which by receive time', 'Units per line'],
    line: 'line',
    page: (i: number, n: number) => `Page ${i} of ${n}`,
    noDevices: 'No devices in the period.',
  },
} as const;

type Doc = PDFKit.PDFDocument;
const MARGIN = 40;
const PAGE_W = 595.28;
const CONTENT_W = PAGE_W - 2 * MARGIN;

interface Column {
  readonly header: string;
  readonly width: number;
  readonly align: 'left' | 'right' | 'center';
}

/** A table with a repeated header; rows grow to fit wrapped text; a new page when one does not fit. */
function table(doc: Doc, columns: readonly Column[], rows: readonly (readonly string[])[], fontSize = 7.5): void {
  const pad = 3;
  const bottom = () => doc.page.height - doc.page.margins.bottom - 20;
  const heightOf = (cells: readonly string[], bold: boolean) => {
    doc.font(bold ? 'bold' : 'regular').fontSize(fontSize);
    return Math.max(...cells.map((c, i) => doc.heightOfString(c || ' ', { width: columns[i].width - 2 * pad }))) + 2 * pad;
  };
  const drawRow = (cells: readonly string[], bold: boolean, fill: string | null) => {
    const h = heightOf(cells, bold);
    if (doc.y + h > bottom()) {
      doc.addPage();
      if (!bold) drawRow(columns.map((c) => c.header), true, '#eeeeee');
    }
    const y = doc.y;
    let x = MARGIN;
    doc.font(bold ? 'bold' : 'regular').fontSize(fontSize);
    cells.forEach((c, i) => {
      const w = columns[i].width;
      if (fill !== null) doc.rect(x, y, w, h).fillAndStroke(fill, '#000000');
      else doc.rect(x, y, w, h).stroke('#000000');
      doc.fillColor('#000000').text(c, x + pad, y + pad, { width: w - 2 * pad, align: columns[i].align, lineBreak: true });
      x += w;
    });
    doc.x = MARGIN;
    doc.y = y + h;
  };
  doc.lineWidth(0.5);
  drawRow(columns.map((c) => c.header), true, '#eeeeee');
  for (const r of rows) drawRow(r, false, null);
}

function para(doc: Doc, text: string, o: { bold?: boolean; size?: number; gap?: number; align?: 'left' | 'right' | 'center' } = {}): void {
  doc.font(o.bold ? 'bold' : 'regular').fontSize(o.size ?? 9).fillColor('#000000');
  doc.text(text, MARGIN, doc.y, { width: CONTENT_W, align: o.align ?? 'left' });
  doc.y += o.gap ?? 2;
}

/** "Name, ИНН …, КПП …, address, тел. …" from whatever is known. */
function party(name: string, r: { inn?: string; kpp?: string; address?: string; phone?: string } | null, lang: Lang): string {
  const t = L[lang];
  const parts = [name];
  if (r?.inn) parts.push(`${t.inn} ${r.inn}`);
  if (r?.kpp) parts.push(`${t.kpp} ${r.kpp}`);
  if (r?.address) parts.push(r.address);
  if (r?.phone) parts.push(`${t.phone} ${r.phone}`);
  return parts.join(', ');
}

function lineRow(l: DocumentLine, lang: Lang): string[] {
  return [
    String(l.no),
    l.description,
    formatNumber(l.quantity, lang),
    l.unit === null ? L[lang].service : unitLabel(l.unit, lang),
    l.price === null ? '—' : formatMoney(l.price, lang),
    formatMoney(l.net, lang),
    `${formatNumber(l.vatRate, lang)}%`,
    formatMoney(l.vat, lang),
    formatMoney(l.gross, lang),
  ];
}

/** Title line: "Счёт на оплату № 12 от 1 июня 2024 г." (a draft: no number). */
export function documentTitle(c: DocumentContent): string {
  const t = L[c.lang];
  const name = c.kind === 'invoice' ? t.invoice : t.act;
  const no = c.number === null ? `(${t.draft})` : `${t.no} ${c.number}`;
  return `${name} ${no} ${t.of} ${longDate(c.date, c.lang)}`;
}

export async function renderPdf(c: DocumentContent): Promise<Buffer> {
  const t = L[c.lang];
  const s = c.statement;
  const cur = s.currency;
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    info: { Title: documentTitle(c), Author: c.provider?.name ?? 'fleetmeter', Creator: 'fleetmeter', CreationDate: new Date(`${c.date}T00:00:00Z`) },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (b: Buffer) => chunks.push(b));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('regular', FONT);
  doc.registerFont('bold', FONT_BOLD);
  doc.font('regular');

  if (c.draft) {
    doc.font('bold').fontSize(10).fillColor('#c00000').text(t.draftNote, MARGIN, doc.y, { width: CONTENT_W, align: 'center' });
    doc.fillColor('#000000');
    doc.y += 6;
  }

  const p = c.provider;
  const name = p?.name ?? '—';
  // Payment details for the bank transfer (invoice only).
  if (c.kind === 'invoice' && p !== null) {
    table(
      doc,
      [
        { header: t.bank, width: 160, align: 'left' },
        { header: p.bankName, width: CONTENT_W - 160, align: 'left' },
      ],
      [
        [t.bic, p.bic],
        [t.corr, p.correspondentAccount],
        [t.payee, p.name],
        [t.innKpp, `${p.inn} / ${p.kpp ?? '—'}`],
        [t.settlement, p.settlementAccount],
      ],
      8.5,
    );
    doc.y += 12;
  }

  para(doc, documentTitle(c), { bold: true, size: 14, gap: 2 });
  if (c.kind === 'act') para(doc, `${t.period}: ${shortDate(s.period.from, c.lang)}–${shortDate(addDays(s.period.to, -1), c.lang)}`, { size: 9, gap: 4 });
  doc.moveTo(MARGIN, doc.y).lineTo(MARGIN + CONTENT_W, doc.y).lineWidth(1.5).stroke('#000000');
  doc.y += 8;

  const cust = c.customer.requisites;
  para(doc, `${c.kind === 'invoice' ? t.supplier : t.executor}: ${party(name, p, c.lang)}`, { gap: 4 });
  para(doc, `${c.kind === 'invoice' ? t.buyer : t.customer}: ${party(cust?.legalName ?? c.customer.name, cust ?? null, c.lang)}`, { gap: 4 });
  para(doc, `${t.basis}: ${c.contractRef !== null ? `${t.contract} ${c.contractRef}` : `${t.account} ${s.accountId}`}`, { gap: 4 });
  if (c.kind === 'invoice') {
    para(doc, `${t.period}: ${shortDate(s.period.from, c.lang)}–${shortDate(addDays(s.period.to, -1), c.lang)}`, { gap: 4 });
    if (c.dueDate !== null) para(doc, `${t.due}: ${longDate(c.dueDate, c.lang)}`, { gap: 4 });
  }
  doc.y += 6;

  const cols: Column[] = [
    { header: t.cols[0], width: 20, align: 'center' },
    { header: t.cols[1], width: 167, align: 'left' },
    { header: t.cols[2], width: 44, align: 'right' },
    { header: t.cols[3], width: 30, align: 'center' },
    { header: `${t.cols[4]}, ${cur}`, width: 48, align: 'right' },
    { header: `${t.cols[5]}, ${cur}`, width: 58, align: 'right' },
    { header: t.cols[6], width: 32, align: 'right' },
    { header: `${t.cols[7]}, ${cur}`, width: 52, align: 'right' },
    { header: `${t.cols[8]}, ${cur}`, width: CONTENT_W - 451, align: 'right' },
  ];
  table(doc, cols, c.lines.map((l) => lineRow(l, c.lang)));
  doc.y += 6;

  const totals: [string, string][] = [
    [t.net, s.totals.amount],
    [t.vat, s.totals.vat],
    [c.kind === 'invoice' ? t.total : t.actTotal, s.totals.total],
  ];
  for (const [label, v] of totals) para(doc, `${label}: ${formatMoney(v, c.lang)} ${cur}`, { bold: true, align: 'right', gap: 1 });
  doc.y += 8;
  const total = formatMoney(s.totals.total, c.lang);
  para(doc, c.kind === 'invoice' ? t.count(c.lines.length, total, cur) : t.actCount(c.lines.length, total, formatMoney(s.totals.vat, c.lang), cur), { gap: 2 });
  para(doc, amountInWords(s.totals.total, cur, c.lang), { bold: true, gap: 8 });
  if (c.kind === 'act') para(doc, t.actStatement, { gap: 10 });
  doc.moveTo(MARGIN, doc.y).lineTo(MARGIN + CONTENT_W, doc.y).lineWidth(1.5).stroke('#000000');
  doc.y += 18;

  // Signatures.
  const position = p?.signatoryPosition ?? t.director;
  const sigLine = (role: string, who: string) => `${role}  ________________  /${who}/`;
  if (doc.y + 60 > doc.page.height - MARGIN - 20) doc.addPage();
  if (c.kind === 'invoice') {
    para(doc, sigLine(position, p?.signatoryName ?? ''), { gap: 14 });
    if (p?.accountantName) para(doc, sigLine(t.accountant, p.accountantName), { gap: 14 });
  } else {
    const y = doc.y;
    doc.font('bold').fontSize(9).text(`${t.executor}:`, MARGIN, y, { width: CONTENT_W / 2 - 10 });
    doc.font('regular').text(`${name}\n${position}\n\n________________  /${p?.signatoryName ?? ''}/`, { width: CONTENT_W / 2 - 10 });
    const yLeft = doc.y;
    doc.font('bold').text(`${t.customer}:`, MARGIN + CONTENT_W / 2 + 10, y, { width: CONTENT_W / 2 - 10 });
    doc.font('regular').text(`${cust?.legalName ?? c.customer.name}\n\n\n________________  /                    /`, { width: CONTENT_W / 2 - 10 });
    doc.y = Math.max(yLeft, doc.y) + 10;
  }

  // Appendix: units per device.
  doc.addPage();
  para(doc, t.appendix(documentTitle(c)), { bold: true, size: 11, gap: 8 });
  const lineNo = new Map(c.lines.map((l) => [l.ref, l]));
  if (s.devices.length === 0) para(doc, t.noDevices);
  else {
    table(
      doc,
      [
        { header: t.devCols[0], width: 140, align: 'left' },
        { header: t.devCols[1], width: 80, align: 'right' },
        { header: t.devCols[2], width: 90, align: 'right' },
        { header: t.devCols[3], width: CONTENT_W - 310, align: 'left' },
      ],
      s.devices.map((d) => [
        d.deviceId,
        formatNumber(String(d.onlineMinutes), c.lang),
        formatNumber(String(d.implausibleMinutes), c.lang),
        d.units
          .map((u) => {
            const l = lineNo.get(u.ref);
            return l === undefined ? `${formatNumber(u.quantity, c.lang)}` : `${t.line} ${l.no}: ${formatNumber(u.quantity, c.lang)} ${l.unit === null ? '' : unitLabel(l.unit, c.lang)}`.trim();
          })
          .join('; '),
      ]),
    );
  }

  // Every page: the draft mark across it, the page number at its foot.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottomMargin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing into the margin must not open a new page
    if (c.draft) {
      doc.save();
      doc.rotate(-35, { origin: [PAGE_W / 2, doc.page.height / 2] });
      doc.font('bold').fontSize(80).fillColor('#d00000').fillOpacity(0.15);
      const w = doc.widthOfString(t.draft);
      doc.text(t.draft, (PAGE_W - w) / 2, doc.page.height / 2 - 40, { lineBreak: false });
      doc.restore();
      doc.fillOpacity(1);
    }
    doc.font('regular').fontSize(7).fillColor('#555555');
    doc.text(t.page(i - range.start + 1, range.count), MARGIN, doc.page.height - 28, { width: CONTENT_W, align: 'right', lineBreak: false });
    doc.fillColor('#000000');
    doc.page.margins.bottom = bottomMargin;
  }
  doc.end();
  return done;
}
