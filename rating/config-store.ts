/**
 * Rating configuration in ClickHouse: accounts, device → account assignments, immutable tariff
 * versions, tariff assignments and suspensions. Append-only rows with `recorded_at` versions;
 * readers keep the latest record per key (no FINAL needed). SQL built by small functions.
 */
import { sqlString, sqlStringList } from '../store/sql.ts';
import type { Store } from '../store/types.ts';
import type { Account, DeviceAssignment, RatingConfig, Suspension, TariffAssignment } from './assignments.ts';
import { assertTimeZone } from './calendar.ts';
import { ratingError } from './errors.ts';
import { currency } from './pricing/index.ts';
import { type TariffVersion, definitionHash, definitionJson, parseTariffDefinition } from './tariff.ts';
import { isoToDay } from './time.ts';

const num = (v: unknown) => Number(v);
const where = (column: string, ids: readonly string[] | undefined) => (ids === undefined ? '' : ` WHERE ${column} IN ${sqlStringList(ids)}`);

export function selectAccountsSql(ids?: readonly string[]): string {
  return `SELECT account_id, name, time_zone, currency, recorded_at FROM rating_accounts${where('account_id', ids)}`;
}

export function selectDeviceAssignmentsSql(accountIds?: readonly string[]): string {
  const filter = accountIds === undefined ? '' : ` WHERE device_id IN (SELECT device_id FROM rating_device_accounts WHERE account_id IN ${sqlStringList(accountIds)})`;
  return `SELECT device_id, effective_from, account_id, recorded_at FROM rating_device_accounts${filter}`;
}

export function selectTariffAssignmentsSql(accountIds?: readonly string[]): string {
  return `SELECT account_id, device_id, effective_from, tariff_id, recorded_at FROM rating_tariff_assignments${where('account_id', accountIds)}`;
}

export function selectSuspensionsSql(accountIds?: readonly string[]): string {
  return `SELECT suspension_id, account_id, device_id, from_date, to_date, cancelled, recorded_at FROM rating_suspensions${where('account_id', accountIds)}`;
}

export function selectTariffVersionsSql(tariffIds?: readonly string[]): string {
  return `SELECT tariff_id, version, effective_from, definition, definition_hash, recorded_at FROM rating_tariff_versions${where('tariff_id', tariffIds)}`;
}

export class RatingConfigStore {
  constructor(private readonly store: Store) {}

  async putAccount(a: Account, recordedAt: number): Promise<void> {
    if (typeof a.id !== 'string' || a.id.length === 0) throw ratingError('FM_RATING_UNKNOWN_ACCOUNT', 'account id must be a non-empty string');
    assertTimeZone(a.timeZone);
    currency(a.currency);
    await this.store.insert('rating_accounts', [{ account_id: a.id, name: a.name, time_zone: a.timeZone, currency: a.currency, recorded_at: recordedAt }]);
  }

  async assignDevice(d: DeviceAssignment): Promise<void> {
    isoToDay(d.effectiveFrom);
    if (d.accountId !== null) await this.requireAccount(d.accountId);
    await this.store.insert('rating_device_accounts', [{ device_id: d.deviceId, effective_from: d.effectiveFrom, account_id: d.accountId ?? '', recorded_at: d.recordedAt }]);
  }

  /** Stores a tariff version once. The same content again is a no-op; different content for an existing version is refused. */
  async putTariffVersion(v: TariffVersion, recordedAt: number): Promise<'created' | 'unchanged'> {
    const def = parseTariffDefinition(v.definition);
    isoToDay(v.effectiveFrom);
    const hash = definitionHash(def);
    const existing = await this.store.query<{ definition_hash: string; effective_from: string }>(
      `SELECT definition_hash, effective_from FROM rating_tariff_versions WHERE tariff_id = ${sqlString(v.tariffId)} AND version = ${v.version}`,
    );
    if (existing.length > 0) {
      if (existing.every((e) => e.definition_hash === hash && e.effective_from === v.effectiveFrom)) return 'unchanged';
      throw ratingError('FM_RATING_TARIFF_CONFLICT', `tariff ${v.tariffId} version ${v.version} exists with different content; versions are immutable, add version ${v.version + 1}`);
    }
    await this.store.insert('rating_tariff_versions', [
      { tariff_id: v.tariffId, version: v.version, effective_from: v.effectiveFrom, definition: definitionJson(def), definition_hash: hash, recorded_at: recordedAt },
    ]);
    return 'created';
  }

