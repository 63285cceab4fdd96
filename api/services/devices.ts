/**
 * Devices: the gateway's registry (the `devices` table the ingest path caches, reached through
 * `DeviceDirectory`) and rating's effective-dated device → account history. A registration or
 * change is visible to this process's ingest at once (the registry is refreshed after the write)
 * and to other instances within their registry refresh interval (~1 s).
 */
import type { RatingService } from '../../rating/service.ts';
import { canonicalJson } from '../../rating/canonical-json.ts';
import { Claims, inProgress } from '../../store/claims.ts';
import { type DeviceStatus, allowedProtocols } from '../../store/devices.ts';
import { sqlDate, sqlString } from '../../store/sql.ts';
import type { Store } from '../../store/types.ts';
import { conflict, dateConflict, notFound, rated } from '../errors.ts';
import type { AssignmentInput, Device, DeviceCreate, DevicePatch, DiscoveredRegister } from '../schemas/devices.ts';
import type { Actor, AuditLog } from './audit.ts';
import { assertOpen, decideDated } from './effective-dates.ts';
import type { FleetTracker } from './fleet.ts';
import { type ListParams, type Page, mapPage, paginate } from './list.ts';
import type { RegistryDevice, Snapshot, SnapshotSource } from './snapshot.ts';

/**
 * What the API needs of the device registry: write a device, and reload so this process's
 * gateway sees the write at once. app/ hands in the gateway's registry (ingest/device-registry.ts).
 */
export interface DeviceDirectory {
  upsert(entry: { deviceId: string; protocol: string; protocols?: readonly string[]; password?: string | null; status?: DeviceStatus }): Promise<void>;
  refresh(): Promise<void>;
}

export interface DeviceFilter {
  readonly status?: string;
  readonly protocol?: string;
  readonly accountId?: string;
  readonly idPrefix?: string;
}

