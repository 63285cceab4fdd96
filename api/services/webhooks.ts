/** Webhook subscriptions through the API: views without the secret, deliveries, replay; changes audited. */
import { AUDIT_TYPE_PREFIX, type Change, type ChangePage, decodeChangeCursor, encodeChangeCursor } from '../../billing/changes.ts';
import type { Delivery, DeliveryStatus } from '../../billing/deliveries.ts';
import { BILLING_EVENT_TYPES, type BillingEvents } from '../../billing/events.ts';
import type { BillingOps } from '../../billing/ops.ts';
import type { JobRun, JobState } from '../../billing/scheduler.ts';
import { type Webhook, consumerId, newWebhookId } from '../../billing/webhooks.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { LIMIT_DEFAULT } from '../schemas/common.ts';
import type { Actor, AuditLog } from './audit.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function webhookView(w: Webhook) {
  return { id: w.id, url: w.url, types: [...w.types], active: w.active, description: w.description, createdAt: iso(w.createdAt), updatedAt: iso(w.updatedAt) };
}
export type WebhookView = ReturnType<typeof webhookView>;

export function deliveryView(d: Delivery) {
  return {
    eventId: d.eventId,
    eventType: d.eventType,
    eventCreatedAt: iso(d.eventTs),
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: isoOrNull(d.nextAt),
    lastAttemptAt: isoOrNull(d.lastAt),
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    deliveredAt: isoOrNull(d.deliveredAt),
  };
}

export function runView(r: JobRun) {
  return { runId: r.runId, owner: r.owner, trigger: r.trigger, startedAt: iso(r.startedAt), finishedAt: isoOrNull(r.finishedAt), status: r.status, result: r.result, error: r.error };
}

export function jobView(j: JobState, now: number) {
  return {
    name: j.name,
    description: j.description,
    intervalMs: j.intervalMs,
    lastRun: j.lastRun === null ? null : runView(j.lastRun),
    lease: j.lease === null ? null : { owner: j.lease.owner, expiresAt: iso(Math.max(j.lease.expiresAt, 0)), held: j.lease.expiresAt > now },
  };
}

export interface WebhookInput {
  readonly url: string;
  readonly secret: string;
  readonly types?: readonly string[];
  readonly active?: boolean;
  readonly description?: string;
}

const cursorError = () => new ApiError('FM_ERR_VALIDATION', 'cursor: not a cursor this API issued', { field: 'cursor' });

export class WebhooksService {
  constructor(
    private readonly ops: BillingOps,
    private readonly events: BillingEvents,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
  ) {}

  private async require(id: string): Promise<Webhook> {
    const w = await this.ops.webhooks.get(id);
    if (w === undefined) throw notFound('webhook', id);
    return w;
  }

  async list(): Promise<WebhookView[]> {
    return (await this.ops.webhooks.list()).map(webhookView);
  }

  async get(id: string): Promise<WebhookView> {
    return webhookView(await this.require(id));
  }

  async create(input: WebhookInput, actor: Actor): Promise<WebhookView> {
    const now = this.now();
    const w: Webhook = { id: newWebhookId(), url: input.url, secret: input.secret, types: [...(input.types ?? [])], active: input.active ?? true, description: input.description ?? '', createdAt: now, updatedAt: now };
    await this.ops.webhooks.put(w);
    const view = webhookView(w);
    await this.audit.record(actor, 'webhook.create', 'webhook', w.id, null, view);
    return view;
  }

  async patch(id: string, patch: Partial<WebhookInput>, actor: Actor): Promise<WebhookView> {
    const cur = await this.require(id);
    const next: Webhook = {
      ...cur,
      url: patch.url ?? cur.url,
      secret: patch.secret ?? cur.secret,
      types: patch.types === undefined ? cur.types : [...patch.types],
      active: patch.active ?? cur.active,
      description: patch.description ?? cur.description,
      updatedAt: Math.max(this.now(), cur.updatedAt + 1),
    };
    await this.ops.webhooks.put(next);
    const view = webhookView(next);
    await this.audit.record(actor, 'webhook.update', 'webhook', id, webhookView(cur), { ...view, secretChanged: patch.secret !== undefined });
    return view;
  }

