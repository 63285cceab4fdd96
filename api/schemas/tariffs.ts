/** Tariffs, their immutable versions, and effective-dated tariff assignments. */
import { type Static, Type } from 'typebox';
import { UNITS } from '../../rating/units.ts';
import { Currency, DateTime, DecimalText, DeviceId, Id, IsoDate, listQuery, page } from './common.ts';

export const Tier = Type.Object(
  {
    upTo: Type.Union([DecimalText('inclusive upper bound of the tier'), Type.Null()], { description: 'null: unbounded (the last tier)' }),
    unitPrice: DecimalText(),
    flatFee: Type.Optional(DecimalText('charged once when the tier is entered (graduated) or once per period (volume)')),
  },
  { additionalProperties: false },
);

export const PRICE_MODEL_NAMES = ['per-unit', 'graduated', 'volume'] as const;

/** One object rather than a union, so a mistake gets one precise message (checked in `checkPrice`). */
export const Price = Type.Object(
  {
    model: Type.Enum([...PRICE_MODEL_NAMES]),
    unitPrice: Type.Optional(DecimalText('per-unit only: the price of one unit')),
    tiers: Type.Optional(Type.Array(Tier, { minItems: 1, maxItems: 50, description: 'graduated and volume only: ascending inclusive upper bounds, the last null' })),
  },
  { additionalProperties: false, description: 'per-unit takes unitPrice; graduated and volume take tiers' },
);

/** As sent: optional fields take the defaults of docs/rating.md §15. */
export const TariffDefinitionInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    unit: Type.Enum([...UNITS]),
    minActiveMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 44640, description: 'online minutes a bucket needs to count one unit (default 1)' })),
    price: Price,
    includedUnits: Type.Optional(DecimalText('free units per account and period (default "0")')),
    minimumCharge: Type.Optional(DecimalText('minimum per account and period, in the price basis (default "0")')),
    proration: Type.Optional(Type.Boolean({ description: 'month unit: prorate partial months by days (default false)' })),
    currency: Currency,
    vatRate: Type.Optional(DecimalText('VAT in percent (default "22")')),
    pricesIncludeVat: Type.Optional(Type.Boolean({ description: 'default false' })),
  },
  { additionalProperties: false },
);

/** As stored: every field present. */
export const TariffDefinition = Type.Object({
  name: Type.String(),
  unit: Type.Enum([...UNITS]),
  minActiveMinutes: Type.Integer(),
  price: Price,
  includedUnits: Type.String(),
  minimumCharge: Type.String(),
  proration: Type.Boolean(),
  currency: Currency,
  vatRate: Type.String(),
  pricesIncludeVat: Type.Boolean(),
});

export const TariffVersion = Type.Object({
  tariffId: Id('tariff id'),
  version: Type.Integer({ minimum: 1 }),
  effectiveFrom: IsoDate('in effect from this local date in each account\'s zone'),
  definition: TariffDefinition,
});

export const Tariff = Type.Object({
  id: Id('tariff id'),
  name: Type.String({ description: 'name in the latest version' }),
  unit: Type.Enum([...UNITS]),
  currency: Currency,
  latestVersion: Type.Integer(),
  versions: Type.Array(TariffVersion),
});
export type Tariff = Static<typeof Tariff>;

export const TariffCreate = Type.Object(
  { id: Id('tariff id'), effectiveFrom: IsoDate(), definition: TariffDefinitionInput },
  { additionalProperties: false },
);
export type TariffCreate = Static<typeof TariffCreate>;

export const VersionCreate = Type.Object(
  {
    effectiveFrom: IsoDate(),
    definition: TariffDefinitionInput,
    version: Type.Optional(Type.Integer({ minimum: 1, maximum: 4294967295, description: 'default: latest + 1; an existing number with the same content is a no-op, with other content a conflict' })),
    correction: Type.Optional(Type.Boolean({ description: 'allow an effective date on or before the latest version\'s (a correction), or inside a closed period' })),
  },
  { additionalProperties: false },
);
export type VersionCreate = Static<typeof VersionCreate>;

export const VersionResult = Type.Object({ result: Type.Enum(['created', 'unchanged']), version: TariffVersion });

export const TARIFF_SORTS = ['id', 'name'] as const;
export const TariffListQuery = listQuery(TARIFF_SORTS, {
  unit: Type.Optional(Type.Enum([...UNITS])),
  currency: Type.Optional(Currency),
});
export const TariffPage = page(Tariff);
export const TariffParams = Type.Object({ tariffId: Id('tariff id') });
export const VersionParams = Type.Object({ tariffId: Id('tariff id'), version: Type.Integer({ minimum: 1, maximum: 4294967295 }) });

export const TariffAssignment = Type.Object({
  accountId: Id('account id'),
  deviceId: Type.Union([DeviceId, Type.Null()], { description: 'null: the account\'s own tariff; a device: an override for it on this account' }),
  tariffId: Type.Union([Id('tariff id'), Type.Null()], { description: 'account level: null = no tariff; device level: null = follow the account again' }),
  effectiveFrom: IsoDate(),
  recordedAt: DateTime(),
});

export const TariffAssignmentCreate = Type.Object(
  {
    tariffId: Type.Union([Id('tariff id'), Type.Null()]),
    effectiveFrom: IsoDate(),
    deviceId: Type.Optional(Type.Union([DeviceId, Type.Null()])),
    correction: Type.Optional(Type.Boolean({ description: 'allow a date on or before an existing assignment of the same key, or inside a closed period' })),
  },
  { additionalProperties: false },
);
export type TariffAssignmentCreate = Static<typeof TariffAssignmentCreate>;

export const TARIFF_ASSIGNMENT_SORTS = ['effectiveFrom'] as const;
export const TariffAssignmentListQuery = listQuery(TARIFF_ASSIGNMENT_SORTS, {
  deviceId: Type.Optional(DeviceId),
  level: Type.Optional(Type.Enum(['account', 'device', 'all'])),
});
export const TariffAssignmentPage = page(TariffAssignment);
export const TariffAssignmentResult = Type.Object({ result: Type.Enum(['created', 'unchanged']), assignment: TariffAssignment });