  async assignTariff(t: TariffAssignment): Promise<void> {
    isoToDay(t.effectiveFrom);
    await this.requireAccount(t.accountId);
    if (t.tariffId !== null) {
      const n = await this.store.query<{ n: string }>(`SELECT count() AS n FROM rating_tariff_versions WHERE tariff_id = ${sqlString(t.tariffId)}`);
      if (Number(n[0]?.n ?? 0) === 0) throw ratingError('FM_RATING_UNKNOWN_TARIFF', `no tariff ${JSON.stringify(t.tariffId)}`);
    }
    await this.store.insert('rating_tariff_assignments', [
      { account_id: t.accountId, device_id: t.deviceId ?? '', effective_from: t.effectiveFrom, tariff_id: t.tariffId ?? '', recorded_at: t.recordedAt },
    ]);
  }

  async putSuspension(s: Suspension): Promise<void> {
    isoToDay(s.from);
    if (s.to !== null && isoToDay(s.to) <= isoToDay(s.from)) throw ratingError('FM_RATING_BAD_PERIOD', `suspension must end after it starts, got ${s.from}..${s.to}`);
    await this.requireAccount(s.accountId);
    await this.store.insert('rating_suspensions', [
      { suspension_id: s.id, account_id: s.accountId, device_id: s.deviceId ?? '', from_date: s.from, to_date: s.to, cancelled: s.cancelled ? 1 : 0, recorded_at: s.recordedAt },
    ]);
  }

  /**
   * Bulk import (bench set-up, migrations from another system): inserts every record as given, in
   * a few large INSERTs, without the per-record existence checks of the single-record methods.
   * Tariff definitions are validated; versions must not exist yet.
   */
  async importConfig(config: RatingConfig, chunk = 50_000): Promise<void> {
    const put = async (table: string, rows: object[]) => {
      for (let i = 0; i < rows.length; i += chunk) await this.store.insert(table, rows.slice(i, i + chunk));
    };
    for (const a of config.accounts) {
      assertTimeZone(a.timeZone);
      currency(a.currency);
    }
    await put('rating_accounts', config.accounts.map((a) => ({ account_id: a.id, name: a.name, time_zone: a.timeZone, currency: a.currency, recorded_at: 1 })));
    await put(
      'rating_tariff_versions',
      config.tariffVersions.map((v) => {
        const def = parseTariffDefinition(v.definition);
        return { tariff_id: v.tariffId, version: v.version, effective_from: v.effectiveFrom, definition: definitionJson(def), definition_hash: definitionHash(def), recorded_at: 1 };
      }),
    );
    await put('rating_device_accounts', config.deviceAssignments.map((d) => ({ device_id: d.deviceId, effective_from: d.effectiveFrom, account_id: d.accountId ?? '', recorded_at: d.recordedAt })));
    await put(
      'rating_tariff_assignments',
      config.tariffAssignments.map((t) => ({ account_id: t.accountId, device_id: t.deviceId ?? '', effective_from: t.effectiveFrom, tariff_id: t.tariffId ?? '', recorded_at: t.recordedAt })),
    );
    await put(
      'rating_suspensions',
      config.suspensions.map((s) => ({ suspension_id: s.id, account_id: s.accountId, device_id: s.deviceId ?? '', from_date: s.from, to_date: s.to, cancelled: s.cancelled ? 1 : 0, recorded_at: s.recordedAt })),
    );
  }

