/**
 * Claims: how fleetmeter decides, in ClickHouse, who may create something that must be unique
 * (an account id, an external id, a tariff version, a device, an assignment on a date, a payment)
 * — and how the scheduler decides who holds a job lease (billing/scheduler.ts). ClickHouse has no
 * transactions and no compare-and-set, so a claim is decided append-only:
 *
 * 1. Read the live claims of the key. If there are any, the earliest stands (below).
 * 2. Otherwise append our claim `(key, token, intent, claimed_at = now)`, wait `settleMs`, and read
 *    the claims of the key back. The **winner** is the earliest `claimed_at`, ties broken by the
 *    smallest token — a total order every reader computes the same way (`firstClaim`).
 * 3. A loser withdraws its claim (appends a `withdrawn` row for its token): it will never write,
 *    and a withdrawn claim is ignored. A winner withdraws only when it gives up before writing
 *    anything (e.g. it lost a second claim it also needed); the key is then free again.
 *
 * The caller writes its row only after winning, and only the winner writes.
 *
 * **Guarantee** (one winner per key): every contender that writes a claim read the key empty, so
 * it read before the first claim was committed and commits its own within L of that, where L is the
 * longest time from a contender's read to its claim's commit (commit latency plus any stall).
 * Each contender reads back `settleMs` after its own commit; with settleMs > L it sees every claim
 * that will ever be written, and all compute the same winner. A reader in step 1 that sees a
 * claim younger than 2 × settleMs (by its `claimed_at`) may be early for a claim still in flight,
 * so it waits `settleMs` and reads again. Claim times come from each instance's clock, so the
 * assumption is: **settleMs > commit latency + stall + clock skew between instances**. Break it
 * (a contender stalls for longer than settleMs between its read and its write, or clocks drift
 * further apart) and two contenders can both win; nothing else can make them.
 *
 * **Intent and retries.** A token names one attempt (random); the intent names what the attempt
 * will write (a hash of the canonical content). `decide()` turns a claim into what a create does:
 * - won → write;
 * - lost to another intent → conflict (409);
 * - lost to the same intent (the same create sent twice, or a retry) → `exists` tells whether the
 *   winner's row is stored: then the answer is the replay of it (200) or "already exists" (409),
 *   as the create's contract says. Until it is stored the loser waits for it (`waitMs`); if the
 *   winner's claim is older than `staleMs` and still nothing is stored, its attempt died between
 *   claim and write, and this attempt — same content — writes it instead (**adopts** the claim).
 *   So a retry of a crashed create succeeds once `staleMs` has passed; a different body for the
 *   key stays refused (the key is reserved for the content first claimed). Two retries adopting
 *   at the same instant both write the same content.
 * `staleMs` must exceed the longest time between winning a claim and committing the row (the
 * store's request timeout bounds it).
 *
 * Rows are kept: a claim, and a withdrawal per loser, per create — creates are rare, the table small.
 * Portable subset (ClickHouse 18.16 … current): MergeTree, String, Int64, UInt8.
 */
import { createHash, randomUUID } from 'node:crypto';
import { sqlString } from './sql.ts';
import type { Migration, Store } from './types.ts';

export const CLAIMS_TABLE = 'claims';

export const claimsMigrations: readonly Migration[] = [
  {
    id: '0005_claims',
    statements: [
      `CREATE TABLE IF NOT EXISTS ${CLAIMS_TABLE} (
        key String,
        token String,
        intent String,
        claimed_at Int64,
        withdrawn UInt8
      ) ENGINE = MergeTree() ORDER BY (key, claimed_at, token)`,
    ],
  },
];

export interface Claim {
  readonly token: string;
  readonly intent: string;
  readonly claimedAt: number;
}

/** The winner among claims: the earliest `claimedAt`, then the smallest token (every reader picks the same). */
export function firstClaim<C extends { readonly claimedAt: number }>(claims: readonly C[], token: (c: C) => string): C | null {
  let best: C | null = null;
  for (const c of claims) if (best === null || c.claimedAt < best.claimedAt || (c.claimedAt === best.claimedAt && token(c) < token(best))) best = c;
  return best;
}

export interface Settle {
  readonly settleMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Step 2, shared with the scheduler's leases: append a claim, wait `settleMs` (so a competitor that
 * read the key at about the same time has written too), read the claims back and pick the winner.
 */
export async function contend<C>(settle: Settle, write: () => Promise<void>, readBack: () => Promise<readonly C[]>, pick: (claims: readonly C[]) => C | null): Promise<C | null> {
  await write();
  if (settle.settleMs > 0) await settle.sleep(settle.settleMs);
  return pick(await readBack());
}

