/** Webhook subscriptions, their deliveries, the change feed and scheduled jobs. */
import { Type } from 'typebox';
import { BILLING_EVENT_TYPES } from '../../billing/events.ts';
import { DELIVERY_STATUSES } from '../../billing/deliveries.ts';
import { RUN_STATUSES, RUN_TRIGGERS } from '../../billing/scheduler.ts';
import { DateTime, LIMIT_MAX, NullableDateTime } from './common.ts';

export const EventType = Type.Enum([...BILLING_EVENT_TYPES], { description: 'billing event type' });

const Url = Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2048, description: 'http(s) URL the events are POSTed to' });
const Secret = Type.String({ minLength: 16, maxLength: 256, description: 'HMAC-SHA256 key for Fleetmeter-Signature; write-only: never returned' });
const Types = Type.Array(EventType, { uniqueItems: true, maxItems: BILLING_EVENT_TYPES.length, description: 'event types delivered; empty: every type' });
const Description = Type.String({ maxLength: 500 });

export const WebhookCreate = Type.Object(
  {
    url: Url,
    secret: Secret,
    types: Type.Optional(Types),
    active: Type.Optional(Type.Boolean({ description: 'default true; false pauses delivery (events published meanwhile follow on reactivation)' })),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);

export const WebhookPatch = Type.Object(
  { url: Type.Optional(Url), secret: Type.Optional(Secret), types: Type.Optional(Types), active: Type.Optional(Type.Boolean()), description: Type.Optional(Description) },
  { additionalProperties: false, minProperties: 1 },
);

export const Webhook = Type.Object({
  id: Type.String(),
  url: Type.String(),
  types: Type.Array(Type.String()),
  active: Type.Boolean(),
  description: Type.String(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});
export const WebhookList = Type.Object({ items: Type.Array(Webhook) });
export const WebhookParams = Type.Object({ webhookId: Type.String({ pattern: '^wh_[0-9a-f]{16}$' }) });
export const DeliveryParams = Type.Object({ webhookId: Type.String({ pattern: '^wh_[0-9a-f]{16}$' }), eventId: Type.String({ pattern: '^evt_[0-9a-f]{32}$' }) });

export const Delivery = Type.Object({
  eventId: Type.String(),
  eventType: Type.String(),
  eventCreatedAt: DateTime(),
  status: Type.Enum([...DELIVERY_STATUSES], { description: 'pending (retrying), delivered (2xx), skipped, failed (gave up: replay it)' }),
  attempts: Type.Integer(),
  nextAttemptAt: NullableDateTime('pending: when the next try is due'),
  lastAttemptAt: NullableDateTime(),
  lastStatus: Type.Union([Type.Integer(), Type.Null()], { description: 'HTTP status of the last try; 0 when none came (refused, timeout)' }),
  lastError: Type.Union([Type.String(), Type.Null()]),
  deliveredAt: NullableDateTime(),
});
export const Attempt = Type.Object({
  attempt: Type.Integer(),
  at: DateTime(),
  ok: Type.Boolean(),
  status: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Integer(),
});
export const DeliveryDetail = Type.Object({ delivery: Delivery, attempts: Type.Array(Attempt) });
export const DeliveryListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMIT_MAX })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    status: Type.Optional(Type.Enum([...DELIVERY_STATUSES])),
  },
  { additionalProperties: false },
);
export const DeliveryPage = Type.Object({ items: Type.Array(Delivery), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const ReplayBody = Type.Object(
  {
    after: Type.Union([Type.String({ minLength: 1, maxLength: 512 }), Type.Null()], { description: 'a change-feed cursor (GET /v1/changes nextCursor); null: from the first event' }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMIT_MAX, description: 'events queued again (default 100)' })),
  },
  { additionalProperties: false },
);
export const ReplayResult = Type.Object({
  replayed: Type.Integer(),
  nextCursor: Type.String({ description: 'pass as `after` to replay the next batch' }),
});

// ── the change feed ───────────────────────────────────────────────────────────────────────────

export const ChangesQuery = Type.Object(
  {
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'opaque: nextCursor of the previous page; absent: from the start' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMIT_MAX, description: 'default 100' })),
    types: Type.Optional(Type.String({ pattern: '^[a-z_.]+(,[a-z_.]+)*$', maxLength: 1000, description: 'comma-separated event types, and/or audit.<action> (e.g. audit.device.assign)' })),
    accountId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export const Change = Type.Object({
  id: Type.String({ description: 'event id (evt_…) or audit entry id' }),
  type: Type.String({ description: 'a billing event type, or audit.<action> for a configuration change' }),
  source: Type.Enum(['event', 'audit']),
  createdAt: DateTime(),
  accountId: Type.Union([Type.String(), Type.Null()]),
  subject: Type.String({ description: 'what it is about: statement, device, payment, entity' }),
  data: Type.Unknown(),
});
export const ChangePage = Type.Object({
  items: Type.Array(Change),
  nextCursor: Type.String({ description: 'store it; ask again with after=<it> (the same cursor comes back while nothing is new)' }),
  hasMore: Type.Boolean({ description: 'more changes are ready now' }),
});

// ── jobs ──────────────────────────────────────────────────────────────────────────────────────

export const JobRun = Type.Object({
  runId: Type.String(),
  owner: Type.String({ description: 'instance that ran it' }),
  trigger: Type.Enum([...RUN_TRIGGERS]),
  startedAt: DateTime(),
  finishedAt: NullableDateTime('null while running (or if the instance died)'),
  status: Type.Enum([...RUN_STATUSES]),
  result: Type.Unknown(),
  error: Type.Union([Type.String(), Type.Null()]),
});
export const Job = Type.Object({
  name: Type.String(),
  description: Type.String(),
  intervalMs: Type.Integer(),
  lastRun: Type.Union([JobRun, Type.Null()]),
  lease: Type.Union([Type.Object({ owner: Type.String(), expiresAt: DateTime(), held: Type.Boolean({ description: 'not yet expired' }) }), Type.Null()]),
});
export const JobList = Type.Object({ items: Type.Array(Job) });
export const JobParams = Type.Object({ name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$' }) });
export const JobRunList = Type.Object({ items: Type.Array(JobRun) });
