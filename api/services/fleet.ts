/**
 * Fleet health. `FleetTracker` knows, per device, when it was last heard from and where it last
 * was: from every committed record of this process at once (it is a record sink, next to the
 * rating engine), and from ClickHouse's `device_last_seen` view — fed by every gateway instance — on
 * start and every `refreshMs`. `FleetHealth` joins that with the configuration snapshot:
 * billed-but-silent devices and data nobody bills, counted and listed; computed at most once a
 * second per threshold pair.
 */
import type { Logger } from 'pino';
import type { CommittedRecord } from '../../protocols/record.ts';
import { localDateOf } from '../../rating/calendar.ts';
import { sqlNumber } from '../../store/sql.ts';
import { DEVICE_LAST_TABLE } from '../migrations.ts';
import type { Store } from '../../store/types.ts';
import type { FleetDevice, FleetState, FleetSummary } from '../schemas/fleet.ts';
import type { Snapshot } from './snapshot.ts';

export interface Position {
  readonly at: number;
  readonly latitude: number;
  readonly longitude: number;
  readonly speed: number | null;
  readonly course: number | null;
}

export interface DeviceSighting {
  lastReceived: number;
  firstReceived: number;
  protocol: string;
  position: Position | null;
  /** Bumped whenever this process ingests a record of the device (usage caches compare it). */
  seq: number;
}

const AHEAD_MS = 600_000;

interface LastRow {
  device_id: string;
  ins: string;
  last_ts: string;
  first_ts: string;
  last_protocol: string;
  position_ts: string;
  lat: number;
  lon: number;
  speed: number;
  course: number;
}

/**
 * Devices with rows inserted at or after `sinceSec` (seconds, the ClickHouse server's clock — the
 * `ins` column returned is on the same clock), or all of them.
 */
export function deviceLastSql(sinceSec: number | null): string {
  // Aliases differ from the column names: newer ClickHouse resolves a name to the alias first.
  const having = sinceSec === null ? '' : ` HAVING maxMerge(inserted) >= toDateTime(${sqlNumber(sinceSec)})`;
  return (
    'SELECT device_id, toString(toUInt32(maxMerge(inserted))) AS ins, toString(maxMerge(last_received)) AS last_ts, toString(minMerge(first_received)) AS first_ts, ' +
    'argMaxMerge(protocol) AS last_protocol, toString(maxIfMerge(pos_ts)) AS position_ts, argMaxIfMerge(pos_lat) AS lat, argMaxIfMerge(pos_lon) AS lon, ' +
    `argMaxIfMerge(pos_speed) AS speed, argMaxIfMerge(pos_course) AS course FROM ${DEVICE_LAST_TABLE} GROUP BY device_id${having}`
  );
}

/** Inserts still in flight when a refresh reads may carry an earlier `now()`: re-read this much. */
const INSERT_OVERLAP_SEC = 30;

export class FleetTracker {
  private readonly devices = new Map<string, DeviceSighting>();
  private seqCounter = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Newest insert time seen in device_last_seen (server clock, seconds); null before the first read. */
  private watermark: number | null = null;

  constructor(
    private readonly store: Store,
    private readonly options: { readonly refreshMs?: number; readonly log?: Pick<Logger, 'warn'>; readonly now?: () => number } = {},
  ) {}

