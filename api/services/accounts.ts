/** Accounts: an API profile (`api_accounts`) next to rating's account (id, name, zone, currency). */
import { randomBytes } from 'node:crypto';
import { assertTimeZone } from '../../rating/calendar.ts';
import { currency } from '../../rating/pricing/index.ts';
import type { RatingService } from '../../rating/service.ts';
import { canonicalJson } from '../../rating/canonical-json.ts';
import { Claims, inProgress } from '../../store/claims.ts';
import { sqlString } from '../../store/sql.ts';
import type { Store } from '../../store/types.ts';
import { ApiError, conflict, notFound, rated } from '../errors.ts';
import { type Account, type AccountCreate, type AccountPatch, DEFAULT_BILLING } from '../schemas/accounts.ts';
import type { Actor, AuditLog } from './audit.ts';
import { closedThrough } from './effective-dates.ts';
import { type ListParams, type Page, mapPage, paginate } from './list.ts';
import type { AccountProfile, Snapshot, SnapshotSource } from './snapshot.ts';

export interface AccountFilter {
  readonly status?: string;
  readonly externalId?: string;
  readonly q?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const accountKey = (id: string) => `account:${id}`;
const externalIdKey = (externalId: string) => `account-external-id:${externalId}`;

export class AccountsService {
  /** Called after a PATCH changed the billing settings (the suspension policy re-evaluates). */
  onBillingChange: ((accountId: string) => Promise<void>) | null = null;

  constructor(
    private readonly store: Store,
    private readonly rating: RatingService,
    private readonly snapshots: SnapshotSource,
    private readonly audit: AuditLog,
    private readonly claims: Claims,
    private readonly now: () => number = Date.now,
  ) {}

  view(snap: Snapshot, p: AccountProfile): Account {
    return {
      id: p.id,
      externalId: p.externalId,
      name: p.name,
      timeZone: p.timeZone,
      currency: p.currency,
      billing: p.billing,
      status: p.status,
      devices: snap.deviceCounts(this.now()).get(p.id) ?? 0,
      createdAt: iso(p.createdAt),
      updatedAt: iso(p.updatedAt),
    };
  }

  async list(filter: AccountFilter, params: ListParams): Promise<Page<Account>> {
    const snap = await this.snapshots.get();
    const q = filter.q?.toLowerCase();
    const profiles = snap
      .accountIds()
      .map((id) => snap.profile(id)!)
      .filter((p) => (filter.status === undefined || p.status === filter.status) && (filter.externalId === undefined || p.externalId === filter.externalId) && (q === undefined || p.name.toLowerCase().includes(q)));
    const page = paginate(profiles, params, { id: (p) => p.id, name: (p) => p.name, createdAt: (p) => p.createdAt }, (p) => p.id, 'id', 'id');
    return mapPage(page, (p) => this.view(snap, p));
  }

  async get(id: string): Promise<Account> {
    const snap = await this.snapshots.get();
    const p = snap.profile(id);
    if (p === undefined) throw notFound('account', id);
    return this.view(snap, p);
  }

  async create(input: AccountCreate, actor: Actor): Promise<Account> {
    const snap = await this.snapshots.get();
    const id = input.id ?? `acc_${randomBytes(6).toString('hex')}`;
    const externalId = input.externalId ?? null;
    const billing = { ...DEFAULT_BILLING, ...input.billing };
    const status = input.status ?? 'active';
    const intent = Claims.intent(canonicalJson({ id, externalId, name: input.name, timeZone: input.timeZone, currency: input.currency, billing, status }));
    // An account rating knows without an API profile exists — unless it is the half-written create
    // of this very content (its claim holds the id for it; rating's row is written first): a retry completes it.
    if (snap.profile(id) !== undefined && (snap.profiles.has(id) || !(await this.claims.live(accountKey(id))).some((c) => c.intent === intent))) {
      throw conflict(`account ${JSON.stringify(id)} already exists`, { accountId: id });
    }
    await rated(() => assertTimeZone(input.timeZone), 'timeZone');
    await rated(() => currency(input.currency), 'currency');
    this.assertExternalIdFree(snap, externalId, id);
    const now = this.now();
    const profile: AccountProfile = {
      id,
      externalId,
      name: input.name,
      timeZone: input.timeZone,
      currency: input.currency,
      billing,
      status,
      createdAt: now,
      updatedAt: now,
    };
    // The cached check above answers the common case; the claims decide the race (store/claims.ts).
    const claimed = await this.claims.decide(accountKey(id), intent, () => this.stored(id));
    if (claimed.kind !== 'write') throw conflict(`account ${JSON.stringify(id)} already exists`, { accountId: id, ...inProgress(claimed) });
    if (externalId !== null) {
      const ext = await this.claims.decide(externalIdKey(externalId), id, () => this.stored(id, externalId));
      if (ext.kind === 'other') {
        // Nothing written under the id: give it up, so another create may take it.
        if (claimed.winner.token === claimed.token) await this.claims.withdraw(accountKey(id), claimed.token);
        throw new ApiError('FM_ERR_CONFLICT', `externalId ${JSON.stringify(externalId)} already belongs to account ${ext.winner.intent}`, { field: 'externalId', accountId: ext.winner.intent });
      }
    }
    await rated(() => this.rating.putAccount({ id, name: profile.name, timeZone: profile.timeZone, currency: profile.currency }));
    await this.write(profile);
    this.snapshots.invalidate();
    const view = this.view(await this.snapshots.get(), profile);
    await this.audit.record(actor, 'account.create', 'account', id, null, view);
    return view;
  }

