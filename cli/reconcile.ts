/**
 * `fleetmeter reconcile --account ID --period YYYY-MM [--json]`: recomputes an account's presence
 * for a billing month from the raw records in ClickHouse (`records FINAL`) and compares it with the
 * rating engine's persisted presence and with the statement (docs/rating.md §13).
 *
 * Exit code: 0 zero differences, 1 differences found, 2 bad usage (missing/invalid options,
 * unknown account). Storage failures are reported on stderr by `fleetmeter` itself (exit 1).
 * The report goes to stdout; logs go to stderr, so `--json` output can be piped as it is.
 */
import pino from 'pino';
import { ClickHousePresenceStorage } from '../rating/presence-store.ts';
import { storageSource } from '../rating/presence-storage.ts';
import type { RawPresenceRow } from '../rating/presence.ts';
import { type Period, monthPeriod } from '../rating/calendar.ts';
import { RatingError } from '../rating/errors.ts';
import type { PresenceDifference } from '../rating/reconcile.ts';
import { type ReconcileReport, type ReconcileScope, RatingService } from '../rating/service.ts';
import type { AdjustmentLine } from '../rating/statement.ts';
import { dayToIso, isoToDay } from '../rating/time.ts';
import { sqlDate, sqlStringList } from '../store/sql.ts';
import type { Store } from '../store/types.ts';
import { ConfigError, configHelp } from './config.ts';
import { loadConfig, openAndMigrate, splitArgs } from './runtime.ts';

const HELP = `usage: fleetmeter reconcile --account ID --period YYYY-MM [--json] [options]

Recomputes the account's online minutes for the billing month (in the account's time zone) from
the raw records stored in ClickHouse, and compares them bit for bit with the rating engine's
persisted presence, then rates the month from the raw records and compares it with the statement
(the draft, or the closed snapshot plus every adjustment issued for it).

  --account ID        the account to check
  --period YYYY-MM    the billing month
  --json              print the report as one JSON object instead of text

Exit code: 0 zero differences, 1 differences found, 2 bad usage.

Storage options (as for every command):
${configHelp()}`;

/** Devices per raw-record query; each query also covers one partition day, so results stay small. */
const DEVICES_PER_QUERY = 200;
/** Minutes listed per difference in the text report (--json lists all). */
const MINUTES_SHOWN = 12;

/** Raw rows for one set of devices and one partition day: what `reconcile` needs of each record. */
export function rawRecordsSql(deviceIds: readonly string[], day: string, nextDay: string): string {
  return (
    `SELECT device_id, toString(device_ts) AS device_ts, has_device_time, toString(received_ts) AS received_ts FROM records FINAL ` +
    `WHERE device_id IN ${sqlStringList(deviceIds)} AND day >= ${sqlDate(day)} AND day < ${sqlDate(nextDay)}`
  );
}

/** Streams the scope's raw rows: device chunks × partition days, one bounded query at a time. */
async function* rawRows(store: Store, scope: ReconcileScope, counter: { rows: number }): AsyncGenerator<RawPresenceRow> {
  const from = isoToDay(scope.rowsFrom);
  const to = isoToDay(scope.rowsTo);
  for (let i = 0; i < scope.deviceIds.length; i += DEVICES_PER_QUERY) {
    const chunk = scope.deviceIds.slice(i, i + DEVICES_PER_QUERY);
    for (let day = from; day < to; day++) {
      const rows = await store.query<{ device_id: string; device_ts: string; has_device_time: number | string; received_ts: string }>(rawRecordsSql(chunk, dayToIso(day), dayToIso(day + 1)));
      counter.rows += rows.length;
      for (const r of rows) {
        yield { deviceId: r.device_id, deviceTime: Number(r.has_device_time) === 1 ? Number(r.device_ts) : null, receivedAt: Number(r.received_ts) };
      }
    }
  }
}

const hhmm = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function minuteList(minutes: readonly number[]): string {
  const shown = minutes.slice(0, MINUTES_SHOWN).map(hhmm).join(', ');
  return minutes.length > MINUTES_SHOWN ? `${shown}, … (${minutes.length - MINUTES_SHOWN} more)` : shown;
}

