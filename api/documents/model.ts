/**
 * The content of a payment document, built from a statement, the requisites and the issued number:
 * what the invoice, the act and the workbook show, in one language. Rendering (pdf.ts, xlsx.ts)
 * only lays this out, so every figure on a page is a statement figure, formatted.
 */
import type { AdjustmentLine, StatementDoc, StatementLine } from '../../rating/statement.ts';
import { addDays } from '../../rating/time.ts';
import type { Unit } from '../../rating/units.ts';
import type { DocumentKind } from './numbering.ts';
import type { CustomerRequisites, ProviderRequisites } from './requisites.ts';
import { shortDate } from './format.ts';
import type { Lang } from './words.ts';

export interface DocumentLine {
  /** 1, 2, … in statement order: lines, then adjustments. */
  readonly no: number;
  readonly kind: StatementLine['kind'] | 'adjustment';
  readonly description: string;
  readonly tariffId: string;
  /** Local dates, the last one inclusive. */
  readonly firstDay: string;
  readonly lastDay: string;
  readonly quantity: string;
  readonly unit: Unit | null;
  /** Price per unit as the tariff states it; null when the line has no single price (tiers). */
  readonly price: string | null;
  readonly net: string;
  readonly vatRate: string;
  readonly vat: string;
  readonly gross: string;
  /** The statement line's ref (devices' units refer to it). */
  readonly ref: string;
}

export interface DocumentContent {
  readonly kind: DocumentKind;
  readonly lang: Lang;
  readonly draft: boolean;
  /** null for a draft: drafts are not numbered. */
  readonly number: number | null;
  readonly date: string;
  /** Invoice: the payment due date (closing date + payment terms); null on the act. */
  readonly dueDate: string | null;
  readonly provider: ProviderRequisites | null;
  readonly customer: { readonly name: string; readonly requisites: CustomerRequisites | null };
  readonly contractRef: string | null;
  readonly statement: StatementDoc;
  readonly lines: readonly DocumentLine[];
}

const lastDayOf = (toExclusive: string) => addDays(toExclusive, -1);

function span(p: { from: string; to: string }, lang: Lang): string {
  return `${shortDate(p.from, lang)}–${shortDate(lastDayOf(p.to), lang)}`;
}

function describe(l: StatementLine, lang: Lang): string {
  const tariff = lang === 'ru' ? `«${l.tariffName}»` : `"${l.tariffName}"`;
  const when = span(l.segment, lang);
  if (lang === 'ru') {
    if (l.kind === 'usage') return `Услуги телематического мониторинга, тариф ${tariff}, ${when}`;
    if (l.kind === 'included') return `Единицы, включённые в тариф ${tariff}, ${when}`;
    return `Доплата до минимального платежа, тариф ${tariff}, ${when}`;
  }
  if (l.kind === 'usage') return `Telematics monitoring, tariff ${tariff}, ${when}`;
  if (l.kind === 'included') return `Units included in tariff ${tariff}, ${when}`;
  return `Top-up to the minimum charge, tariff ${tariff}, ${when}`;
}

function describeAdjustment(a: AdjustmentLine, lang: Lang): string {
  const when = span(a.originalPeriod, lang);
  return lang === 'ru' ? `Корректировка за ${when}, тариф ${a.tariffId}` : `Adjustment for ${when}, tariff ${a.tariffId}`;
}

export function documentLines(doc: StatementDoc, lang: Lang): DocumentLine[] {
  const out: DocumentLine[] = [];
  for (const l of doc.lines) {
    const price = l.kind === 'included' ? '0' : l.kind === 'minimum' ? l.amount : l.pricing !== null && l.pricing.model === 'per-unit' ? l.pricing.unitPrice : null;
    out.push({
      no: out.length + 1,
      kind: l.kind,
      description: describe(l, lang),
      tariffId: l.tariffId,
      firstDay: l.segment.from,
      lastDay: lastDayOf(l.segment.to),
      quantity: l.quantity,
      unit: l.kind === 'minimum' ? null : l.unit,
      price,
      net: l.amount,
      vatRate: l.vatRate,
      vat: l.vat,
      gross: l.total,
      ref: l.ref,
    });
  }
  for (const a of doc.adjustments) {
    out.push({
      no: out.length + 1,
      kind: 'adjustment',
      description: describeAdjustment(a, lang),
      tariffId: a.tariffId,
      firstDay: a.originalPeriod.from,
      lastDay: lastDayOf(a.originalPeriod.to),
      quantity: a.quantity,
      unit: a.unit,
      price: null,
      net: a.amount,
      vatRate: a.vatRate,
      vat: a.vat,
      gross: a.total,
      ref: a.ref,
    });
  }
  return out;
}

/**
 * Document dates (docs/documents.md): the invoice is dated the local date the statement was
 * closed (a draft: today), the act the last day of the period.
 */
export function documentDate(kind: DocumentKind, doc: StatementDoc, closedOn: string | null, today: string): string {
  if (kind === 'act') return lastDayOf(doc.period.to);
  return closedOn ?? today;
}
