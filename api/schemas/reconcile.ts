/** Reconcile: recompute an account-period from raw records and report every difference. */
import { Type } from 'typebox';
import { DeviceId, Id, IsoDate, Money, Period, PeriodText, Quantity } from './common.ts';

export const ReconcileBody = Type.Object({ period: PeriodText }, { additionalProperties: false });

export const ReconcileReport = Type.Object({
  accountId: Id('account id'),
  period: Period,
  status: Type.Enum(['draft', 'closed']),
  devices: Type.Integer(),
  records: Type.Integer({ description: 'raw records read' }),
  ok: Type.Boolean({ description: 'true when both lists are empty' }),
  presence: Type.Array(
    Type.Object({
      deviceId: DeviceId,
      day: IsoDate('UTC day'),
      kind: Type.Enum(['device-time', 'fallback']),
      missingInPersisted: Type.Array(Type.Integer()),
      extraInPersisted: Type.Array(Type.Integer()),
    }),
  ),
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
  durationMs: Type.Integer(),
});
