/**
 * Document numbers: each issued invoice and act gets the next number of its provider (by INN),
 * kind and year (of the document's date), 1, 2, 3, … — issued on the first render of a closed
 * statement's document and stable from then on: `document_numbers` keeps it, every later render
 * reads it back. Drafts get none.
 *
 * Uniqueness is decided by claims (store/claims.ts), never by a cached check, so two gateway
 * instances can never issue one number twice, nor two numbers for one document:
 * 1. the document itself is claimed (`document/<provider>/<kind>/<account>/<from>..<to>`): only
 *    the winner allocates; a concurrent render of the same document waits for the winner's row;
 * 2. the winner claims `document-number/<provider>/<kind>/<year>/<n>` for n = the highest stored
 *    number + 1, + 2, … until it wins one (a number another document holds is skipped), then
 *    writes the row.
 * A process that dies between the two steps leaves a claimed number unused; the next render of
 * the same document adopts it once the claim is stale (`claimStaleMs`). A number another document
 * claimed and never wrote is a gap, not a duplicate.
 */
import { Claims } from '../../store/claims.ts';
import { sqlString } from '../../store/sql.ts';
import type { Migration, Store } from '../../store/types.ts';
import { ApiError } from '../errors.ts';

export const DOCUMENT_KINDS = ['invoice', 'act'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export const DOCUMENT_NUMBERS_TABLE = 'document_numbers';

export const numberingMigrations: readonly Migration[] = [
  {
    id: '0205_document_numbers',
    statements: [
      `CREATE TABLE IF NOT EXISTS ${DOCUMENT_NUMBERS_TABLE} (
        provider String,
        kind String,
        year UInt16,
        number UInt32,
        account_id String,
        period_from String,
        period_to String,
        document_date String,
        issued_ts Int64
      ) ENGINE = MergeTree() ORDER BY (provider, kind, year, number)`,
    ],
  },
];

/** Which document: a provider's invoice or act for one account's statement period. */
export interface DocumentRef {
  readonly provider: string;
  readonly kind: DocumentKind;
  readonly accountId: string;
  readonly period: { readonly from: string; readonly to: string };
  /** The document's date (YYYY-MM-DD): its year picks the sequence. */
  readonly date: string;
}

export interface IssuedNumber {
  readonly number: number;
  readonly year: number;
  /** The date it was issued with (the first render's; later renders keep it). */
  readonly date: string;
}

interface Row {
  number: string | number;
  year: string | number;
  document_date: string;
}

const docKey = (r: DocumentRef) => `document/${r.provider}/${r.kind}/${r.accountId}/${r.period.from}..${r.period.to}`;
const docIntent = (r: DocumentRef) => `${r.accountId}/${r.period.from}..${r.period.to}`;

export class DocumentNumbers {
  constructor(
    private readonly store: Store,
    private readonly claims: Claims,
    private readonly now: () => number = Date.now,
  ) {}

  /** The number already issued to this document, or null. */
  async find(r: Omit<DocumentRef, 'date'>): Promise<IssuedNumber | null> {
    const rows = await this.store.query<Row>(
      `SELECT number, year, document_date FROM ${DOCUMENT_NUMBERS_TABLE} WHERE provider = ${sqlString(r.provider)} AND kind = ${sqlString(r.kind)} AND account_id = ${sqlString(r.accountId)} AND period_from = ${sqlString(r.period.from)} AND period_to = ${sqlString(r.period.to)} ORDER BY issued_ts, number LIMIT 1`,
    );
    return rows.length === 0 ? null : { number: Number(rows[0].number), year: Number(rows[0].year), date: rows[0].document_date };
  }

  /** This document's number: the stored one, else the next free one of its provider, kind and year (issued now, for good). */
  async issue(r: DocumentRef): Promise<IssuedNumber> {
    const found = await this.find(r);
    if (found !== null) return found;
    const d = await this.claims.decide(docKey(r), 'issue', async () => (await this.find(r)) !== null);
    if (d.kind === 'same') return (await this.find(r))!;
    if (d.kind !== 'write') throw new ApiError('FM_ERR_UNAVAILABLE', `${r.kind} number for ${r.accountId} ${r.period.from}..${r.period.to} is being issued by another request; retry`, { retryable: true });
    const year = Number(r.date.slice(0, 4));
    const prefix = `document-number/${r.provider}/${r.kind}/${year}/`;
    const maxRows = await this.store.query<{ n: string | number }>(
      `SELECT max(number) AS n FROM ${DOCUMENT_NUMBERS_TABLE} WHERE provider = ${sqlString(r.provider)} AND kind = ${sqlString(r.kind)} AND year = ${year}`,
    );
    const intent = docIntent(r);
    for (let n = Number(maxRows[0]?.n ?? 0) + 1; ; n++) {
      // Numbers are few per year; a lost claim moves on to the next number.
      const c = await this.claims.decide(prefix + n, intent, async () => false);
      if (c.kind === 'other') continue;
      // won, adopted (a dead attempt of this very document), or a live attempt of it (cannot be: we hold the document's claim)
      await this.store.insert(DOCUMENT_NUMBERS_TABLE, [
        { provider: r.provider, kind: r.kind, year, number: n, account_id: r.accountId, period_from: r.period.from, period_to: r.period.to, document_date: r.date, issued_ts: this.now() },
      ]);
      return { number: n, year, date: r.date };
    }
  }
}
