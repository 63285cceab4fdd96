/** Fleet health: who is online, who is silent while billed, who sends data nobody bills. */
import { type Static, Type } from 'typebox';
import { DateTime, DeviceId, Id, NullableDateTime, listQuery, page } from './common.ts';

export const FLEET_STATES = ['online', 'offline', 'silent', 'unbilled', 'never-seen'] as const;
export type FleetState = (typeof FLEET_STATES)[number];

export const Thresholds = {
  onlineMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440, description: 'online = a record received in the last N minutes (default 10)' })),
  silentHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 8760, description: 'silent = billed but nothing received for N hours (default 24); unbilled = data received in the last N hours without account or tariff' })),
};

export const FleetSummaryQuery = Type.Object(Thresholds, { additionalProperties: false });

export const FleetSummary = Type.Object({
  asOf: DateTime(),
  thresholds: Type.Object({ onlineMinutes: Type.Integer(), silentHours: Type.Integer() }),
  counts: Type.Object({
    registered: Type.Integer({ description: 'devices in the registry' }),
    blocked: Type.Integer(),
    billed: Type.Integer({ description: 'registered, active, on an account with a tariff in effect today, not suspended' }),
    onlineNow: Type.Integer({ description: 'any device (registered or not) heard from within onlineMinutes' }),
    silent: Type.Integer({ description: 'billed, but nothing received for silentHours (or never)' }),
    unbilled: Type.Integer({ description: 'sent data within silentHours but is not billed: revenue leak' }),
    unregistered: Type.Integer({ description: 'of the unbilled: devices not in the registry (discovered)' }),
    neverSeen: Type.Integer({ description: 'registered devices never heard from' }),
  }),
});
export type FleetSummary = Static<typeof FleetSummary>;

export const Position = Type.Object({
  at: DateTime('device time of the fix'),
  latitude: Type.Number(),
  longitude: Type.Number(),
  speed: Type.Union([Type.Number(), Type.Null()]),
  course: Type.Union([Type.Number(), Type.Null()]),
});

export const FleetDevice = Type.Object({
  deviceId: DeviceId,
  registered: Type.Boolean(),
  status: Type.Union([Type.Enum(['active', 'blocked']), Type.Null()]),
  protocol: Type.Union([Type.String(), Type.Null()]),
  accountId: Type.Union([Id('account id'), Type.Null()]),
  tariffId: Type.Union([Id('tariff id'), Type.Null()]),
  billed: Type.Boolean(),
  online: Type.Boolean(),
  silent: Type.Boolean(),
  unbilled: Type.Boolean(),
  lastSeen: NullableDateTime('last receive time'),
  firstSeen: NullableDateTime(),
  lastPosition: Type.Union([Position, Type.Null()]),
});
export type FleetDevice = Static<typeof FleetDevice>;

export const FLEET_SORTS = ['deviceId', 'lastSeen'] as const;
export const FleetDeviceQuery = listQuery(FLEET_SORTS, {
  ...Thresholds,
  state: Type.Optional(Type.Enum([...FLEET_STATES])),
  accountId: Type.Optional(Id('devices on this account now')),
});
export const FleetDevicePage = page(FleetDevice);
