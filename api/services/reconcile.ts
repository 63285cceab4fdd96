/**
 * Reconcile through the API: rating's one reconcile (`RatingService.reconcileStored`, the same the
 * `fleetmeter reconcile` CLI runs), mapped to the API's report.
 */
import { createHash } from 'node:crypto';
import type { BillingEvents } from '../../billing/events.ts';
import type { PresenceDifference } from '../../rating/reconcile.ts';
import type { ReconcileReport, RatingService } from '../../rating/service.ts';
import { notFound, rated } from '../errors.ts';
import { parsePeriod } from './period.ts';
import type { SnapshotSource } from './snapshot.ts';

const difference = (d: PresenceDifference) => ({ ...d, missingInPersisted: [...d.missingInPersisted], extraInPersisted: [...d.extraInPersisted] });

export class ReconcileService {
  constructor(
    private readonly rating: RatingService,
    private readonly snapshots: SnapshotSource,
    private readonly now: () => number = Date.now,
    /** reconcile.mismatch is published here when a run finds differences. */
    private readonly events?: BillingEvents,
  ) {}

  async run(accountId: string, period: string, repair = false) {
    const snap = await this.snapshots.get();
    if (!snap.hasAccount(accountId)) throw notFound('account', accountId);
    const p = parsePeriod(period);
    const started = this.now();
    const { report, rawRecords, repair: repaired } = await rated(() => this.rating.reconcileStored(accountId, p, { repair }));
    if (!report.ok) await this.publishMismatch(report);
    return {
      accountId,
      period: report.period,
      status: report.status,
      devices: report.devices,
      records: rawRecords,
      ok: report.ok,
      presence: report.presence.map(difference),
      statement: report.statement.map((a) => ({ originalPeriod: a.originalPeriod, ref: a.ref, refKind: a.refKind, quantity: a.quantity, amount: a.amount, vat: a.vat, total: a.total, devices: [...a.devices] })),
      repair: repaired === null ? null : { found: repaired.found.map(difference), rows: repaired.rows, minutes: repaired.minutes },
      durationMs: this.now() - started,
    };
  }

  /**
   * One event per distinct finding: the key holds a digest of the differences, so running the same
   * reconcile again publishes nothing new, and a different mismatch later is a new event.
   */
  private async publishMismatch(report: ReconcileReport): Promise<void> {
    if (this.events === undefined) return;
    const findings = JSON.stringify({ presence: report.presence.map((d) => ({ ...d, missingInPersisted: [...d.missingInPersisted], extraInPersisted: [...d.extraInPersisted] })), statement: report.statement });
    const digest = createHash('sha256').update(findings).digest('hex').slice(0, 16);
    const period = `${report.period.from}..${report.period.to}`;
    const devices = [...new Set([...report.presence.map((d) => d.deviceId), ...report.statement.flatMap((a) => a.devices.map((d) => d.deviceId))])].sort();
    await this.events.publish([
      {
        type: 'reconcile.mismatch',
        key: `${report.accountId}:${period}:${digest}`,
        accountId: report.accountId,
        subject: `${report.accountId}:${period}`,
        data: { accountId: report.accountId, period: report.period, status: report.status, presenceDifferences: report.presence.length, statementLines: report.statement.length, devices },
      },
    ]);
  }
}
