/** Live usage: online minutes, billable units and the amount so far, for a device or an account. */
import { type Static, Type } from 'typebox';
import { UNITS } from '../../rating/units.ts';
import { IMPLAUSIBLE_TIME_POLICIES } from '../../rating/plausibility.ts';
import { Currency, DateTime, DeviceId, Id, IsoDate, Money, Period, Quantity, Totals } from './common.ts';

export const GRANULARITIES = ['total', 'day'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export const UsageQuery = Type.Object(
  {
    from: Type.Optional(IsoDate('first local date (default: the first of the current month in the account\'s zone)')),
    to: Type.Optional(IsoDate('local date after the last, exclusive (default: the end of `from`\'s month)')),
    granularity: Type.Optional(Type.Enum([...GRANULARITIES], { description: 'total (default) or per local day' })),
  },
  { additionalProperties: false },
);
export type UsageQuery = Static<typeof UsageQuery>;

const Unit = Type.Enum([...UNITS]);

export const DayUnits = Type.Object({ tariffId: Id('tariff id'), tariffVersion: Type.Integer(), unit: Unit, quantity: Quantity });

export const DayUsage = Type.Object({
  date: IsoDate('local date'),
  onlineMinutes: Type.Integer(),
  implausibleMinutes: Type.Integer(),
  units: Type.Array(DayUnits, { description: 'billable units that day per tariff version (month units are counted per month, not per day)' }),
});

export const DeviceUnits = Type.Object({
  ref: Type.String({ description: 'statement line reference tariff@version/from..to' }),
  tariffId: Id('tariff id'),
  tariffVersion: Type.Integer(),
  unit: Unit,
  segment: Period,
  quantity: Quantity,
  pricing: Type.Enum(['per-unit', 'graduated', 'volume']),
  estimate: Type.Union([Totals, Type.Null()], {
    description: 'per-unit pricing: quantity × unit price with VAT, before the account-level steps (included units, minimum charge); null for tiered pricing, which only the account total prices',
  }),
});

export const DeviceUsagePart = Type.Object({
  accountId: Id('account id'),
  timeZone: Type.String(),
  currency: Currency,
  onlineMinutes: Type.Integer(),
  implausibleMinutes: Type.Integer(),
  units: Type.Array(DeviceUnits),
  estimate: Type.Union([Totals, Type.Null()], { description: 'sum of the per-unit estimates; null if any line is tiered' }),
  days: Type.Optional(Type.Array(DayUsage)),
});

export const DeviceUsage = Type.Object({
  deviceId: DeviceId,
  period: Period,
  granularity: Type.Enum([...GRANULARITIES]),
  implausibleTimePolicy: Type.Enum([...IMPLAUSIBLE_TIME_POLICIES]),
  onlineMinutes: Type.Integer({ description: 'minutes online while on an account in the period' }),
  implausibleMinutes: Type.Integer(),
  accounts: Type.Array(DeviceUsagePart, { description: 'one entry per account the device was on in the period' }),
  computedAt: DateTime(),
});
export type DeviceUsage = Static<typeof DeviceUsage>;

export const UsageLine = Type.Object({
  kind: Type.Enum(['usage', 'included', 'minimum']),
  ref: Type.String(),
  tariffId: Id('tariff id'),
  tariffVersion: Type.Integer(),
  unit: Unit,
  segment: Period,
  quantity: Quantity,
  amount: Money,
  vatRate: Type.String(),
  vat: Money,
  total: Money,
});

export const AccountUsage = Type.Object({
  accountId: Id('account id'),
  timeZone: Type.String(),
  currency: Currency,
  period: Period,
  granularity: Type.Enum([...GRANULARITIES]),
  implausibleTimePolicy: Type.Enum([...IMPLAUSIBLE_TIME_POLICIES]),
  onlineMinutes: Type.Integer(),
  implausibleMinutes: Type.Integer(),
  lines: Type.Array(UsageLine, { description: 'the period rated as a draft (no adjustments): what the usage costs so far' }),
  totals: Totals,
  devices: Type.Array(
    Type.Object({
      deviceId: DeviceId,
      onlineMinutes: Type.Integer(),
      implausibleMinutes: Type.Integer(),
      units: Type.Array(Type.Object({ ref: Type.String(), quantity: Quantity })),
    }),
  ),
  unratedMinutes: Type.Integer({ description: 'online minutes with no tariff in effect (not billed)' }),
  days: Type.Optional(Type.Array(DayUsage)),
  computedAt: DateTime(),
});
export type AccountUsage = Static<typeof AccountUsage>;
