/** Reconcile: recompute an account-period from raw records and report every difference. */
import { Type } from 'typebox';
import { DeviceId, Id, IsoDate, Money, Period, PeriodText, Quantity } from './common.ts';

export const ReconcileBody = Type.Object(
  {
    period: PeriodText,
    repair: Type.Optional(
      Type.Boolean({
        description:
          'true: first write the minutes the records prove and stored presence lacks, then report. A closed statement is never changed: what the repair adds reaches the next open statement as an adjustment.',
      }),
    ),
  },
  { additionalProperties: false },
);

const PresenceDifference = Type.Object({
  deviceId: DeviceId,
  day: IsoDate('UTC day'),
  kind: Type.Enum(['device-time', 'fallback']),
  missingInPersisted: Type.Array(Type.Integer()),
  extraInPersisted: Type.Array(Type.Integer()),
});

export const ReconcileReport = Type.Object({
  accountId: Id('account id'),
  period: Period,
  status: Type.Enum(['draft', 'closed']),
  devices: Type.Integer(),
  records: Type.Integer({ description: 'raw records read' }),
  ok: Type.Boolean({ description: 'true when both lists are empty' }),
  presence: Type.Array(PresenceDifference, { description: 'after the repair, when one was asked for' }),
  statement: Type.Array(
    Type.Object({
      originalPeriod: Period,
      ref: Type.String(),
      refKind: Type.String(),
      quantity: Quantity,
      amount: Money,
      vat: Money,
      total: Money,
      devices: Type.Array(Type.Object({ deviceId: DeviceId, quantity: Quantity })),
    }),
  ),
  repair: Type.Union(
    [
      Type.Object({
        found: Type.Array(PresenceDifference, { description: 'the presence differences before the repair' }),
        rows: Type.Integer({ description: 'presence rows written (device, UTC day, kind)' }),
        minutes: Type.Integer({ description: 'minutes they added' }),
      }),
      Type.Null(),
    ],
    { description: 'null unless `repair: true`' },
  ),
  durationMs: Type.Integer(),
});