  async patch(id: string, patch: AccountPatch, actor: Actor): Promise<Account> {
    const snap = await this.snapshots.get();
    const cur = snap.profile(id);
    if (cur === undefined) throw notFound('account', id);
    if (patch.timeZone !== undefined) await rated(() => assertTimeZone(patch.timeZone!), 'timeZone');
    if (patch.currency !== undefined) await rated(() => currency(patch.currency!), 'currency');
    const next: AccountProfile = {
      ...cur,
      externalId: patch.externalId === undefined ? cur.externalId : patch.externalId,
      name: patch.name ?? cur.name,
      timeZone: patch.timeZone ?? cur.timeZone,
      currency: patch.currency ?? cur.currency,
      billing: { ...cur.billing, ...patch.billing },
      status: patch.status ?? cur.status,
      createdAt: cur.createdAt === 0 ? this.now() : cur.createdAt,
      updatedAt: Math.max(this.now(), cur.updatedAt + 1),
    };
    if (next.externalId !== cur.externalId) {
      this.assertExternalIdFree(snap, next.externalId, id);
      if (next.externalId !== null) {
        const ext = await this.claims.decide(externalIdKey(next.externalId), id, () => this.stored(id, next.externalId!));
        if (ext.kind === 'other') throw new ApiError('FM_ERR_CONFLICT', `externalId ${JSON.stringify(next.externalId)} already belongs to account ${ext.winner.intent}`, { field: 'externalId', accountId: ext.winner.intent });
      }
    }
    if (next.timeZone !== cur.timeZone || next.currency !== cur.currency) {
      // Zone and currency shape every period ever billed: only while nothing is closed.
      const closed = (await closedThrough(this.rating.statements, [id])).get(id);
      if (closed !== undefined) {
        throw conflict(`account ${id} has closed statements through ${closed.to}: its time zone and currency can no longer change`, { field: next.timeZone !== cur.timeZone ? 'timeZone' : 'currency', closedThrough: closed.to });
      }
    }
    if (next.currency !== cur.currency) {
      const tariffIds = new Set(snap.tariffAssignments(id).flatMap((t) => (t.tariffId === null ? [] : [t.tariffId])));
      const clash = [...tariffIds].filter((t) => snap.index.tariffVersions(t).some((v) => v.definition.currency !== next.currency));
      if (clash.length > 0) throw conflict(`account ${id} uses tariffs priced in another currency than ${next.currency}: ${clash.join(', ')}`, { field: 'currency', tariffs: clash });
    }
    if (next.name !== cur.name || next.timeZone !== cur.timeZone || next.currency !== cur.currency) {
      await rated(() => this.rating.putAccount({ id, name: next.name, timeZone: next.timeZone, currency: next.currency }));
    }
    await this.write(next);
    // The external id it leaves is free again for another account.
    if (cur.externalId !== null && next.externalId !== cur.externalId) await this.claims.release(externalIdKey(cur.externalId), id);
    this.snapshots.invalidate();
    const after = await this.snapshots.get();
    const view = this.view(after, next);
    await this.audit.record(actor, 'account.update', 'account', id, this.view(snap, cur), view);
    if (patch.billing !== undefined && this.onBillingChange !== null) await this.onBillingChange(id);
    return view;
  }

  private assertExternalIdFree(snap: Snapshot, externalId: string | null, id: string): void {
    if (externalId === null) return;
    for (const p of snap.profiles.values()) {
      if (p.externalId === externalId && p.id !== id) throw new ApiError('FM_ERR_CONFLICT', `externalId ${JSON.stringify(externalId)} already belongs to account ${p.id}`, { field: 'externalId', accountId: p.id });
    }
  }

  /** Read from storage, past the snapshot: is the account's profile stored (with this external id)? */
  private async stored(id: string, externalId?: string): Promise<boolean> {
    const rows = await this.store.query<{ e: string }>(`SELECT argMax(external_id, version) AS e FROM api_accounts WHERE account_id = ${sqlString(id)} GROUP BY account_id`);
    return rows.length > 0 && (externalId === undefined || rows[0].e === externalId);
  }

  private async write(p: AccountProfile): Promise<void> {
    await this.store.insert('api_accounts', [
      {
        account_id: p.id,
        external_id: p.externalId ?? '',
        name: p.name,
        time_zone: p.timeZone,
        currency: p.currency,
        billing: JSON.stringify(p.billing),
        status: p.status,
        created_ts: p.createdAt,
        version: p.updatedAt,
      },
    ]);
  }
}
