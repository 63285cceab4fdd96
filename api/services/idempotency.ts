/**
 * Stored responses for `Idempotency-Key` (per API key): the first response to a key is kept for
 * 24 h, in memory and in ClickHouse (`api_idempotency`), so a retry — to this instance or another —
 * gets the same status and body back instead of repeating the write.
 */
import { sqlNumber, sqlString } from '../../store/sql.ts';
import type { Store } from '../../store/types.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export interface StoredResponse {
  readonly requestHash: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly createdAt: number;
}

export class IdempotencyStore {
  private readonly memory = new Map<string, StoredResponse>();
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    private readonly maxInMemory = 10_000,
  ) {}

  async lookup(keyId: string, key: string): Promise<StoredResponse | null> {
    const k = `${keyId}\u0000${key}`;
    const now = this.now();
    const hit = this.memory.get(k);
    if (hit !== undefined && now - hit.createdAt < IDEMPOTENCY_TTL_MS) return hit;
    const rows = await this.store.query<{ request_hash: string; status: number; content_type: string; body: string; created: string }>(
      `SELECT request_hash, status, content_type, body, toString(created_ts) AS created FROM api_idempotency WHERE key_id = ${sqlString(keyId)} AND idempotency_key = ${sqlString(key)} AND created_ts > ${sqlNumber(now - IDEMPOTENCY_TTL_MS)} ORDER BY created_ts LIMIT 1`,
    );
    if (rows.length === 0) return null;
    const r = rows[0];
    const stored = { requestHash: r.request_hash, status: Number(r.status), contentType: r.content_type, body: r.body, createdAt: Number(r.created) };
    this.remember(k, stored);
    return stored;
  }

  async save(keyId: string, key: string, s: Omit<StoredResponse, 'createdAt'>): Promise<void> {
    const createdAt = this.now();
    await this.store.insert('api_idempotency', [{ key_id: keyId, idempotency_key: key, request_hash: s.requestHash, status: s.status, content_type: s.contentType, body: s.body, created_ts: createdAt }]);
    this.remember(`${keyId}\u0000${key}`, { ...s, createdAt });
  }

  /** Serialises requests with the same key in this process: resolves when the earlier one is done. */
  async acquire(keyId: string, key: string): Promise<() => void> {
    const k = `${keyId}\u0000${key}`;
    while (this.inflight.has(k)) await this.inflight.get(k);
    let release!: () => void;
    this.inflight.set(k, new Promise<void>((r) => (release = r)));
    return () => {
      this.inflight.delete(k);
      release();
    };
  }

  private remember(k: string, s: StoredResponse): void {
    this.memory.set(k, s);
    if (this.memory.size > this.maxInMemory) this.memory.delete(this.memory.keys().next().value!);
  }
}
