/**
 * API keys with scopes, stored hashed in ClickHouse (`api_keys`) and cached in memory, refreshed
 * like the device registry so every instance converges within ~1 s. A key is shown once, at
 * creation: `fmk_<keyId>_<secret>`; only SHA-256(secret) is stored.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sqlString } from '../store/sql.ts';
import { ApiError } from './errors.ts';
import type { Migration, Store } from '../store/types.ts';

export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** admin ⊇ write ⊇ read. */
export function scopeAllows(granted: readonly Scope[], needed: Scope): boolean {
  const rank = { read: 0, write: 1, admin: 2 } as const;
  return granted.some((g) => rank[g] >= rank[needed]);
}

/** The key a request presents: `Authorization: Bearer fmk_…`, else `X-Api-Key: fmk_…`; null if none. */
export function presentedKey(headers: { readonly authorization?: string; readonly 'x-api-key'?: string | string[] }): string | null {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m ? m[1] : null;
  }
  const k = headers['x-api-key'];
  return typeof k === 'string' ? k : null;
}

/**
 * The one check of a presented key for a scope, for the REST API, the staff console (its session's
 * key) and the gateway's admin port: the key, or the error to answer with (no/invalid key → 401,
 * a key without the scope → 403). `missing` is what a caller that presented nothing is told.
 */
export function authorizeKey(keys: ApiKeys, presented: string | null, scope: Scope, missing = 'an API key is required: Authorization: Bearer fmk_…'): ApiKeyInfo | ApiError {
  if (presented === null) return new ApiError('FM_ERR_UNAUTHORIZED', missing);
  const key = keys.verify(presented);
  if (key === null) return new ApiError('FM_ERR_UNAUTHORIZED', 'the API key is not valid (unknown, revoked or malformed)');
  if (!scopeAllows(key.scopes, scope)) return new ApiError('FM_ERR_FORBIDDEN', `this needs scope ${scope}; the key has ${key.scopes.join(', ') || 'none'}`, { required: scope, granted: key.scopes });
  return key;
}

/** `authorizeKey` for the key a request's headers present. */
export function authorizeRequest(keys: ApiKeys, headers: Parameters<typeof presentedKey>[0], scope: Scope): ApiKeyInfo | ApiError {
  return authorizeKey(keys, presentedKey(headers), scope);
}

export const apiKeyMigrations: readonly Migration[] = [
  {
    id: '0200_api_keys',
    statements: [
      `CREATE TABLE IF NOT EXISTS api_keys (
        key_id String,
        name String,
        secret_hash String,
        scopes Array(String),
        created_ts Int64,
        revoked UInt8,
        version Int64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY key_id`,
    ],
  },
];

export interface ApiKeyInfo {
  readonly keyId: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: number;
  readonly revoked: boolean;
}

interface Row {
  key_id: string;
  name: string;
  secret_hash: string;
  scopes: string[];
  created_ts: string;
  revoked: number;
  version: string;
}

const KEY_PATTERN = /^fmk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** The text form of a key, for validating one given in the configuration. */
export const API_KEY_PATTERN = KEY_PATTERN.source;

/** A fresh key (id and secret), not stored: `create` stores one, `ensure` stores a given one. */
export function generateApiKey(): string {
  return `fmk_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
}
const sha256 = (s: string) => createHash('sha256').update(s).digest();

export class ApiKeys {
  private keys = new Map<string, ApiKeyInfo & { secretHash: Buffer }>();
  /** Keys verified since the last refresh (presented text → info): one map lookup per request. */
  private verified = new Map<string, ApiKeyInfo>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async start(refreshMs = 1000): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    const rows = await this.store.query<Row>('SELECT * FROM api_keys FINAL');
    const next = new Map<string, ApiKeyInfo & { secretHash: Buffer }>();
    for (const r of rows) {
      next.set(r.key_id, {
        keyId: r.key_id,
        name: r.name,
        scopes: r.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
        createdAt: Number(r.created_ts),
        revoked: r.revoked === 1,
        secretHash: Buffer.from(r.secret_hash, 'hex'),
      });
    }
    this.keys = next;
    this.verified = new Map();
  }

  /** Creates a key and returns it in full: the only time the secret is visible. */
  async create(name: string, scopes: readonly Scope[]): Promise<{ key: string; info: ApiKeyInfo }> {
    const keyId = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const now = this.now();
    await this.store.insert('api_keys', [
      { key_id: keyId, name, secret_hash: sha256(secret).toString('hex'), scopes: [...scopes], created_ts: now, revoked: 0, version: now },
    ]);
    await this.refresh();
    return { key: `fmk_${keyId}_${secret}`, info: { keyId, name, scopes, createdAt: now, revoked: false } };
  }

  /**
   * Makes sure `key` (in full, `fmk_<keyId>_<secret>`) exists: stored with `name` and `scopes` if
   * its id is unknown; left as it is if stored with this secret (a revoked one stays revoked).
   * Refused if the id is stored with another secret. Says what it did.
   */
  async ensure(key: string, name: string, scopes: readonly Scope[]): Promise<'created' | 'exists' | 'revoked'> {
    const m = KEY_PATTERN.exec(key);
    if (!m) throw new Error('not an API key: expected fmk_<16 hex>_<43 base64url characters>');
    const rows = await this.store.query<Row>(`SELECT * FROM api_keys FINAL WHERE key_id = ${sqlString(m[1])}`);
    if (rows.length > 0) {
      if (!timingSafeEqual(Buffer.from(rows[0].secret_hash, 'hex'), sha256(m[2]))) throw new Error(`key id ${m[1]} is already stored with another secret`);
      return rows[0].revoked === 1 ? 'revoked' : 'exists';
    }
    const now = this.now();
    await this.store.insert('api_keys', [{ key_id: m[1], name, secret_hash: sha256(m[2]).toString('hex'), scopes: [...scopes], created_ts: now, revoked: 0, version: now }]);
    await this.refresh();
    return 'created';
  }

  async revoke(keyId: string): Promise<boolean> {
    const rows = await this.store.query<Row>(`SELECT * FROM api_keys FINAL WHERE key_id = ${sqlString(keyId)}`);
    if (rows.length === 0) return false;
    const r = rows[0];
    await this.store.insert('api_keys', [{ ...r, revoked: 1, version: String(Math.max(this.now(), Number(r.version) + 1)) }]);
    await this.refresh();
    return true;
  }

  list(): ApiKeyInfo[] {
    return [...this.keys.values()].map(({ secretHash: _s, ...info }) => info).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** The key's info if `presented` is a valid, unrevoked key; null otherwise. Constant-time compare. */
  verify(presented: string): ApiKeyInfo | null {
    const hit = this.verified.get(presented);
    if (hit !== undefined) return hit;
    const m = KEY_PATTERN.exec(presented);
    if (!m) return null;
    const k = this.keys.get(m[1]);
    if (!k || k.revoked) return null;
    const h = sha256(m[2]);
    if (h.length !== k.secretHash.length || !timingSafeEqual(h, k.secretHash)) return null;
    const { secretHash: _s, ...info } = k;
    if (this.verified.size < 10_000) this.verified.set(presented, info);
    return info;
  }

}
