/** Statements: list, one (JSON or CSV), close a period, and a billing run over every account. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { plugin } from '../plugin.ts';
import { actorOf } from '../plugins/auth.ts';
import { CSV_1C, statementCsv } from '../services/csv.ts';
import { PDF_TYPE, XLSX_TYPE } from '../services/documents.ts';
import { periodText } from '../services/period.ts';
import { AccountParams } from '../schemas/accounts.ts';
import { responses } from '../schemas/common.ts';
import { BillingRunQuery, StatementDoc, StatementListQuery, StatementPage, StatementParams, StatementQuery } from '../schemas/statements.ts';

const JSON_TYPE = 'application/json; charset=utf-8';
const SEPARATORS = { semicolon: ';', comma: ',', tab: '\t' } as const;

function wantsCsv(req: FastifyRequest, format: string | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  const accept = req.headers.accept ?? '';
  return /\btext\/csv\b/.test(accept) && !/\bapplication\/json\b/.test(accept);
}

export const statementRoutes = plugin(
  async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = app.services;
    const tags = ['statements'];

    app.get(
      '/v1/accounts/:accountId/statements',
      {
        config: { scope: 'read' },
        schema: { tags, summary: 'Closed statements and live drafts of an account, with totals (newest first)', params: AccountParams, querystring: StatementListQuery, response: responses({ 200: StatementPage }, 404) },
      },
      async (req) => {
        const { limit, cursor, sort, ...filter } = req.query;
        const page = await s.statements.list(req.params.accountId, filter, { limit, cursor, sort });
        // Payment states of closed statements, suspended days of every period (docs/billing.md).
        return { ...page, items: await s.billing.annotateStatements(req.params.accountId, page.items) };
      },
    );

    app.get(
      '/v1/accounts/:accountId/statements/:period',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'One statement: the frozen snapshot if closed, else the live draft; canonical JSON, CSV, the invoice or act as PDF, or an XLSX workbook',
          description:
            'JSON is served byte for byte as hashed (ETag = SHA-256). CSV is UTF-8 with BOM, CRLF, `;`-separated by default; `dialect=1c` for 1C and Russian-locale Excel (decimal comma, inclusive last days). `format=pdf` is the invoice (`document=act`: the act), numbered once the statement is closed, a draft marked on every page; `format=xlsx` a workbook. `lang=en` for English (docs/documents.md). PDF needs the provider configured (409 `FM_DOCUMENTS_NO_PROVIDER` otherwise).',
          params: StatementParams,
          querystring: StatementQuery,
          response: responses(
            {
              200: {
                description: 'the statement',
                content: {
                  'application/json': { schema: StatementDoc },
                  'text/csv': { schema: Type.String() },
                  [PDF_TYPE]: { schema: Type.String({ format: 'binary' }) },
                  [XLSX_TYPE]: { schema: Type.String({ format: 'binary' }) },
                },
              } as never,
            },
            404,
            409,
          ),
        },
      },
      async (req, reply) => {
        const r = await s.statements.get(req.params.accountId, req.params.period);
        reply.header('etag', `"${r.hash}"`).header('x-statement-status', r.status);
        const format = req.query.format;
        if (format === 'pdf' || format === 'xlsx') {
          const lang = req.query.lang ?? 'ru';
          const file = format === 'pdf' ? await s.documents.pdf(r, req.query.document ?? 'invoice', lang) : await s.documents.xlsx(r, lang);
          // The ETag names the statement; a document's bytes differ by kind and language.
          reply.removeHeader('etag');
          if (file.number !== null) reply.header('x-document-number', String(file.number));
          return reply.type(file.contentType).header('content-disposition', `attachment; filename="${file.filename}"`).send(file.bytes);
        }
        if (wantsCsv(req, req.query.format)) {
          const q = req.query;
          const base = q.dialect === '1c' ? CSV_1C : { separator: ';' as const, decimalComma: false, inclusiveEnds: false };
          const csv = statementCsv(r.doc, {
            separator: q.separator === undefined ? base.separator : SEPARATORS[q.separator],
            decimalComma: q.decimal === undefined ? base.decimalComma : q.decimal === 'comma',
            inclusiveEnds: base.inclusiveEnds,
          });
          const name = `statement-${r.doc.accountId}-${periodText(r.doc.period)}.csv`.replace(/[^A-Za-z0-9._-]/g, '_');
          return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(csv as never);
        }
        return reply.type(JSON_TYPE).send(r.json as never);
      },
    );

    app.post(
      '/v1/accounts/:accountId/statements/:period/close',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Close a period: freeze the draft (with its adjustments) as the statement, forever',
          description: 'The period must have ended in the account\'s zone, not be closed yet, and start where the last closed one ended (409 otherwise, with details.reason).',
          params: StatementParams,
          response: responses({ 201: StatementDoc }, 404, 409, 422),
        },
      },
      async (req, reply) => {
        const r = await s.statements.close(req.params.accountId, req.params.period, actorOf(req));
        return reply.code(201).type(JSON_TYPE).header('etag', `"${r.hash}"`).send(r.json as never);
      },
    );

    app.get(
      '/v1/statements',
      {
        config: { scope: 'read' },
        schema: { tags, summary: 'A billing run: every account\'s statement for one period, with totals, a page of accounts at a time', querystring: BillingRunQuery, response: responses({ 200: StatementPage }) },
      },
      async (req) => {
        const { limit, cursor, sort, period, status } = req.query;
        return s.statements.run(period, status, { limit, cursor, sort });
      },
    );
  },
  { name: 'fleetmeter-routes-statements', dependencies: ['fleetmeter-services', 'fleetmeter-auth', 'fleetmeter-errors'], encapsulate: true },
);