  async remove(id: string, actor: Actor): Promise<void> {
    const cur = await this.require(id);
    await this.ops.webhooks.put({ ...cur, active: false, updatedAt: Math.max(this.now(), cur.updatedAt + 1) }, true);
    await this.audit.record(actor, 'webhook.delete', 'webhook', id, webhookView(cur), null);
  }

  /** Deliveries, newest event first. */
  async deliveries(id: string, q: { status?: DeliveryStatus; limit?: number; cursor?: string }) {
    await this.require(id);
    let before: { ts: number; id: string } | null = null;
    if (q.cursor !== undefined) {
      before = decodeChangeCursor(q.cursor);
      if (before === null) throw cursorError();
    }
    const limit = q.limit ?? LIMIT_DEFAULT;
    const rows = await this.ops.deliveries.list(consumerId(id), { status: q.status }, limit + 1, before);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map(deliveryView), nextCursor: rows.length > limit && last !== undefined ? encodeChangeCursor({ ts: last.eventTs, id: last.eventId }) : null };
  }

  async delivery(id: string, eventId: string) {
    await this.require(id);
    const [d] = await this.ops.deliveries.get(consumerId(id), [eventId]);
    if (d === undefined) throw notFound('delivery', eventId);
    return { delivery: deliveryView(d), attempts: (await this.ops.deliveries.attempts(consumerId(id), eventId)).map((a) => ({ ...a, at: iso(a.at) })) };
  }

  /** Sends one event (again) to the subscription: pending, due at once; the dispatcher takes it on its next pass. */
  async replayOne(id: string, eventId: string, actor: Actor) {
    await this.require(id);
    const [e] = await this.events.get([eventId]);
    if (e === undefined) throw notFound('event', eventId);
    const [d] = await this.ops.deliveries.replay(consumerId(id), [e]);
    await this.audit.record(actor, 'webhook.replay', 'webhook', id, null, { eventIds: [eventId] });
    return deliveryView(d);
  }

  /** Queues again the subscription's events after a change-feed cursor (its types only). */
  async replayAfter(id: string, after: string | null, limit: number, actor: Actor) {
    const w = await this.require(id);
    let pos: { ts: number; id: string } | null = null;
    if (after !== null) {
      pos = decodeChangeCursor(after);
      if (pos === null) throw badRequest('after', 'not a cursor this API issued');
    }
    const events = await this.events.after(pos, { limit, types: w.types, settleMs: this.ops.settleMs });
    await this.ops.deliveries.replay(consumerId(id), events);
    const last = events[events.length - 1];
    await this.audit.record(actor, 'webhook.replay', 'webhook', id, null, { after, count: events.length });
    return { replayed: events.length, nextCursor: encodeChangeCursor(last !== undefined ? { ts: last.ts, id: last.id } : (pos ?? { ts: 0, id: '' })) };
  }

  /** The change feed, for GET /v1/changes. */
  async changes(q: { after?: string; limit?: number; types?: string; accountId?: string }): Promise<ChangePage> {
    let after: { ts: number; id: string } | null = null;
    if (q.after !== undefined) {
      after = decodeChangeCursor(q.after);
      if (after === null) throw badRequest('after', 'not a cursor this API issued');
    }
    const types = q.types === undefined ? undefined : q.types.split(',');
    const unknown = types?.filter((t) => !(BILLING_EVENT_TYPES as readonly string[]).includes(t) && !t.startsWith(AUDIT_TYPE_PREFIX));
    if (unknown !== undefined && unknown.length > 0) throw badRequest('types', `each one of ${BILLING_EVENT_TYPES.join(', ')} or ${AUDIT_TYPE_PREFIX}<action>; got ${unknown.join(', ')}`);
    return this.ops.changes.page({ after, limit: q.limit ?? LIMIT_DEFAULT, types, accountId: q.accountId });
  }
}

export type { Change };