export interface DiscoveredDevice {
  readonly id: string;
  readonly protocol: string;
  readonly transport: string;
  readonly remote: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class DevicesService {
  constructor(
    private readonly store: Store,
    private readonly rating: RatingService,
    private readonly registry: DeviceDirectory,
    private readonly snapshots: SnapshotSource,
    private readonly tracker: FleetTracker,
    private readonly audit: AuditLog,
    private readonly claims: Claims,
    private readonly now: () => number = Date.now,
  ) {}

  view(snap: Snapshot, d: RegistryDevice): Device {
    const seen = this.tracker.get(d.deviceId);
    return {
      id: d.deviceId,
      protocol: d.protocol as Device['protocol'],
      protocols: d.protocols as Device['protocols'],
      status: d.status,
      hasPassword: d.hasPassword,
      account: snap.accountAt(d.deviceId, this.now()),
      lastSeen: seen ? iso(seen.lastReceived) : null,
      updatedAt: iso(d.updatedAt),
    };
  }

  async list(filter: DeviceFilter, params: ListParams): Promise<Page<Device>> {
    const snap = await this.snapshots.get();
    const now = this.now();
    let ids = snap.registeredIds();
    if (filter.accountId !== undefined) {
      const on = new Set(snap.index.devicesEverOn(filter.accountId).filter((id) => snap.accountAt(id, now)?.accountId === filter.accountId));
      ids = ids.filter((id) => on.has(id));
    }
    const items = ids
      .map((id) => snap.devices.get(id)!)
      .filter((d) => (filter.status === undefined || d.status === filter.status) && (filter.protocol === undefined || d.protocol === filter.protocol) && (filter.idPrefix === undefined || d.deviceId.startsWith(filter.idPrefix)));
    const page = paginate(items, params, { id: (d) => d.deviceId, lastSeen: (d) => this.tracker.get(d.deviceId)?.lastReceived ?? null }, (d) => d.deviceId, 'id', 'id');
    return mapPage(page, (d) => this.view(snap, d));
  }

  async get(id: string): Promise<Device> {
    const snap = await this.snapshots.get();
    const d = snap.devices.get(id);
    if (d === undefined) throw notFound('device', id);
    return this.view(snap, d);
  }

  async create(input: DeviceCreate, actor: Actor): Promise<Device> {
    const snap = await this.snapshots.get();
    if (snap.devices.has(input.id)) throw conflict(`device ${JSON.stringify(input.id)} is already registered`, { deviceId: input.id });
    if (input.account !== undefined) {
      if (!snap.hasAccount(input.account.accountId)) throw notFound('account', input.account.accountId);
      await this.checkAssignment(snap, input.id, { accountId: input.account.accountId, effectiveFrom: input.account.effectiveFrom });
    }
    // The cached check above answers the common case; the claim decides the race (store/claims.ts).
    // (Whether it has a password, never the password: claims are readable.)
    const content = canonicalJson({ id: input.id, protocol: input.protocol, protocols: input.protocols ?? [], hasPassword: (input.password ?? null) !== null, status: input.status ?? 'active', account: input.account ?? null });
    const claimed = await this.claims.decide(`device:${input.id}`, Claims.intent(content), () => this.registered(input.id));
    if (claimed.kind !== 'write') throw conflict(`device ${JSON.stringify(input.id)} is already registered`, { deviceId: input.id, ...inProgress(claimed) });
    await this.registry.upsert({ deviceId: input.id, protocol: input.protocol, ...(input.protocols ? { protocols: input.protocols } : {}), password: input.password ?? null, status: input.status ?? 'active' });
    if (input.account !== undefined) await rated(() => this.rating.assignDevice(input.id, input.account!.accountId, input.account!.effectiveFrom), 'account.effectiveFrom');
    await this.changed();
    const after = await this.snapshots.get();
    const view = this.view(after, after.devices.get(input.id)!);
    await this.audit.record(actor, 'device.create', 'device', input.id, null, view);
    return view;
  }

  async patch(id: string, patch: DevicePatch, actor: Actor): Promise<Device> {
    const snap = await this.snapshots.get();
    const cur = snap.devices.get(id);
    if (cur === undefined) throw notFound('device', id);
    const protocol = patch.protocol ?? cur.protocol;
    // A new `protocol` alone keeps the other protocols listed; `protocols` replaces the list.
    const protocols = allowedProtocols(protocol, patch.protocols ?? cur.protocols.filter((p) => p !== cur.protocol));
    const status = patch.status ?? cur.status;
    if (patch.password !== undefined || !cur.hasPassword) {
      await this.registry.upsert({ deviceId: id, protocol, protocols, password: patch.password ?? null, status });
    } else {
      // Keep the stored password: DeviceRegistry.upsert only takes a plain-text password, so the
      // row is written here with the hash it already has (same format, newer version).
      const hash = (await this.store.query<{ h: string }>(`SELECT password_hash AS h FROM devices FINAL WHERE device_id = ${sqlString(id)}`))[0]?.h ?? '';
      await this.store.insert('devices', [{ device_id: id, protocol, protocols: protocols.slice(1), password_hash: hash, status, version: String(Math.max(this.now(), cur.updatedAt + 1)), deleted: 0 }]);
    }
    await this.changed();
    const after = await this.snapshots.get();
    const view = this.view(after, after.devices.get(id)!);
    await this.audit.record(actor, 'device.update', 'device', id, this.view(snap, cur), { ...view, passwordChanged: patch.password !== undefined });
    return view;
  }

  async assignments(id: string) {
    const snap = await this.snapshots.get();
    if (!snap.devices.has(id) && snap.deviceAssignments(id).length === 0) throw notFound('device', id);
    return this.assignmentView(snap, id);
  }

  private assignmentView(snap: Snapshot, id: string) {
    return {
      deviceId: id,
      current: snap.accountAt(id, this.now()),
      items: snap.deviceAssignments(id).map((a) => ({ accountId: a.accountId, effectiveFrom: a.effectiveFrom, recordedAt: iso(a.recordedAt) })),
    };
  }

  async assign(id: string, input: AssignmentInput, actor: Actor) {
    const snap = await this.snapshots.get();
    if (!snap.devices.has(id) && snap.deviceAssignments(id).length === 0) throw notFound('device', id);
    if (input.accountId !== null && !snap.hasAccount(input.accountId)) throw notFound('account', input.accountId);
    const decision = await this.checkAssignment(snap, id, input);
    if (decision === 'unchanged') return { ...this.assignmentView(snap, id), result: 'unchanged' as const };
    const before = this.assignmentView(snap, id);
    if (!(input.correction ?? false)) {
      // One entry per date: the claim on (device, date) decides a race. A correction is a
      // deliberate rewrite (the later record wins for its date) and is not claimed.
      const claimed = await this.claims.decide(`device-account:${id}:${input.effectiveFrom}`, input.accountId ?? '', () => this.assigned(id, input.effectiveFrom, input.accountId));
      if (claimed.kind === 'same') {
        this.snapshots.invalidate();
        return { ...this.assignmentView(await this.snapshots.get(), id), result: 'unchanged' as const };
      }
      if (claimed.kind !== 'write') {
        const value = claimed.winner.intent === '' ? null : claimed.winner.intent;
        throw dateConflict(`device ${id}: effectiveFrom ${input.effectiveFrom} was just assigned${claimed.kind === 'pending' ? ' (being recorded)' : ''} to ${value ?? 'no account'}; send correction: true to rewrite it`, [{ effectiveFrom: input.effectiveFrom, value }], inProgress(claimed));
      }
    }
    await rated(() => this.rating.assignDevice(id, input.accountId, input.effectiveFrom), 'effectiveFrom');
    await this.changed();
    const after = this.assignmentView(await this.snapshots.get(), id);
    await this.audit.record(actor, 'device.assign', 'device', id, before.items, { accountId: input.accountId, effectiveFrom: input.effectiveFrom, correction: input.correction ?? false });
    return { ...after, result: 'created' as const };
  }

  /** Effective-date rules for a device → account entry (see effective-dates.ts). */
  private async checkAssignment(snap: Snapshot, id: string, input: { accountId: string | null; effectiveFrom: string; correction?: boolean }) {
    const tl = snap.deviceTimeline(id).map((e) => ({ effectiveFrom: e.effectiveFrom, value: e.accountId, recordedAt: e.recordedAt }));
    const decision = decideDated(tl, input.effectiveFrom, input.accountId, input.correction ?? false, `device ${id}`);
    if (decision === 'create') {
      // The accounts whose bills the change touches: the one it joins and the one in effect then.
      const before = tl.filter((e) => e.effectiveFrom <= input.effectiveFrom).pop()?.value ?? null;
      const touched = [input.accountId, before].filter((a): a is string => a !== null);
      await assertOpen(this.rating.statements, touched, input.effectiveFrom, input.correction ?? false, `device ${id}`);
    }
    return decision;
  }

  async discovered(protocol: string | undefined, params: ListParams): Promise<Page<DiscoveredDevice>> {
    const snap = await this.snapshots.get();
    const items = (await this.loadDiscovered()).filter((d) => !snap.devices.has(d.id) && (protocol === undefined || d.protocol === protocol));
    return paginate(items, params, { id: (d) => d.id, lastSeen: (d) => d.lastSeen, firstSeen: (d) => d.firstSeen }, (d) => d.id, '-lastSeen');
  }

  /** Registers a discovered device and assigns it to an account in one call. */
  async registerDiscovered(id: string, input: DiscoveredRegister, actor: Actor): Promise<Device> {
    const found = (await this.loadDiscovered(id))[0];
    if (found === undefined) throw notFound('discovered device', id);
    return this.create({ id, protocol: input.protocol ?? (found.protocol as DeviceCreate['protocol']), password: input.password ?? null, account: { accountId: input.accountId, effectiveFrom: input.effectiveFrom } }, actor);
  }

  private async loadDiscovered(id?: string): Promise<DiscoveredDevice[]> {
    const rows = await this.store.query<{ device_id: string; protocol: string; transport: string; remote: string; first: string; last: string }>(
      'SELECT device_id, argMax(protocol, seen_ts) AS protocol, argMax(transport, seen_ts) AS transport, argMax(remote, seen_ts) AS remote, ' +
        `toString(min(seen_ts)) AS first, toString(max(seen_ts)) AS last FROM discovered_devices${id === undefined ? '' : ` WHERE device_id = ${sqlString(id)}`} GROUP BY device_id`,
    );
    return rows.map((r) => ({ id: r.device_id, protocol: r.protocol, transport: r.transport, remote: r.remote, firstSeen: iso(Number(r.first)), lastSeen: iso(Number(r.last)) }));
  }

  /** Read from storage, past the snapshot. */
  private async registered(id: string): Promise<boolean> {
    return (await this.store.query(`SELECT device_id FROM devices FINAL WHERE device_id = ${sqlString(id)} AND deleted = 0`)).length > 0;
  }

  private async assigned(id: string, date: string, accountId: string | null): Promise<boolean> {
    const rows = await this.store.query(
      `SELECT device_id FROM rating_device_accounts WHERE device_id = ${sqlString(id)} AND effective_from = ${sqlDate(date)} AND account_id = ${sqlString(accountId ?? '')} LIMIT 1`,
    );
    return rows.length > 0;
  }

  private async changed(): Promise<void> {
    this.snapshots.invalidate();
    // This process's ingest sees the change now; other instances on their next refresh (~1 s).
    await this.registry.refresh();
  }
}

