/** Accounts: the provider's customers, as the billing system keys and sees them. */
import { type Static, Type } from 'typebox';
import { Currency, DateTime, Id, listQuery, page } from './common.ts';

export const ACCOUNT_STATUSES = ['active', 'suspended', 'closed'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
export const BILLING_PERIODS = ['month'] as const;

export const ExternalId = Type.String({ minLength: 1, maxLength: 64, description: 'the id in the billing system: 1C counterparty code, INN, …' });

export const BillingSettings = Type.Object(
  {
    period: Type.Enum([...BILLING_PERIODS], { description: 'billing period: calendar months in the account\'s time zone' }),
    paymentTermDays: Type.Integer({ minimum: 0, maximum: 365 }),
    invoiceEmail: Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()]),
    contractRef: Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type BillingSettings = Static<typeof BillingSettings>;
export const DEFAULT_BILLING: BillingSettings = { period: 'month', paymentTermDays: 14, invoiceEmail: null, contractRef: null };

const BillingPatch = Type.Partial(BillingSettings, { additionalProperties: false });

export const Account = Type.Object({
  id: Id('account id'),
  externalId: Type.Union([ExternalId, Type.Null()]),
  name: Type.String(),
  timeZone: Type.String({ description: 'IANA time zone: days, hours and billing periods are local to it' }),
  currency: Currency,
  billing: BillingSettings,
  status: Type.Enum([...ACCOUNT_STATUSES], { description: 'informational; suspending billing is a rating suspension' }),
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
