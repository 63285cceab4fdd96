/** Tariffs: immutable numbered versions (rating_tariff_versions) and effective-dated assignments. */
import type { TariffAssignment } from '../../rating/assignments.ts';
import { timeline } from '../../rating/assignments.ts';
import type { RatingService } from '../../rating/service.ts';
import { type TariffVersion, definitionHash, parseTariffDefinition, tariffVersion } from '../../rating/tariff.ts';
import { Claims, inProgress } from '../../store/claims.ts';
import { sqlDate, sqlNumber, sqlString } from '../../store/sql.ts';
import type { Store } from '../../store/types.ts';
import { ApiError, conflict, dateConflict, notFound, rated } from '../errors.ts';
import type { Tariff, TariffAssignmentCreate, TariffCreate, VersionCreate } from '../schemas/tariffs.ts';
import type { Actor, AuditLog } from './audit.ts';
import { assertOpen, decideDated } from './effective-dates.ts';
import { type ListParams, type Page, paginate } from './list.ts';
import type { Snapshot, SnapshotSource } from './snapshot.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** The model decides which price field is required (the schema allows both). */
export function checkPrice(price: { model: string; unitPrice?: string; tiers?: readonly unknown[] }, field = 'body.definition.price'): void {
  const fail = (f: string, msg: string) => {
    throw new ApiError('FM_ERR_VALIDATION', `${field}.${f}: ${msg}`, { field: `${field}.${f}` });
  };
  if (price.model === 'per-unit') {
    if (price.unitPrice === undefined) fail('unitPrice', 'is required for model per-unit');
    if (price.tiers !== undefined) fail('tiers', 'is not allowed for model per-unit');
  } else {
    if (price.tiers === undefined) fail('tiers', `is required for model ${price.model}`);
    if (price.unitPrice !== undefined) fail('unitPrice', `is not allowed for model ${price.model}; prices go in tiers`);
  }
}

function tariffView(id: string, versions: readonly TariffVersion[]): Tariff {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  const latest = sorted[sorted.length - 1];
  return { id, name: latest.definition.name, unit: latest.definition.unit, currency: latest.definition.currency, latestVersion: latest.version, versions: sorted as Tariff['versions'] };
}

function assignmentView(t: TariffAssignment) {
  return { accountId: t.accountId, deviceId: t.deviceId, tariffId: t.tariffId, effectiveFrom: t.effectiveFrom, recordedAt: iso(t.recordedAt) };
}

export class TariffsService {
  constructor(
    private readonly store: Store,
    private readonly rating: RatingService,
    private readonly snapshots: SnapshotSource,
    private readonly audit: AuditLog,
    private readonly claims: Claims,
  ) {}

  /** Claims (tariff, version) for this content (store/claims.ts): the one race decision for versions. */
  private claimVersion(v: TariffVersion) {
    const intent = Claims.intent(v.effectiveFrom, definitionHash(v.definition));
    return this.claims.decide(`tariff-version:${v.tariffId}:${v.version}`, intent, async () => {
      const rows = await this.store.query(`SELECT version FROM rating_tariff_versions WHERE tariff_id = ${sqlString(v.tariffId)} AND version = ${sqlNumber(v.version)} LIMIT 1`);
      return rows.length > 0;
    });
  }

  async list(filter: { unit?: string; currency?: string }, params: ListParams): Promise<Page<Tariff>> {
    const snap = await this.snapshots.get();
    const items = snap
      .tariffIds()
      .map((id) => tariffView(id, snap.index.tariffVersions(id)))
      .filter((t) => (filter.unit === undefined || t.unit === filter.unit) && (filter.currency === undefined || t.currency === filter.currency));
    return paginate(items, params, { id: (t) => t.id, name: (t) => t.name }, (t) => t.id, 'id', 'id');
  }

  async get(id: string): Promise<Tariff> {
    const snap = await this.snapshots.get();
    const versions = snap.index.tariffVersions(id);
    if (versions.length === 0) throw notFound('tariff', id);
    return tariffView(id, versions);
  }

  async version(id: string, version: number): Promise<TariffVersion> {
    const snap = await this.snapshots.get();
    const versions = snap.index.tariffVersions(id);
    if (versions.length === 0) throw notFound('tariff', id);
    const v = versions.find((x) => x.version === version);
    if (v === undefined) throw notFound('tariff version', `${id}@${version}`);
    return v;
  }