  /** Record sink: called with every committed batch (hot path: a map lookup per device run). */
  ingest(records: readonly CommittedRecord[]): void {
    let lastId: string | null = null;
    let s: DeviceSighting | undefined;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (r.deviceId !== lastId) {
        lastId = r.deviceId;
        s = this.devices.get(lastId);
        if (s === undefined) {
          s = { lastReceived: r.receivedAt, firstReceived: r.receivedAt, protocol: r.protocol, position: null, seq: 0 };
          this.devices.set(lastId, s);
        }
        s.seq = ++this.seqCounter;
      }
      const d = s!;
      if (r.receivedAt > d.lastReceived) {
        d.lastReceived = r.receivedAt;
        d.protocol = r.protocol;
      }
      if (r.receivedAt < d.firstReceived) d.firstReceived = r.receivedAt;
      const t = r.deviceTime;
      if (r.valid && t !== null && r.latitude !== null && r.longitude !== null && t <= r.receivedAt + AHEAD_MS && (d.position === null || t > d.position.at)) {
        d.position = { at: t, latitude: r.latitude, longitude: r.longitude, speed: r.speed, course: r.course };
      }
    }
  }

  get(deviceId: string): DeviceSighting | undefined {
    return this.devices.get(deviceId);
  }

  get size(): number {
    return this.devices.size;
  }

  seq(deviceId: string): number {
    return this.devices.get(deviceId)?.seq ?? -1;
  }

  entries(): IterableIterator<[string, DeviceSighting]> {
    return this.devices.entries();
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((err: Error) => this.options.log?.warn({ err: err.message }, 'fleet refresh from device_last_seen failed'));
    }, this.options.refreshMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Merges what every instance inserted since the last refresh — by insert time on the server's
   * clock, so neither a batch committed late nor clock skew between hosts loses a sighting.
   */
  async refresh(): Promise<void> {
    const since = this.watermark === null ? null : this.watermark - INSERT_OVERLAP_SEC;
    const rows = await this.store.query<LastRow>(deviceLastSql(since));
    for (const r of rows) {
      const ins = Number(r.ins);
      if (this.watermark === null || ins > this.watermark) this.watermark = ins;
      const last = Number(r.last_ts);
      const first = Number(r.first_ts);
      const posAt = Number(r.position_ts);
      const pos: Position | null = posAt > 0 ? { at: posAt, latitude: r.lat, longitude: r.lon, speed: r.speed < 0 ? null : r.speed, course: r.course < 0 ? null : r.course } : null;
      const s = this.devices.get(r.device_id);
      if (s === undefined) {
        this.devices.set(r.device_id, { lastReceived: last, firstReceived: first, protocol: r.last_protocol, position: pos, seq: 0 });
        continue;
      }
      if (last > s.lastReceived) {
        s.lastReceived = last;
        s.protocol = r.last_protocol;
      }
      if (first < s.firstReceived) s.firstReceived = first;
      if (pos !== null && (s.position === null || pos.at > s.position.at)) s.position = pos;
    }
  }
}

export interface Thresholds {
  readonly onlineMinutes: number;
  readonly silentHours: number;
}
export const DEFAULT_THRESHOLDS: Thresholds = { onlineMinutes: 10, silentHours: 24 };

/** A device's standing now: registry, account and tariff today, last contact. */
export interface FleetRow {
  readonly deviceId: string;
  readonly registered: boolean;
  readonly status: 'active' | 'blocked' | null;
  readonly protocol: string | null;
  readonly accountId: string | null;
  readonly tariffId: string | null;
  readonly billed: boolean;
  readonly sighting: DeviceSighting | undefined;
}

interface BillingState {
  readonly accountId: string | null;
  readonly tariffId: string | null;
  readonly billed: boolean;
}

interface Computed {
  readonly key: string;
  readonly rows: FleetRow[];
}

export class FleetHealth {
  private computed: Computed | null = null;
  private states: { generation: number; quarter: number; map: Map<string, BillingState> } | null = null;
  private summaries = new Map<string, { at: number; generation: number; summary: FleetSummary }>();

