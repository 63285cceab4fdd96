/**
 * Account access for the ingest path: which accounts' devices are refused at login because the
 * account is suspended for non-payment in `reject` mode (docs/billing.md). Billing writes the
 * state (`account_access`, defined in store/account-access.ts; newest version per account wins);
 * every gateway instance reads it on the device registry's refresh tick, so a change is seen
 * within ~1 s everywhere.
 *
 * A device is refused when the account it is on *now* is refused. The device's account comes from
 * rating's effective-dated assignments (`rating_device_accounts`); they are loaded only for the
 * devices ever on a refused account, so a fleet in good standing costs one tiny query per tick.
 * Decisions are synchronous against the cache: a login never waits on storage.
 */
import { type DeviceAssignment, timeline } from '../rating/assignments.ts';
import { localMidnight } from '../rating/calendar.ts';
import { ACCESS_TABLE } from '../store/account-access.ts';
import { sqlNumber, sqlStringList } from '../store/sql.ts';
import type { Store } from '../store/types.ts';

/** What the device registry asks on every login. */
export interface LoginGate {
  refresh(): Promise<void>;
  /** Why the device must be refused now, or null when it may log in. */
  denies(deviceId: string, now: number): string | null;
}

const CLOCK_SKEW_LOOKBACK_MS = 60_000;

export class AccountAccess implements LoginGate {
  private readonly refused = new Map<string, string>();
  private lastVersion = -1;
  private devices = new Map<string, DeviceAssignment[]>();
  private zones = new Map<string, string>();

  constructor(private readonly store: Store) {}

  async refresh(): Promise<void> {
    const rows = await this.store.query<{ account_id: string; suspended: number; mode: string; reason: string; v: string }>(
      `SELECT account_id, suspended, mode, reason, toString(version) AS v FROM ${ACCESS_TABLE} FINAL WHERE version > ${sqlNumber(this.lastVersion - CLOCK_SKEW_LOOKBACK_MS)}`,
    );
    for (const r of rows) {
      const v = Number(r.v);
      if (v > this.lastVersion) this.lastVersion = v;
      if (Number(r.suspended) === 1 && r.mode === 'reject') this.refused.set(r.account_id, r.reason);
      else this.refused.delete(r.account_id);
    }
    if (this.refused.size === 0) {
      this.devices = new Map();
      return;
    }
    const ids = sqlStringList([...this.refused.keys()]);
    const [assignments, accounts] = await Promise.all([
      this.store.query<{ device_id: string; effective: string; account_id: string; recorded: string }>(
        `SELECT device_id, toString(effective_from) AS effective, account_id, toString(recorded_at) AS recorded FROM rating_device_accounts WHERE device_id IN (SELECT device_id FROM rating_device_accounts WHERE account_id IN ${ids})`,
      ),
      this.store.query<{ account_id: string; time_zone: string; recorded: string }>(`SELECT account_id, time_zone, toString(recorded_at) AS recorded FROM rating_accounts`),
    ]);
    const zones = new Map<string, { zone: string; at: number }>();
    for (const a of accounts) {
      const cur = zones.get(a.account_id);
      if (cur === undefined || Number(a.recorded) >= cur.at) zones.set(a.account_id, { zone: a.time_zone, at: Number(a.recorded) });
    }
    this.zones = new Map([...zones].map(([k, v]) => [k, v.zone]));
    const byDevice = new Map<string, DeviceAssignment[]>();
    for (const r of assignments) {
      const list = byDevice.get(r.device_id) ?? [];
      list.push({ deviceId: r.device_id, effectiveFrom: r.effective, accountId: r.account_id === '' ? null : r.account_id, recordedAt: Number(r.recorded) });
      byDevice.set(r.device_id, list);
    }
    this.devices = new Map([...byDevice].map(([k, v]) => [k, timeline(v)]));
  }

  /** The account the device is on at `now` (assignments take effect at the new account's local midnight). */
  private accountAt(deviceId: string, now: number): string | null {
    let current: string | null = null;
    let prev: string | null = null;
    for (const e of this.devices.get(deviceId) ?? []) {
      const zone = this.zones.get(e.accountId ?? prev ?? '') ?? 'UTC';
      prev = e.accountId;
      if (localMidnight(e.effectiveFrom, zone) > now) break;
      current = e.accountId;
    }
    return current;
  }

  denies(deviceId: string, now: number): string | null {
    if (this.refused.size === 0) return null;
    const account = this.accountAt(deviceId, now);
    if (account === null) return null;
    const reason = this.refused.get(account);
    return reason === undefined ? null : `account ${account} suspended (reject mode): ${reason}`;
  }
}