  async create(input: TariffCreate, actor: Actor): Promise<Tariff> {
    const snap = await this.snapshots.get();
    checkPrice(input.definition.price);
    if (snap.index.tariffVersions(input.id).length > 0) throw conflict(`tariff ${JSON.stringify(input.id)} already exists; add a version instead`, { tariffId: input.id });
    const v = await rated(() => tariffVersion(input.id, 1, input.effectiveFrom, input.definition), 'definition');
    const claimed = await this.claimVersion(v);
    if (claimed.kind !== 'write') throw conflict(`tariff ${JSON.stringify(input.id)} already exists; add a version instead`, { tariffId: input.id, ...inProgress(claimed) });
    await rated(() => this.rating.putTariffVersion(v));
    this.snapshots.invalidate();
    const view = await this.get(input.id);
    await this.audit.record(actor, 'tariff.create', 'tariff', input.id, null, view);
    return view;
  }

  async addVersion(id: string, input: VersionCreate, actor: Actor): Promise<{ result: 'created' | 'unchanged'; version: TariffVersion }> {
    const snap = await this.snapshots.get();
    const versions = snap.index.tariffVersions(id);
    if (versions.length === 0) throw notFound('tariff', id);
    checkPrice(input.definition.price);
    const latest = versions.reduce((a, b) => (b.version > a.version ? b : a));
    const number = input.version ?? latest.version + 1;
    const def = await rated(() => parseTariffDefinition(input.definition), 'definition');
    const existing = versions.find((v) => v.version === number);
    if (existing !== undefined) {
      if (existing.effectiveFrom === input.effectiveFrom && definitionHash(existing.definition) === definitionHash(def)) return { result: 'unchanged', version: existing };
      throw conflict(`tariff ${id} version ${number} exists with other content; versions are immutable — add version ${latest.version + 1}`, { tariffId: id, version: number, nextVersion: latest.version + 1 });
    }
    if (number !== latest.version + 1) throw conflict(`tariff ${id}: the next version is ${latest.version + 1}, got ${number}`, { field: 'version', nextVersion: latest.version + 1 });
    const correction = input.correction ?? false;
    if (!correction && input.effectiveFrom <= latest.effectiveFrom) {
      const later = versions.filter((v) => v.effectiveFrom >= input.effectiveFrom).sort((a, b) => a.version - b.version);
      throw dateConflict(
        `tariff ${id}: effectiveFrom ${input.effectiveFrom} is on or before version ${latest.version}'s (${latest.effectiveFrom}); send correction: true to supersede it`,
        later.map((v) => ({ version: v.version, effectiveFrom: v.effectiveFrom })),
      );
    }
    const users = this.accountsUsing(snap, id);
    const clash = users.filter((a) => snap.index.account(a).currency !== def.currency);
    if (clash.length > 0) throw conflict(`tariff ${id} is used by accounts billed in another currency than ${def.currency}: ${clash.join(', ')}`, { field: 'definition.currency', accounts: clash });
    await assertOpen(this.rating.statements, users, input.effectiveFrom, correction, `tariff ${id}`);
    const v = await rated(() => tariffVersion(id, number, input.effectiveFrom, def), 'definition');
    const claimed = await this.claimVersion(v);
    if (claimed.kind === 'same') return { result: 'unchanged', version: v };
    if (claimed.kind !== 'write') {
      throw conflict(`tariff ${id} version ${number} was just added${claimed.kind === 'pending' ? ' (being recorded)' : ''} with other content; versions are immutable — add version ${number + 1}`, {
        tariffId: id,
        version: number,
        nextVersion: number + 1,
        ...inProgress(claimed),
      });
    }
    const result = await rated(() => this.rating.putTariffVersion(v));
    this.snapshots.invalidate();
    await this.audit.record(actor, 'tariff.version', 'tariff', id, { version: latest.version }, { ...v, correction });
    return { result, version: v };
  }

  private accountsUsing(snap: Snapshot, tariffId: string): string[] {
    return [...new Set(snap.raw.tariffAssignments.filter((t) => t.tariffId === tariffId).map((t) => t.accountId))].sort();
  }

  async assignments(accountId: string, filter: { deviceId?: string; level?: 'account' | 'device' | 'all' }, params: ListParams) {
    const snap = await this.snapshots.get();
    if (!snap.hasAccount(accountId)) throw notFound('account', accountId);
    const level = filter.level ?? 'all';
    const items = snap
      .tariffAssignments(accountId)
      .filter((t) => (level === 'all' || (level === 'account') === (t.deviceId === null)) && (filter.deviceId === undefined || t.deviceId === filter.deviceId));
    const idOf = (t: TariffAssignment) => `${t.deviceId ?? ''}|${t.effectiveFrom}|${String(t.recordedAt).padStart(16, '0')}`;
    const page = paginate(items, params, { effectiveFrom: (t) => t.effectiveFrom }, idOf, 'effectiveFrom');
    return { items: page.items.map(assignmentView), nextCursor: page.nextCursor };
  }

