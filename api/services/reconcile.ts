/**
 * Reconcile through the API: the raw records rating asks for (`reconcileScope`), streamed from
 * `records FINAL` a few devices at a time, into `RatingService.reconcile`.
 */
import type { RawPresenceRow } from '../../rating/presence.ts';
import type { RatingService } from '../../rating/service.ts';
import { sqlDate, sqlStringList } from '../../store/sql.ts';
import type { Store } from '../../store/types.ts';
import { notFound, rated } from '../errors.ts';
import { parsePeriod } from './period.ts';
import type { SnapshotSource } from './snapshot.ts';

/** Devices per records query: bounds the rows held at once. */
const DEVICES_PER_QUERY = 20;

export function reconcileRowsSql(deviceIds: readonly string[], rowsFrom: string, rowsTo: string): string {
  return (
    'SELECT device_id, toString(device_ts) AS t, has_device_time AS h, toString(received_ts) AS r FROM records FINAL ' +
    `WHERE device_id IN ${sqlStringList(deviceIds)} AND day >= ${sqlDate(rowsFrom)} AND day < ${sqlDate(rowsTo)}`
  );
}

export class ReconcileService {
  constructor(
    private readonly store: Store,
    private readonly rating: RatingService,
    private readonly snapshots: SnapshotSource,
    private readonly now: () => number = Date.now,
  ) {}

  async run(accountId: string, period: string) {
    const snap = await this.snapshots.get();
    if (!snap.hasAccount(accountId)) throw notFound('account', accountId);
    const p = parsePeriod(period);
    const started = this.now();
    const scope = await rated(() => this.rating.reconcileScope(accountId, p));
    let records = 0;
    const store = this.store;
    async function* rows(): AsyncGenerator<RawPresenceRow> {
      for (let i = 0; i < scope.deviceIds.length; i += DEVICES_PER_QUERY) {
        const chunk = scope.deviceIds.slice(i, i + DEVICES_PER_QUERY);
        for (const r of await store.query<{ device_id: string; t: string; h: number; r: string }>(reconcileRowsSql(chunk, scope.rowsFrom, scope.rowsTo))) {
          records++;
          yield { deviceId: r.device_id, deviceTime: Number(r.h) === 1 ? Number(r.t) : null, receivedAt: Number(r.r) };
        }
      }
    }
    const report = await rated(() => this.rating.reconcile(accountId, p, rows()));
    return {
      accountId,
      period: report.period,
      status: report.status,
      devices: report.devices,
      records,
      ok: report.ok,
      presence: report.presence.map((d) => ({ ...d, missingInPersisted: [...d.missingInPersisted], extraInPersisted: [...d.extraInPersisted] })),
      statement: report.statement.map((a) => ({ originalPeriod: a.originalPeriod, ref: a.ref, refKind: a.refKind, quantity: a.quantity, amount: a.amount, vat: a.vat, total: a.total, devices: [...a.devices] })),
      durationMs: this.now() - started,
    };
  }
}