export interface ClaimsOptions {
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Wait between writing a claim and reading it back. Default 250 ms. */
  readonly settleMs?: number;
  /** A winner's claim this old with nothing stored is a dead attempt its content may adopt. Default 60 s. */
  readonly staleMs?: number;
  /** How long a loser with the winner's content waits for the winner's row. Default 5 s. */
  readonly waitMs?: number;
}

export type Decision =
  /** Write now (this attempt won, or adopts a dead attempt with the same content). */
  | { readonly kind: 'write'; readonly token: string; readonly winner: Claim }
  /** The winner's content is this one's and it is stored: answer as a replay / "already exists". */
  | { readonly kind: 'same'; readonly winner: Claim }
  /** The winner's content is this one's, not stored yet and its attempt is alive: a create in progress. */
  | { readonly kind: 'pending'; readonly winner: Claim }
  /** Another content holds the key. */
  | { readonly kind: 'other'; readonly winner: Claim };

/** Error details for a create that lost to its own content still being written by another attempt (`pending`). */
export const inProgress = (d: Decision): { inProgress?: true } => (d.kind === 'pending' ? { inProgress: true } : {});

interface Row {
  token: string;
  intent: string;
  claimed: string;
  withdrawn: number;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Claims {
  readonly settleMs: number;
  readonly staleMs: number;
  private readonly waitMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly store: Store,
    options: ClaimsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.settleMs = options.settleMs ?? 250;
    this.staleMs = options.staleMs ?? 60_000;
    this.waitMs = options.waitMs ?? 5_000;
  }

  /** A fresh attempt token. */
  static token(): string {
    return randomUUID();
  }

  /** The live (not withdrawn) claims of a key. */
  async live(key: string): Promise<Claim[]> {
    const rows = await this.store.query<Row>(
      `SELECT token, any(intent) AS intent, toString(min(claimed_at)) AS claimed, max(withdrawn) AS withdrawn FROM ${CLAIMS_TABLE} WHERE key = ${sqlString(key)} GROUP BY token`,
    );
    return rows.filter((r) => Number(r.withdrawn) === 0).map((r) => ({ token: r.token, intent: r.intent, claimedAt: Number(r.claimed) }));
  }

  private pick = (claims: readonly Claim[]) => firstClaim(claims, (c) => c.token);

  /** Claims `key` for `token` (steps 1–3 of the module note): whether it won, and the winner. */
  async claim(key: string, token: string, intent: string): Promise<{ won: boolean; winner: Claim }> {
    let seen = this.pick(await this.live(key));
    if (seen !== null && this.now() < seen.claimedAt + 2 * this.settleMs) {
      // Young: a claim still in flight may yet come in ahead of it.
      await this.sleep(this.settleMs);
      seen = this.pick(await this.live(key));
    }
    if (seen !== null) return { won: seen.token === token, winner: seen };
    const mine: Claim = { token, intent, claimedAt: this.now() };
    const winner =
      (await contend(
        { settleMs: this.settleMs, sleep: this.sleep },
        () => this.store.insert(CLAIMS_TABLE, [{ key, token, intent, claimed_at: mine.claimedAt, withdrawn: 0 }]),
        () => this.live(key),
        this.pick,
      )) ?? mine;
    const won = winner.token === token;
    if (!won) await this.withdraw(key, token);
    return { won, winner };
  }

  /** The intent of content given as text parts (a SHA-256; a short readable id may serve as intent as it is). */
  static intent(...parts: readonly string[]): string {
    return createHash('sha256').update(parts.join('\u0000')).digest('hex');
  }

  /** Frees a key held for `intent` (its content no longer holds it, e.g. an account moved off an external id). */
  async release(key: string, intent: string): Promise<void> {
    for (const c of await this.live(key)) if (c.intent === intent) await this.withdraw(key, c.token);
  }

  /** Withdraws a claim that will never be followed by a write (a loser's, or a winner giving up before writing). */
  async withdraw(key: string, token: string): Promise<void> {
    await this.store.insert(CLAIMS_TABLE, [{ key, token, intent: '', claimed_at: this.now(), withdrawn: 1 }]);
  }

  /**
   * Claims `key` for content `intent` and says what the create does (module note). `exists` reads
   * storage (never a cache): is the winner's row there?
   */
  async decide(key: string, intent: string, exists: () => Promise<boolean>, token = Claims.token()): Promise<Decision> {
    const { won, winner } = await this.claim(key, token, intent);
    if (won) return { kind: 'write', token, winner };
    if (winner.intent !== intent) return { kind: 'other', winner };
    // Waited in steps of real time (an injected clock may stand still).
    const step = Math.max(10, Math.min(50, this.settleMs));
    for (let waited = 0; ; waited += step) {
      if (await exists()) return { kind: 'same', winner };
      if (this.now() - winner.claimedAt > this.staleMs) return { kind: 'write', token, winner };
      if (waited >= this.waitMs) return { kind: 'pending', winner };
      await this.sleep(step);
    }
  }
}