  constructor(
    private readonly tracker: FleetTracker,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Every device known: registered, assigned, or heard from; sorted by id. Rows hold the tracker's
   * live sightings, so they are rebuilt only when the set of devices, the snapshot or the quarter
   * hour (local dates) changes.
   */
  rows(snap: Snapshot): FleetRow[] {
    const now = this.now();
    const key = `${snap.generation}:${this.tracker.size}:${Math.floor(now / 900_000)}`;
    if (this.computed !== null && this.computed.key === key) return this.computed.rows;
    const states = this.billingStates(snap, now);
    const ids = new Set<string>(snap.devices.keys());
    for (const id of states.keys()) ids.add(id);
    for (const [id] of this.tracker.entries()) ids.add(id);
    const rows: FleetRow[] = [];
    for (const deviceId of [...ids].sort()) {
      const reg = snap.devices.get(deviceId);
      const st = states.get(deviceId);
      rows.push({
        deviceId,
        registered: reg !== undefined,
        status: reg?.status ?? null,
        protocol: reg?.protocol ?? this.tracker.get(deviceId)?.protocol ?? null,
        accountId: st?.accountId ?? null,
        tariffId: st?.tariffId ?? null,
        billed: reg !== undefined && reg.status === 'active' && st !== undefined && st.billed,
        sighting: this.tracker.get(deviceId),
      });
    }
    this.computed = { key, rows };
    return rows;
  }

  state(row: FleetRow, t: Thresholds, now: number): { online: boolean; silent: boolean; unbilled: boolean } {
    const last = row.sighting?.lastReceived ?? null;
    const online = last !== null && now - last <= t.onlineMinutes * 60_000;
    const recent = last !== null && now - last <= t.silentHours * 3_600_000;
    return { online, silent: row.billed && !recent, unbilled: !row.billed && recent && row.status !== 'blocked' };
  }

  matches(row: FleetRow, state: FleetState, t: Thresholds, now: number): boolean {
    const s = this.state(row, t, now);
    switch (state) {
      case 'online':
        return s.online;
      case 'offline':
        return !s.online;
      case 'silent':
        return s.silent;
      case 'unbilled':
        return s.unbilled;
      case 'never-seen':
        return row.sighting === undefined;
    }
  }

  view(row: FleetRow, t: Thresholds, now: number): FleetDevice {
    const s = this.state(row, t, now);
    const g = row.sighting;
    return {
      deviceId: row.deviceId,
      registered: row.registered,
      status: row.status,
      protocol: row.protocol,
      accountId: row.accountId,
      tariffId: row.tariffId,
      billed: row.billed,
      ...s,
      lastSeen: g ? new Date(g.lastReceived).toISOString() : null,
      firstSeen: g ? new Date(g.firstReceived).toISOString() : null,
      lastPosition: g?.position ? { at: new Date(g.position.at).toISOString(), latitude: g.position.latitude, longitude: g.position.longitude, speed: g.position.speed, course: g.position.course } : null,
    };
  }

  summary(snap: Snapshot, t: Thresholds): FleetSummary {
    const now = this.now();
    const key = `${t.onlineMinutes}:${t.silentHours}`;
    const hit = this.summaries.get(key);
    if (hit !== undefined && hit.generation === snap.generation && now - hit.at < 1000) return hit.summary;
    const counts = { registered: 0, blocked: 0, billed: 0, onlineNow: 0, silent: 0, unbilled: 0, unregistered: 0, neverSeen: 0 };
    for (const row of this.rows(snap)) {
      const s = this.state(row, t, now);
      if (row.registered) counts.registered++;
      if (row.status === 'blocked') counts.blocked++;
      if (row.billed) counts.billed++;
      if (s.online) counts.onlineNow++;
      if (s.silent) counts.silent++;
      if (s.unbilled) {
        counts.unbilled++;
        if (!row.registered) counts.unregistered++;
      }
      if (row.registered && row.sighting === undefined) counts.neverSeen++;
    }
    const summary: FleetSummary = { asOf: new Date(now).toISOString(), thresholds: { ...t }, counts };
    if (this.summaries.size > 100) this.summaries.clear();
    this.summaries.set(key, { at: now, generation: snap.generation, summary });
    return summary;
  }

  /** Account and tariff per device today (each account's own local date), recomputed every quarter hour or on a new snapshot. */
  private billingStates(snap: Snapshot, now: number): Map<string, BillingState> {
    const quarter = Math.floor(now / 900_000);
    if (this.states !== null && this.states.generation === snap.generation && this.states.quarter === quarter) return this.states.map;
    const map = new Map<string, BillingState>();
    const today = new Map<string, string>();
    const localToday = (zone: string) => {
      let d = today.get(zone);
      if (d === undefined) today.set(zone, (d = localDateOf(now, zone)));
      return d;
    };
    const ids = new Set<string>(snap.devices.keys());
    for (const a of snap.raw.deviceAssignments) ids.add(a.deviceId);
    for (const deviceId of ids) {
      const accountId = snap.accountIdAt(deviceId, now);
      if (accountId === null) {
        map.set(deviceId, { accountId: null, tariffId: null, billed: false });
        continue;
      }
      const date = localToday(snap.index.account(accountId).timeZone);
      const v = snap.index.versionFor(accountId, deviceId, date);
      const suspended = snap.index.suspended(accountId, deviceId, date);
      map.set(deviceId, { accountId, tariffId: v?.tariffId ?? null, billed: v !== null && !suspended });
    }
    this.states = { generation: snap.generation, quarter, map };
    return map;
  }
}
