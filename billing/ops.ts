/**
 * Billing operations, wired: webhook subscriptions, deliveries and their dispatcher, the change
 * feed, e-mail, and the scheduler with its jobs. Built once per process (by the API services);
 * `fleetmeter serve` starts the scheduler, tests call `scheduler.tick()` / `trigger()` with an
 * injected clock.
 */
import type { Logger } from 'pino';
import type { RatingService } from '../rating/service.ts';
import type { Migration, Store } from '../store/types.ts';
import { ChangeFeed } from './changes.ts';
import { type Consumer, DEFAULT_RETRY, deliveryMigrations, Dispatcher, DeliveryStore, type RetryPolicy } from './deliveries.ts';
import type { BillingEvents } from './events.ts';
import { type SilentDevice, deviceDiscoveredJob, deviceSilentJob, dispatchJob, periodCloseJob } from './jobs.ts';
import { type Mailer, type MailSources, mailConsumer, smtpEnabled, smtpMailer, type SmtpSettings } from './mail.ts';
import type { CloseAccount } from './period-close.ts';
import { type JobDefinition, type JobRun, Scheduler, schedulerMigrations } from './scheduler.ts';
import { parseAllowList, type WebhookNetwork } from './webhook-targets.ts';
import { WebhookStore, webhookConsumer, webhookMigrations } from './webhooks.ts';

export const opsMigrations: readonly Migration[] = [...schedulerMigrations, ...deliveryMigrations, ...webhookMigrations];

export interface BillingOpsOptions {
  readonly smtp?: SmtpSettings | null;
  /** A mailer of one's own (tests); default nodemailer over `smtp`. */
  readonly mailer?: Mailer;
  readonly retry?: RetryPolicy;
  readonly webhookTimeoutMs?: number;
  /**
   * CIDRs (comma or space separated) a webhook receiver may be in although loopback, link-local,
   * private and similar addresses are refused by default. Default none.
   */
  readonly webhookAllowNetworks?: string;
  /** How old an event must be before dispatch or the change feed takes it. Default 2000 ms. */
  readonly settleMs?: number;
  /** Day of the month (local) from which the previous month closes. Default 1. */
  readonly periodCloseDay?: number;
  /** device.silent after this many hours. Default 24. */
  readonly silentHours?: number;
  readonly webhookDispatchMs?: number;
  readonly mailDispatchMs?: number;
  /** Scheduler: lease default, claim settle, instance id, sleep (tests). */
  readonly leaseMs?: number;
  readonly leaseSettleMs?: number;
  readonly owner?: string;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Every job run this instance finished (billing/metrics.ts counts them). */
  readonly onJobRun?: (run: JobRun) => void;
}

/** An outbox's depth: events its consumers have yet to get, and the event time of the oldest. */
export interface OutboxBacklog {
  readonly outbox: 'webhook' | 'email';
  readonly pending: number;
  readonly oldestAt: number | null;
}

/** What the jobs read from the rest of the process (the API services wire these). */
export interface OpsSources extends MailSources {
  closeAccounts(): Promise<CloseAccount[]>;
  /** The suspension policy for one account (billing/suspension.ts), run right after the job closed a period of it. */
  evaluateSuspension?(accountId: string, now: number): Promise<unknown>;
  silentDevices(now: number, hours: number): Promise<SilentDevice[]>;
  isRegistered(deviceId: string): Promise<boolean>;
}

export interface BillingOpsDeps {
  readonly store: Store;
  readonly events: BillingEvents;
  readonly rating: RatingService;
  readonly sources: OpsSources;
  readonly log: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly now: () => number;
}

export class BillingOps {
  readonly webhooks: WebhookStore;
  readonly deliveries: DeliveryStore;
  readonly dispatcher: Dispatcher;
  readonly changes: ChangeFeed;
  readonly scheduler: Scheduler;
  readonly mailer: Mailer | null;
  readonly settleMs: number;
  private readonly webhookTimeoutMs: number;
  private readonly webhookAllowNetworks: readonly WebhookNetwork[];
  private readonly now: () => number;
  private readonly mailOutbox: Consumer | null = null;

  constructor(deps: BillingOpsDeps, o: BillingOpsOptions = {}) {
    this.now = deps.now;
    this.settleMs = o.settleMs ?? 2000;
    this.webhookTimeoutMs = o.webhookTimeoutMs ?? 10_000;
    this.webhookAllowNetworks = parseAllowList(o.webhookAllowNetworks ?? '');
    this.webhooks = new WebhookStore(deps.store, deps.now);
    this.deliveries = new DeliveryStore(deps.store, deps.now);
    this.dispatcher = new Dispatcher(this.deliveries, deps.events, { retry: o.retry ?? DEFAULT_RETRY, settleMs: this.settleMs, now: deps.now, random: o.random });
    this.changes = new ChangeFeed(deps.store, deps.events, this.settleMs, deps.now);
    this.scheduler = new Scheduler(deps.store, { owner: o.owner, now: deps.now, sleep: o.sleep, settleMs: o.leaseSettleMs, leaseMs: o.leaseMs, log: deps.log, onRun: o.onJobRun });
    this.mailer = o.mailer ?? (o.smtp && smtpEnabled(o.smtp) ? smtpMailer(o.smtp) : null);

    const s = deps.sources;
    const evaluate = s.evaluateSuspension?.bind(s);
    this.scheduler.register(periodCloseJob({ rating: deps.rating, events: deps.events, accounts: () => s.closeAccounts(), closeDay: o.periodCloseDay ?? 1, afterClose: evaluate }));
    this.scheduler.register(deviceSilentJob({ events: deps.events, silent: (now, h) => s.silentDevices(now, h), silentHours: o.silentHours ?? 24 }));
    this.scheduler.register(deviceDiscoveredJob({ store: deps.store, events: deps.events, isRegistered: (id) => s.isRegistered(id) }));
    this.scheduler.register(dispatchJob('webhook-dispatch', this.dispatcher, () => this.webhookConsumers(), o.webhookDispatchMs ?? 1000));
    if (this.mailer !== null) {
      const consumer = (this.mailOutbox = mailConsumer(this.mailer, s, deps.now()));
      this.scheduler.register(dispatchJob('mail-dispatch', this.dispatcher, async () => [consumer], o.mailDispatchMs ?? 5000));
    }
  }

  /** The depth of each outbox: webhooks (every active subscription) and e-mail (none pending when e-mail is off). */
  async outboxes(): Promise<OutboxBacklog[]> {
    const webhook = await this.dispatcher.backlog(await this.webhookConsumers());
    const email = this.mailOutbox === null ? { pending: 0, oldestAt: null } : await this.dispatcher.backlog([this.mailOutbox]);
    return [
      { outbox: 'webhook', ...webhook },
      { outbox: 'email', ...email },
    ];
  }

  /** Active subscriptions as delivery consumers. */
  async webhookConsumers(): Promise<Consumer[]> {
    return (await this.webhooks.list()).filter((w) => w.active).map((w) => webhookConsumer(w, { timeoutMs: this.webhookTimeoutMs, now: this.now, allowNetworks: this.webhookAllowNetworks }));
  }

  /** Adds a job (e.g. `suspensionEvaluateJob(evaluateAll)` from jobs.ts). */
  registerJob(job: JobDefinition): void {
    this.scheduler.register(job);
  }

  start(tickMs: number): void {
    this.scheduler.start(tickMs);
  }

  async stop(): Promise<void> {
    await this.scheduler.stop();
    this.mailer?.close();
  }
}
