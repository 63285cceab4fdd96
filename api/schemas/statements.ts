/** Statements: draft (live) and closed (frozen snapshot), JSON and CSV. */
import { Type } from 'typebox';
import { STATEMENT_PAYMENT_STATES } from '../../billing/allocation.ts';
import { UNITS } from '../../rating/units.ts';
import { IMPLAUSIBLE_TIME_POLICIES } from '../../rating/plausibility.ts';
import { Currency, DateTime, DeviceId, Id, IsoDate, Money, Period, PeriodText, Quantity, Totals, listQuery, page } from './common.ts';

export const STATEMENT_STATUSES = ['draft', 'closed'] as const;
export const STATEMENT_FORMATS = ['json', 'csv', 'pdf', 'xlsx'] as const;
export const STATEMENT_DOCUMENTS = ['invoice', 'act'] as const;
export const DOCUMENT_LANGS = ['ru', 'en'] as const;
export const CSV_SEPARATORS = ['semicolon', 'comma', 'tab'] as const;
export const CSV_DECIMALS = ['point', 'comma'] as const;
export const CSV_DIALECTS = ['standard', '1c'] as const;

const Unit = Type.Enum([...UNITS]);
const Tier = Type.Object({ tier: Type.Integer(), from: Quantity, upTo: Type.Union([Quantity, Type.Null()]), quantity: Quantity, unitPrice: Type.String(), flatFee: Type.String(), amount: Type.String() });

/** The statement document (docs/rating.md §11): served as canonical JSON, byte for byte. */
export const StatementDoc = Type.Object({
  format: Type.Literal('fleetmeter.statement/1'),
  accountId: Id('account id'),
  accountName: Type.String(),
  timeZone: Type.String(),
  currency: Currency,
  period: Period,
  status: Type.Enum([...STATEMENT_STATUSES]),
  closedAt: Type.Union([DateTime(), Type.Null()]),
  implausibleTimePolicy: Type.Enum([...IMPLAUSIBLE_TIME_POLICIES]),
  lines: Type.Array(
    Type.Object({
      kind: Type.Enum(['usage', 'included', 'minimum']),
      ref: Type.String(),
      tariffId: Type.String(),
      tariffName: Type.String(),
      tariffVersion: Type.Integer(),
      segment: Period,
      unit: Unit,
      quantity: Quantity,
      pricing: Type.Union([
        Type.Object({ model: Type.Literal('per-unit'), unitPrice: Type.String() }),
        Type.Object({ model: Type.Enum(['graduated', 'volume']), tiers: Type.Array(Tier) }),
        Type.Null(),
      ]),
      pricesIncludeVat: Type.Boolean(),
      amount: Money,
      vatRate: Type.String(),
      vat: Money,
      total: Money,
    }),
  ),
  adjustments: Type.Array(
    Type.Object({
      kind: Type.Literal('adjustment'),
      originalPeriod: Period,
      refKind: Type.Enum(['usage', 'included', 'minimum']),
      ref: Type.String(),
      tariffId: Type.String(),
      tariffVersion: Type.Integer(),
      unit: Unit,
      quantity: Quantity,
      amount: Money,
      vatRate: Type.String(),
      vat: Money,
      total: Money,
      devices: Type.Array(Type.Object({ deviceId: DeviceId, quantity: Quantity })),
    }),
  ),
  totals: Totals,
  devices: Type.Array(Type.Object({ deviceId: DeviceId, onlineMinutes: Type.Integer(), implausibleMinutes: Type.Integer(), units: Type.Array(Type.Object({ ref: Type.String(), quantity: Quantity })) })),
  warnings: Type.Array(Type.Object({ code: Type.Literal('FM_RATING_UNRATED_USAGE'), deviceId: DeviceId, from: IsoDate(), to: IsoDate(), minutes: Type.Integer() })),
});

export const StatementSummary = Type.Object({
  accountId: Id('account id'),
  accountName: Type.String(),
  period: Period,
  status: Type.Enum([...STATEMENT_STATUSES]),
  closedAt: Type.Union([DateTime(), Type.Null()]),
  currency: Currency,
  totals: Totals,
  lines: Type.Integer(),
  adjustments: Type.Integer(),
  hash: Type.String({ description: 'SHA-256 of the statement JSON (closed: of the frozen snapshot)' }),
  payment: Type.Optional(
    Type.Object(
      { state: Type.Enum([...STATEMENT_PAYMENT_STATES]), dueDate: IsoDate(), paid: Money, remaining: Money },
      { description: 'closed statements: the payment state (docs/billing.md); the full picture is GET /v1/accounts/{id}/balance' },
    ),
  ),
  suspensions: Type.Optional(Type.Array(Period, { description: 'local dates [from, to) of the period in which the account was suspended: not billed' })),
});

export const StatementParams = Type.Object({ accountId: Id('account id'), period: PeriodText });
export const StatementQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Enum([...STATEMENT_FORMATS], {
        description: 'json (default); csv (UTF-8 with BOM, for 1C and spreadsheets; an Accept: text/csv header works too); pdf (the invoice, or the act with document=act); xlsx (a workbook: lines, devices, summary). docs/documents.md',
      }),
    ),
    document: Type.Optional(Type.Enum([...STATEMENT_DOCUMENTS], { description: 'format=pdf: invoice (счёт на оплату, default) or act (акт об оказании услуг)' })),
    lang: Type.Optional(Type.Enum([...DOCUMENT_LANGS], { description: 'format=pdf or xlsx: language of the document, ru (default) or en' })),
    dialect: Type.Optional(
      Type.Enum([...CSV_DIALECTS], {
        description:
          'CSV dialect: standard (default: decimal point) or 1c — for 1C and Russian-locale Excel: `;`, decimal comma, and the inclusive last days (period_last_day, last_day) beside the exclusive ends',
      }),
    ),
    separator: Type.Optional(Type.Enum([...CSV_SEPARATORS], { description: 'CSV field separator (default semicolon, what 1C and Excel in most locales read); overrides the dialect\'s' })),
    decimal: Type.Optional(Type.Enum([...CSV_DECIMALS], { description: 'CSV decimal mark (default point; comma in the 1c dialect); overrides the dialect\'s' })),
  },
  { additionalProperties: false },
);

export const STATEMENT_SORTS = ['period'] as const;
export const StatementListQuery = listQuery(STATEMENT_SORTS, {
  status: Type.Optional(Type.Enum([...STATEMENT_STATUSES])),
  from: Type.Optional(IsoDate('periods starting on or after')),
  to: Type.Optional(IsoDate('periods starting before')),
});
export const StatementPage = page(StatementSummary);

export const RUN_SORTS = ['accountId'] as const;
export const BillingRunQuery = listQuery(RUN_SORTS, {
  period: PeriodText,
  status: Type.Optional(Type.Enum([...STATEMENT_STATUSES])),
});