  /** Configuration for these accounts (and whatever their devices' histories touch), or for all. */
  async load(accountIds?: readonly string[]): Promise<RatingConfig> {
    const [deviceRows, tariffRows, suspensionRows] = await Promise.all([
      this.store.query<{ device_id: string; effective_from: string; account_id: string; recorded_at: string }>(selectDeviceAssignmentsSql(accountIds)),
      this.store.query<{ account_id: string; device_id: string; effective_from: string; tariff_id: string; recorded_at: string }>(selectTariffAssignmentsSql(accountIds)),
      this.store.query<{ suspension_id: string; account_id: string; device_id: string; from_date: string; to_date: string | null; cancelled: number; recorded_at: string }>(
        selectSuspensionsSql(accountIds),
      ),
    ]);
    const deviceAssignments: DeviceAssignment[] = deviceRows.map((r) => ({ deviceId: r.device_id, effectiveFrom: r.effective_from, accountId: r.account_id === '' ? null : r.account_id, recordedAt: num(r.recorded_at) }));
    const tariffAssignments: TariffAssignment[] = tariffRows.map((r) => ({
      accountId: r.account_id,
      deviceId: r.device_id === '' ? null : r.device_id,
      effectiveFrom: r.effective_from,
      tariffId: r.tariff_id === '' ? null : r.tariff_id,
      recordedAt: num(r.recorded_at),
    }));
    const suspensions: Suspension[] = suspensionRows.map((r) => ({
      id: r.suspension_id,
      accountId: r.account_id,
      deviceId: r.device_id === '' ? null : r.device_id,
      from: r.from_date,
      to: r.to_date ?? null,
      cancelled: num(r.cancelled) === 1,
      recordedAt: num(r.recorded_at),
    }));
    const accountSet = accountIds === undefined ? undefined : [...new Set([...accountIds, ...deviceAssignments.flatMap((d) => (d.accountId ? [d.accountId] : []))])].sort();
    const tariffSet = accountIds === undefined ? undefined : [...new Set(tariffAssignments.flatMap((t) => (t.tariffId ? [t.tariffId] : [])))].sort();
    const [accountRows, versionRows] = await Promise.all([
      this.store.query<{ account_id: string; name: string; time_zone: string; currency: string; recorded_at: string }>(selectAccountsSql(accountSet)),
      this.store.query<{ tariff_id: string; version: number; effective_from: string; definition: string; definition_hash: string; recorded_at: string }>(selectTariffVersionsSql(tariffSet)),
    ]);
    const accounts = new Map<string, { a: Account; at: number }>();
    for (const r of accountRows) {
      const at = num(r.recorded_at);
      const cur = accounts.get(r.account_id);
      if (cur === undefined || at > cur.at) accounts.set(r.account_id, { a: { id: r.account_id, name: r.name, timeZone: r.time_zone, currency: r.currency }, at });
    }
    // Immutable versions: should two instances race on the same version, the first recorded wins.
    const versions = new Map<string, { v: TariffVersion; at: number; hash: string }>();
    for (const r of versionRows) {
      const key = `${r.tariff_id}@${r.version}`;
      const at = num(r.recorded_at);
      const cur = versions.get(key);
      if (cur !== undefined && (cur.at < at || (cur.at === at && cur.hash <= r.definition_hash))) continue;
      versions.set(key, { v: { tariffId: r.tariff_id, version: num(r.version), effectiveFrom: r.effective_from, definition: parseTariffDefinition(JSON.parse(r.definition)) }, at, hash: r.definition_hash });
    }
    return {
      accounts: [...accounts.values()].map((x) => x.a),
      deviceAssignments,
      tariffVersions: [...versions.values()].map((x) => x.v),
      tariffAssignments,
      suspensions,
    };
  }

  private async requireAccount(id: string): Promise<void> {
    const rows = await this.store.query<{ n: string }>(`SELECT count() AS n FROM rating_accounts WHERE account_id = ${sqlString(id)}`);
    if (Number(rows[0]?.n ?? 0) === 0) throw ratingError('FM_RATING_UNKNOWN_ACCOUNT', `no account ${JSON.stringify(id)}`);
  }
}
