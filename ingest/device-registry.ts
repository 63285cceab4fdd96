/**
 * Device identity for the ingest path: who may log in, with which password, and which devices
 * connected without being registered ("discovered" — so no connected vehicle goes unnoticed).
 *
 * The registry lives in ClickHouse (`devices`, written by the API) and is cached here in memory:
 * a full load at start, then every `refreshMs` only the rows changed since the last load. Several
 * gateway instances converge through ClickHouse; a change is visible to ingest within ~1 s.
 * Decisions are synchronous against the cache: a login never waits on storage.
 */
import { createHash } from 'node:crypto';
import type { ProtocolName, Transport } from '../protocols/record.ts';
import { DEVICE_STATUSES, type DeviceStatus, allowedProtocols } from '../store/devices.ts';
import { sqlNumber } from '../store/sql.ts';
import type { Migration, Store } from '../store/types.ts';
import type { LoginGate } from './account-access.ts';

export const UNKNOWN_DEVICE_POLICIES = ['accept', 'reject'] as const;
export type UnknownDevicePolicy = (typeof UNKNOWN_DEVICE_POLICIES)[number];

export { DEVICE_STATUSES, type DeviceStatus };

/** `wrong-protocol`: registered, but not for the protocol it logs in with (answered like `rejected`). */
export type LoginDecision = 'accepted' | 'rejected' | 'bad-password' | 'wrong-protocol';

/**
 * What a login can tell apart: MQTT JSON and protobuf share one login (CONNECT), the payload
 * format is known per message only.
 */
const LOGIN_FAMILY: { readonly [protocol: string]: string } = { teltonika: 'teltonika', 'wialon-ips': 'wialon-ips', 'mqtt-json': 'mqtt', 'mqtt-protobuf': 'mqtt' };
const family = (protocol: string) => LOGIN_FAMILY[protocol] ?? protocol;

/** The protocols a device may log in with: its `protocol` plus any listed in `protocols`, in order, once each. */
export interface DeviceEntry {
  readonly deviceId: string;
  readonly protocol: string;
  /** Every protocol it may log in with (`protocol` first); a login over another is refused. */
  readonly protocols: readonly string[];
  /** SHA-256 (hex) of the device password; empty when the device has none. */
  readonly passwordHash: string;
  readonly status: DeviceStatus;
}

export const registryMigrations: readonly Migration[] = [
  {
    id: '0100_devices',
    statements: [
      // `version` is the change time in ms: the newest row per device wins; `deleted` tombstones.
      `CREATE TABLE IF NOT EXISTS devices (
        device_id String,
        protocol String,
        password_hash String,
        status String,
        version Int64,
        deleted UInt8
      ) ENGINE = ReplacingMergeTree(version) ORDER BY device_id`,
      `CREATE TABLE IF NOT EXISTS discovered_devices (
        device_id String,
        protocol String,
        transport String,
        remote String,
        seen_ts Int64
      ) ENGINE = MergeTree() PARTITION BY toYYYYMM(toDate(intDiv(seen_ts, 1000))) ORDER BY (device_id, seen_ts)`,
    ],
  },
  {
    // The protocols a device may log in with besides `protocol` (empty: `protocol` only).
    id: '0101_devices_protocols',
    statements: [
      {
        sql: 'ALTER TABLE devices ADD COLUMN protocols Array(String)',
        skipIf: "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'devices' AND name = 'protocols'",
      },
    ],
  },
];

const CLOCK_SKEW_LOOKBACK_MS = 60_000n;

export function hashPassword(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('hex');
}

interface DeviceRow {
  device_id: string;
  protocol: string;
  protocols: string[];
  password_hash: string;
  status: string;
  version: string;
  deleted: number;
}

export interface DeviceRegistryOptions {
  readonly unknownDevicePolicy: UnknownDevicePolicy;
  readonly refreshMs: number;
  /** A discovered device is written at most once per this interval (ms). */
  readonly discoveredWriteIntervalMs: number;
  /**
   * Account-level refusals (an account suspended for non-payment in `reject` mode), refreshed on
   * the same tick as the devices. Absent: no account-level check.
   */
  readonly gate?: LoginGate;
}

