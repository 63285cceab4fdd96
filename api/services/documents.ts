/**
 * Payment documents of a statement (docs/documents.md): the invoice and the act as PDF, the
 * workbook as XLSX. The provider's requisites come from configuration, the customer's from the
 * account (`billing.requisites`); closed statements' documents are numbered once (numbering.ts).
 */
import { localDateOf } from '../../rating/calendar.ts';
import type { StatementResult } from '../../rating/service.ts';
import { addDays } from '../../rating/time.ts';
import { documentDate, documentLines, type DocumentContent } from '../documents/model.ts';
import type { DocumentKind, DocumentNumbers } from '../documents/numbering.ts';
import { renderPdf } from '../documents/pdf.ts';
import type { ProviderRequisites } from '../documents/requisites.ts';
import type { Lang } from '../documents/words.ts';
import { renderXlsx } from '../documents/xlsx.ts';
import { ApiError, notFound } from '../errors.ts';
import { localToday, periodText } from './period.ts';
import type { SnapshotSource } from './snapshot.ts';


export interface DocumentFile {
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly filename: string;
  /** The issued number (closed statements' PDFs); null for drafts and workbooks. */
  readonly number: number | null;
}

export const PDF_TYPE = 'application/pdf';
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

export class DocumentsService {
  constructor(
    private readonly snapshots: SnapshotSource,
    private readonly numbers: DocumentNumbers,
    /** null: not configured (`--provider-file`); PDFs are refused then. */
    readonly provider: ProviderRequisites | null,
    private readonly now: () => number = Date.now,
  ) {}

  /** What a document shows; `numbered`: issue (or read) the number of a closed statement's document. */
  async content(r: StatementResult, kind: DocumentKind, lang: Lang, numbered: boolean): Promise<DocumentContent> {
    const s = r.doc;
    const profile = (await this.snapshots.get()).profile(s.accountId);
    if (profile === undefined) throw notFound('account', s.accountId);
    const closed = r.status === 'closed' && s.closedAt !== null;
    const closedOn = closed ? localDateOf(Date.parse(s.closedAt!), s.timeZone) : null;
    let date = documentDate(kind, s, closedOn, localToday(s.timeZone, this.now()));
    let number: number | null = null;
    if (numbered && closed && this.provider !== null) {
      const issued = await this.numbers.issue({ provider: this.provider.inn, kind, accountId: s.accountId, period: s.period, date });
      number = issued.number;
      date = issued.date;
    }
    return {
      kind,
      lang,
      draft: !closed,
      number,
      date,
      dueDate: kind === 'invoice' && closedOn !== null ? addDays(closedOn, profile.billing.paymentTermDays) : null,
      provider: this.provider,
      customer: { name: profile.name, requisites: profile.billing.requisites ?? null },
      contractRef: profile.billing.contractRef,
      statement: s,
      lines: documentLines(s, lang),
    };
  }

  /** The invoice or the act as PDF. 409 (`FM_DOCUMENTS_NO_PROVIDER`) while no provider is configured. */
  async pdf(r: StatementResult, kind: DocumentKind, lang: Lang): Promise<DocumentFile> {
    if (this.provider === null) {
      throw new ApiError('FM_ERR_CONFLICT', 'payment documents need the provider\'s requisites: start the gateway with --provider-file (docs/documents.md)', { reason: 'FM_DOCUMENTS_NO_PROVIDER' });
    }
    const c = await this.content(r, kind, lang, true);
    const suffix = `${c.draft ? '-draft' : ''}${lang === 'ru' ? '' : `-${lang}`}`;
    const filename = safe(`${kind}-${c.number === null ? '' : `${c.number}-`}${r.doc.accountId}-${periodText(r.doc.period)}${suffix}.pdf`);
    return { bytes: await renderPdf(c), contentType: PDF_TYPE, filename, number: c.number };
  }

  /** The statement as a workbook (no provider needed, nothing numbered). */
  async xlsx(r: StatementResult, lang: Lang): Promise<DocumentFile> {
    const c = await this.content(r, 'invoice', lang, false);
    const filename = safe(`statement-${r.doc.accountId}-${periodText(r.doc.period)}${c.draft ? '-draft' : ''}${lang === 'ru' ? '' : `-${lang}`}.xlsx`);
    return { bytes: await renderXlsx(c), contentType: XLSX_TYPE, filename, number: null };
  }
}
