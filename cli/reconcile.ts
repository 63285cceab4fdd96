/**
 * `fleetmeter reconcile --account ID --period YYYY-MM [--repair] [--json]`: recomputes an account's presence
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
import { type Period, monthPeriod } from '../rating/calendar.ts';
import { RatingError } from '../rating/errors.ts';
import type { PresenceDifference } from '../rating/reconcile.ts';
import { type ReconcileReport, type ReconcileScope, RatingService, type StoredReconcile } from '../rating/service.ts';
import type { AdjustmentLine } from '../rating/statement.ts';
import { dayToIso } from '../rating/time.ts';
import { ConfigError, configFlags, configHelp, STORAGE_OPTIONS } from './config.ts';
import { parseArgs, switches, valueFlags } from './args.ts';
import { loadConfig, openAndMigrate } from './runtime.ts';

const HELP = `usage: fleetmeter reconcile --account ID --period YYYY-MM [--repair] [--json] [options]

Recomputes the account's online minutes for the billing month (in the account's time zone) from
the raw records stored in ClickHouse, and compares them bit for bit with the rating engine's
persisted presence, then rates the month from the raw records and compares it with the statement
(the draft, or the closed snapshot plus every adjustment issued for it).

  --account ID        the account to check
  --period YYYY-MM    the billing month
  --repair            first write the minutes the records prove and stored presence lacks
                      (a closed statement never changes: they reach the next open one as an
                      adjustment), then report what is left
  --json              print the report as one JSON object instead of text

Exit code: 0 zero differences (after the repair, with --repair), 1 differences found, 2 bad usage.

Storage options (as for migrate and apikey):
${configHelp(STORAGE_OPTIONS)}`;

/** Minutes listed per difference in the text report (--json lists all). */
const MINUTES_SHOWN = 12;

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
  const { flags, positionals } = parseArgs(args, [...configFlags(STORAGE_OPTIONS), ...valueFlags('account', 'period'), ...switches('repair', 'json')]);
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
    let result: StoredReconcile;
    try {
      result = await service.reconcileStored(accountId, period, { repair: flags.repair !== undefined && flags.repair !== 'false' });
    } catch (err) {
      if (err instanceof RatingError && err.code === 'FM_RATING_UNKNOWN_ACCOUNT') return usageError(err.message);
      throw err;
    }
    const { report, scope, rawRecords, repair } = result;
    if (flags.json !== undefined && flags.json !== 'false') {
      process.stdout.write(JSON.stringify({ ...report, rawRecords, scope, repair }) + '\n');
    } else {
      if (repair !== null) {
        process.stdout.write(`repair: ${plural(repair.rows, 'presence row')} written, ${plural(repair.minutes, 'minute')} added (${plural(repair.found.length, 'difference')} found before)\n`);
      }
      process.stdout.write(renderReport(report, scope, rawRecords));
    }
    return report.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}
