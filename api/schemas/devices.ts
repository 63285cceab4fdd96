/** Devices: the registry the gateway authorizes against, and their effective-dated accounts. */
import { type Static, Type } from 'typebox';
import { PROTOCOLS } from '../../protocols/record.ts';
import { DEVICE_STATUSES } from '../../store/devices.ts';
import { DateTime, DeviceId, Id, IsoDate, NullableDateTime, listQuery, page } from './common.ts';

export { DEVICE_STATUSES, PROTOCOLS };

const Password = Type.String({ minLength: 1, maxLength: 64, description: 'device password (Wialon IPS login); stored hashed' });

export const CurrentAccount = Type.Union([Type.Object({ accountId: Id('account id'), since: IsoDate('effective date of the assignment') }), Type.Null()]);

const Protocols = Type.Array(Type.Enum([...PROTOCOLS]), {
  minItems: 1,
  maxItems: PROTOCOLS.length,
  uniqueItems: true,
  description: 'every protocol the device may log in with (protocol is always one of them); a login over another is refused. Absent: protocol only',
});

export const Device = Type.Object({
  id: DeviceId,
  protocol: Type.Enum([...PROTOCOLS]),
  protocols: Type.Array(Type.Enum([...PROTOCOLS]), { description: 'every protocol the device may log in with, protocol first' }),
  status: Type.Enum([...DEVICE_STATUSES], { description: 'blocked devices are refused at login' }),
  hasPassword: Type.Boolean(),
  account: CurrentAccount,
  lastSeen: NullableDateTime('last time a record from it was received'),
  updatedAt: DateTime(),
});
export type Device = Static<typeof Device>;

export const AssignmentInput = Type.Object(
  {
    accountId: Type.Union([Id('account id'), Type.Null()], { description: 'null unassigns' }),
    effectiveFrom: IsoDate('local date (in the account\'s zone) from which it holds'),
    correction: Type.Optional(Type.Boolean({ description: 'allow a date on or before an existing assignment, or inside a closed period (the next open statement carries the adjustment)' })),
  },
  { additionalProperties: false },
);
export type AssignmentInput = Static<typeof AssignmentInput>;

export const DeviceCreate = Type.Object(
  {
    id: DeviceId,
    protocol: Type.Enum([...PROTOCOLS]),
    protocols: Type.Optional(Protocols),
    password: Type.Optional(Type.Union([Password, Type.Null()])),
    status: Type.Optional(Type.Enum([...DEVICE_STATUSES])),
    account: Type.Optional(Type.Object({ accountId: Id('account id'), effectiveFrom: IsoDate() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type DeviceCreate = Static<typeof DeviceCreate>;

export const DevicePatch = Type.Object(
  {
    protocol: Type.Optional(Type.Enum([...PROTOCOLS])),
    protocols: Type.Optional(Protocols),
    password: Type.Optional(Type.Union([Password, Type.Null()], { description: 'null removes the password' })),
    status: Type.Optional(Type.Enum([...DEVICE_STATUSES])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type DevicePatch = Static<typeof DevicePatch>;

export const Assignment = Type.Object({
  accountId: Type.Union([Id('account id'), Type.Null()]),
  effectiveFrom: IsoDate(),
  recordedAt: DateTime(),
});
export const AssignmentList = Type.Object({ deviceId: DeviceId, current: CurrentAccount, items: Type.Array(Assignment) });
export const AssignmentResult = Type.Object({ deviceId: DeviceId, result: Type.Enum(['created', 'unchanged']), current: CurrentAccount, items: Type.Array(Assignment) });

export const DEVICE_SORTS = ['id', 'lastSeen'] as const;
export const DeviceListQuery = listQuery(DEVICE_SORTS, {
  status: Type.Optional(Type.Enum([...DEVICE_STATUSES])),
  protocol: Type.Optional(Type.Enum([...PROTOCOLS])),
  accountId: Type.Optional(Id('devices on this account now')),
  idPrefix: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});
export const DevicePage = page(Device);
export const DeviceParams = Type.Object({ deviceId: DeviceId });

export const DiscoveredDevice = Type.Object({
  id: DeviceId,
  protocol: Type.String(),
  transport: Type.String(),
  remote: Type.String({ description: 'last remote address' }),
  firstSeen: DateTime(),
  lastSeen: DateTime(),
});
export const DISCOVERED_SORTS = ['id', 'lastSeen', 'firstSeen'] as const;
export const DiscoveredListQuery = listQuery(DISCOVERED_SORTS, {
  protocol: Type.Optional(Type.Enum([...PROTOCOLS])),
});
export const DiscoveredPage = page(DiscoveredDevice);

export const DiscoveredRegister = Type.Object(
  {
    accountId: Id('account to assign the device to'),
    effectiveFrom: IsoDate(),
    password: Type.Optional(Type.Union([Password, Type.Null()])),
    protocol: Type.Optional(Type.Enum([...PROTOCOLS], { description: 'default: the protocol it connected with' })),
  },
  { additionalProperties: false },
);
export type DiscoveredRegister = Static<typeof DiscoveredRegister>;