  async assign(accountId: string, input: TariffAssignmentCreate, actor: Actor) {
    const snap = await this.snapshots.get();
    if (!snap.hasAccount(accountId)) throw notFound('account', accountId);
    const deviceId = input.deviceId ?? null;
    if (deviceId !== null && !snap.index.devicesEverOn(accountId).includes(deviceId)) {
      throw new ApiError('FM_ERR_NOT_FOUND', `device ${JSON.stringify(deviceId)} has never been on account ${accountId}`, { field: 'deviceId', id: deviceId });
    }
    if (input.tariffId !== null) {
      const versions = snap.index.tariffVersions(input.tariffId);
      if (versions.length === 0) throw new ApiError('FM_ERR_NOT_FOUND', `tariff ${JSON.stringify(input.tariffId)} not found`, { field: 'tariffId', id: input.tariffId });
      const account = snap.index.account(accountId);
      const other = versions.filter((v) => v.definition.currency !== account.currency);
      if (other.length > 0) throw conflict(`tariff ${input.tariffId} is priced in ${other[0].definition.currency}, account ${accountId} is billed in ${account.currency}`, { field: 'tariffId' });
    }
    const key = snap.tariffAssignments(accountId).filter((t) => t.deviceId === deviceId);
    const tl = timeline(key).map((t) => ({ effectiveFrom: t.effectiveFrom, value: t.tariffId, recordedAt: t.recordedAt }));
    const what = deviceId === null ? `account ${accountId} tariff` : `device ${deviceId} tariff override on ${accountId}`;
    const correction = input.correction ?? false;
    const decision = decideDated(tl, input.effectiveFrom, input.tariffId, correction, what);
    if (decision === 'unchanged') {
      const cur = timeline(key).filter((t) => t.effectiveFrom <= input.effectiveFrom).pop() ?? key[0];
      return { result: 'unchanged' as const, assignment: assignmentView(cur) };
    }
    await assertOpen(this.rating.statements, [accountId], input.effectiveFrom, correction, what);
    if (!correction) {
      // One entry per date and key: the claim decides a race (a correction is not claimed, see devices.ts).
      const claimed = await this.claims.decide(`tariff-assignment:${accountId}:${deviceId ?? ''}:${input.effectiveFrom}`, input.tariffId ?? '', async () => {
        const rows = await this.store.query(
          `SELECT tariff_id FROM rating_tariff_assignments WHERE account_id = ${sqlString(accountId)} AND device_id = ${sqlString(deviceId ?? '')} AND effective_from = ${sqlDate(input.effectiveFrom)} AND tariff_id = ${sqlString(input.tariffId ?? '')} LIMIT 1`,
        );
        return rows.length > 0;
      });
      if (claimed.kind === 'same') {
        this.snapshots.invalidate();
        const rec = (await this.snapshots.get()).tariffAssignments(accountId).find((t) => t.deviceId === deviceId && t.effectiveFrom === input.effectiveFrom && t.tariffId === input.tariffId)!;
        return { result: 'unchanged' as const, assignment: assignmentView(rec) };
      }
      if (claimed.kind !== 'write') {
        const value = claimed.winner.intent === '' ? null : claimed.winner.intent;
        throw dateConflict(`${what}: effectiveFrom ${input.effectiveFrom} was just assigned${claimed.kind === 'pending' ? ' (being recorded)' : ''} to ${value ?? 'no tariff'}; send correction: true to rewrite it`, [{ effectiveFrom: input.effectiveFrom, value }], inProgress(claimed));
      }
    }
    await rated(() => this.rating.assignTariff({ accountId, deviceId, tariffId: input.tariffId, effectiveFrom: input.effectiveFrom }), 'effectiveFrom');
    this.snapshots.invalidate();
    const after = await this.snapshots.get();
    const rec = after
      .tariffAssignments(accountId)
      .filter((t) => t.deviceId === deviceId && t.effectiveFrom === input.effectiveFrom)
      .sort((a, b) => b.recordedAt - a.recordedAt)[0];
    const view = assignmentView(rec);
    await this.audit.record(actor, 'tariff.assign', 'account', accountId, tl, { ...view, correction });
    return { result: 'created' as const, assignment: view };
  }
}