export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceEntry>();
  private lastVersion = -1n;
  private timer: NodeJS.Timeout | null = null;
  private readonly discoveredAt = new Map<string, number>();
  private pendingDiscovered: string[] = [];
  private refreshing: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly options: DeviceRegistryOptions,
    private readonly now: () => number = Date.now,
    private readonly log: { warn(obj: object, msg: string): void } = console as never,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      // A tick while a load is still running (a slow store) waits for the next: ticks must not
      // pile up behind it, each to fail and log on its own when the store goes away.
      if (this.refreshing !== null) return;
      this.refresh().catch((err) => this.log.warn({ err: (err as Error).message }, 'device registry refresh failed; serving the cached copy'));
    }, this.options.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // A load in flight settles before the caller closes the store under it.
    await (this.queued ?? this.refreshing)?.catch(() => undefined);
    await this.flushDiscovered().catch(() => undefined);
  }

  /**
   * Loads rows changed since the last refresh (all rows the first time). Resolves after a load that
   * started after this call (read-your-writes for the API): when one is already in flight — it may
   * have read before the caller's write — one more follows it, shared by every caller meanwhile.
   */
  refresh(): Promise<void> {
    if (this.refreshing === null) {
      this.refreshing = this.load().finally(() => {
        this.refreshing = null;
      });
      return this.refreshing;
    }
    this.queued ??= this.refreshing
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.refresh();
      });
    return this.queued;
  }

  private async load(): Promise<void> {
    const rows = await this.store.query<DeviceRow>(
      // Re-read a minute behind the newest version seen: another instance's clock may lag ours.
      `SELECT device_id, protocol, protocols, password_hash, status, version, deleted FROM devices FINAL WHERE version > ${sqlNumber(this.lastVersion - CLOCK_SKEW_LOOKBACK_MS)}`,
    );
    for (const row of rows) {
      const version = BigInt(row.version);
      if (version > this.lastVersion) this.lastVersion = version;
      if (row.deleted) this.devices.delete(row.device_id);
      else
        this.devices.set(row.device_id, {
          deviceId: row.device_id,
          protocol: row.protocol,
          protocols: allowedProtocols(row.protocol, row.protocols ?? []),
          passwordHash: row.password_hash,
          status: (DEVICE_STATUSES as readonly string[]).includes(row.status) ? (row.status as DeviceStatus) : 'active',
        });
    }
    if (this.options.gate) await this.options.gate.refresh();
    await this.flushDiscovered();
  }

  get(deviceId: string): DeviceEntry | undefined {
    return this.devices.get(deviceId);
  }

  get size(): number {
    return this.devices.size;
  }

  /**
   * Decides a login. `password` is what the device sent (null when the protocol has none). A
   * registered device may log in only with a protocol it is registered for (`protocols`), and if
   * it has a password set must send it; an unknown device follows the policy, whatever the protocol.
   */
  authorize(deviceId: string, protocol: ProtocolName, transport: Transport, password: string | null, remote: string): LoginDecision {
    const entry = this.devices.get(deviceId);
    if (!entry) {
      if (this.options.unknownDevicePolicy === 'reject') return 'rejected';
      this.noteDiscovered(deviceId, protocol, transport, remote);
      return this.options.gate?.denies(deviceId, this.now()) ? 'rejected' : 'accepted';
    }
    if (entry.status === 'blocked') return 'rejected';
    if (!entry.protocols.some((p) => family(p) === family(protocol))) return 'wrong-protocol';
    if (entry.passwordHash && (password === null || hashPassword(password) !== entry.passwordHash)) return 'bad-password';
    // An account suspended in reject mode: the protocol's negative answer, like a blocked device.
    if (this.options.gate?.denies(deviceId, this.now())) return 'rejected';
    return 'accepted';
  }

  /**
   * Why a device that logged in earlier must be cut off now (blocked since, or its account
   * suspended in reject mode), or null. Sessions ask on every data frame — a tracker may stay
   * connected for weeks, so a check at login alone would never take effect. Synchronous against
   * the cache; a password was checked at login and is not asked again.
   */
  revoked(deviceId: string): string | null {
    if (this.devices.get(deviceId)?.status === 'blocked') return 'device blocked';
    return this.options.gate?.denies(deviceId, this.now()) ?? null;
  }

  private noteDiscovered(deviceId: string, protocol: string, transport: string, remote: string): void {
    const now = this.now();
    const last = this.discoveredAt.get(deviceId);
    if (last !== undefined && now - last < this.options.discoveredWriteIntervalMs) return;
    this.discoveredAt.set(deviceId, now);
    this.pendingDiscovered.push(JSON.stringify({ device_id: deviceId, protocol, transport, remote, seen_ts: now }));
  }

  /** Writes discovered devices noted since the last write (called on every refresh tick). */
  async flushDiscovered(): Promise<void> {
    if (this.pendingDiscovered.length === 0) return;
    const lines = this.pendingDiscovered;
    this.pendingDiscovered = [];
    try {
      await this.store.insertJsonLines('discovered_devices', lines.join('\n'));
    } catch (err) {
      this.pendingDiscovered.unshift(...lines);
      throw err;
    }
  }

  /** Registers or updates a device (used by the API and tests). */
  async upsert(entry: { deviceId: string; protocol: string; protocols?: readonly string[]; password?: string | null; status?: DeviceStatus }): Promise<void> {
    const row = {
      device_id: entry.deviceId,
      protocol: entry.protocol,
      protocols: allowedProtocols(entry.protocol, entry.protocols).slice(1),
      password_hash: entry.password ? hashPassword(entry.password) : '',
      status: entry.status ?? 'active',
      version: String(this.nextVersion()),
      deleted: 0,
    };
    await this.store.insert('devices', [row]);
  }

  /** Versions must increase even for two writes in the same millisecond. */
  private lastWritten = 0;
  private nextVersion(): number {
    this.lastWritten = Math.max(this.now(), this.lastWritten + 1);
    return this.lastWritten;
  }
}