function presenceLine(d: PresenceDifference): string {
  const parts: string[] = [];
  if (d.missingInPersisted.length > 0) parts.push(`${plural(d.missingInPersisted.length, 'minute')} in the records but not in persisted presence (UTC ${minuteList(d.missingInPersisted)})`);
  if (d.extraInPersisted.length > 0) parts.push(`${plural(d.extraInPersisted.length, 'minute')} in persisted presence that no record explains (UTC ${minuteList(d.extraInPersisted)})`);
  return `  ${d.deviceId} ${d.day} ${d.kind}: ${parts.join('; ')}`;
}

const signed = (v: string) => (v.startsWith('-') ? v : `+${v}`);

function statementLine(a: AdjustmentLine): string {
  const devices = a.devices.map((d) => `${d.deviceId} ${signed(d.quantity)}`).join(', ');
  return `  ${a.refKind} ${a.ref}: quantity ${signed(a.quantity)} ${a.unit}, amount ${signed(a.amount)}, VAT ${signed(a.vat)}, total ${signed(a.total)}${devices ? ` (devices: ${devices})` : ''}`;
}

export function renderReport(report: ReconcileReport, scope: ReconcileScope, rawRecords: number): string {
  const lines = [
    `reconcile ${report.accountId} ${report.period.from}..${report.period.to} (${report.status}): ${plural(report.devices, 'device')}, ` +
      `UTC days ${dayToIso(scope.fromDay)}..${dayToIso(scope.toDay - 1)}, ` +
      `${plural(rawRecords, 'raw record')} read`,
    `presence: ${report.presence.length === 0 ? 'no differences' : plural(report.presence.length, 'difference')}`,
    ...report.presence.map(presenceLine),
    `statement: ${report.statement.length === 0 ? 'no differences' : `${plural(report.statement.length, 'line')} would change`}`,
    ...report.statement.map(statementLine),
    report.ok ? 'OK: zero differences' : 'DIFFERENCES FOUND',
  ];
  return lines.join('\n') + '\n';
}

function usageError(message: string): number {
  process.stderr.write(`fleetmeter reconcile: ${message}\n\n${HELP}\n`);
  return 2;
}

export async function run(args: string[]): Promise<number> {
  const { flags, positionals } = splitArgs(args);
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length > 0) return usageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const accountId = flags.account;
  if (accountId === undefined || accountId === 'true' || accountId === '') return usageError('--account ID is required');
  let period: Period;
  try {
    period = monthPeriod(flags.period ?? '');
  } catch (err) {
    return usageError(`--period must be a month like 2024-06, got ${JSON.stringify(flags.period ?? '')}${err instanceof RatingError ? '' : ` (${(err as Error).message})`}`);
  }
  let config;
  try {
    config = loadConfig(flags);
  } catch (err) {
    if (err instanceof ConfigError) return usageError(err.message);
    throw err;
  }
  // Logs to stderr: stdout carries the report only.
  const log = pino({ level: config.logLevel, base: { service: 'fleetmeter' } }, pino.destination(2));
  const store = await openAndMigrate(config, log);
  try {
    // Persisted presence only, read past any cache: this is the check of what storage holds.
    const service = new RatingService({ store, presence: storageSource(new ClickHousePresenceStorage(store, { cacheDeviceDays: 0 })) });
    let scope: ReconcileScope;
    try {
      scope = await service.reconcileScope(accountId, period);
    } catch (err) {
      if (err instanceof RatingError && err.code === 'FM_RATING_UNKNOWN_ACCOUNT') return usageError(err.message);
      throw err;
    }
    const counter = { rows: 0 };
    const report = await service.reconcile(accountId, period, rawRows(store, scope, counter));
    if (flags.json !== undefined && flags.json !== 'false') {
      process.stdout.write(JSON.stringify({ ...report, rawRecords: counter.rows, scope }) + '\n');
    } else {
      process.stdout.write(renderReport(report, scope, counter.rows));
    }
    return report.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}
