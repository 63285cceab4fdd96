/** Accounts: the provider's customers, as the billing system keys and sees them. */
import { type Static, Type } from 'typebox';
import { SUSPENSION_MODES } from '../../billing/policy.ts';
import { Currency, DateTime, Id, listQuery, page } from './common.ts';
import { CustomerRequisites } from '../documents/requisites.ts';

export const ACCOUNT_STATUSES = ['active', 'suspended', 'closed'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
export const BILLING_PERIODS = ['month'] as const;

export const ExternalId = Type.String({ minLength: 1, maxLength: 64, description: 'the id in the billing system: 1C counterparty code, INN, …' });

export const BillingSettings = Type.Object(
  {
    period: Type.Enum([...BILLING_PERIODS], { description: 'billing period: calendar months in the account\'s time zone' }),
    paymentTermDays: Type.Integer({ minimum: 0, maximum: 365, description: 'payment terms: a closed statement is due this many days after the local date it was closed (docs/billing.md)' }),
    invoiceEmail: Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()], { description: 'the billing e-mail: statements and suspension warnings are sent here' }),
    contractRef: Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()]),
    // Payment discipline (docs/billing.md): the suspension policy's settings.
    graceDays: Type.Integer({ minimum: 0, maximum: 365, description: 'days past the due date before suspension: suspended when more than graceDays past due' }),
    warningDays: Type.Integer({ minimum: 0, maximum: 90, description: 'a warning is recorded (and sent) this many days before the suspension date; 0 = no warning' }),
    creditLimit: Type.Union([Type.String({ pattern: '^(0|[1-9][0-9]{0,14})(\\.[0-9]{1,4})?$', description: 'unpaid balance allowed, decimal text in the account\'s currency' }), Type.Null()], {
      description: 'null = no limit; a balance beyond it warns at once and suspends warningDays later',
    }),
    suspensionMode: Type.Enum([...SUSPENSION_MODES], { description: 'while suspended: store (data still accepted and stored, not billed) or reject (devices refused at login)' }),
    // Payment documents (docs/documents.md): the customer's side of the invoice and the act.
    requisites: Type.Optional(Type.Union([CustomerRequisites, Type.Null()], { description: 'the customer\'s requisites on invoices and acts: legalName, inn, kpp, address (each optional); absent or null: the account name only' })),
  },
  { additionalProperties: false },
);
export type BillingSettings = Static<typeof BillingSettings>;
export const DEFAULT_BILLING: BillingSettings = { period: 'month', paymentTermDays: 14, invoiceEmail: null, contractRef: null, graceDays: 10, warningDays: 3, creditLimit: null, suspensionMode: 'store' };

const BillingPatch = Type.Partial(BillingSettings, { additionalProperties: false });

export const Account = Type.Object({
  id: Id('account id'),
  externalId: Type.Union([ExternalId, Type.Null()]),
  name: Type.String(),
  timeZone: Type.String({ description: 'IANA time zone: days, hours and billing periods are local to it' }),
  currency: Currency,
  billing: BillingSettings,
  status: Type.Enum([...ACCOUNT_STATUSES], { description: 'informational; payment suspension is GET /v1/accounts/{id}/suspension (docs/billing.md)' }),
  devices: Type.Integer({ description: 'devices on the account now' }),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});
export type Account = Static<typeof Account>;

const Name = Type.String({ minLength: 1, maxLength: 200 });
const TimeZone = Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Moscow' });

export const AccountCreate = Type.Object(
  {
    id: Type.Optional(Id('account id (default: generated)')),
    externalId: Type.Optional(Type.Union([ExternalId, Type.Null()])),
    name: Name,
    timeZone: TimeZone,
    currency: Currency,
    billing: Type.Optional(BillingPatch),
    status: Type.Optional(Type.Enum([...ACCOUNT_STATUSES])),
  },
  { additionalProperties: false },
);
export type AccountCreate = Static<typeof AccountCreate>;

export const AccountPatch = Type.Object(
  {
    externalId: Type.Optional(Type.Union([ExternalId, Type.Null()])),
    name: Type.Optional(Name),
    timeZone: Type.Optional(TimeZone),
    currency: Type.Optional(Currency),
    billing: Type.Optional(BillingPatch),
    status: Type.Optional(Type.Enum([...ACCOUNT_STATUSES])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type AccountPatch = Static<typeof AccountPatch>;

export const ACCOUNT_SORTS = ['id', 'name', 'createdAt'] as const;
export const AccountListQuery = listQuery(ACCOUNT_SORTS, {
  status: Type.Optional(Type.Enum([...ACCOUNT_STATUSES])),
  externalId: Type.Optional(ExternalId),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'name contains (case-insensitive)' })),
});
export const AccountPage = page(Account);
export const AccountParams = Type.Object({ accountId: Id('account id') });
