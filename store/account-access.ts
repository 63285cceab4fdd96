/**
 * The account access table: where billing's suspension decisions meet the ingest path. Billing
 * writes an account's state on every decision and mode change (billing/suspension.ts); every
 * gateway instance reads it on its device registry's refresh tick (ingest/account-access.ts) and
 * refuses the devices of an account suspended in `reject` mode. Newest `version` per account wins.
 *
 * It lives here, with storage, because billing and ingest may not import each other
 * (docs/architecture.md): both use this one definition of the table and its rows.
 */
import { sqlString } from './sql.ts';
import type { Migration, Store } from './types.ts';

export const ACCESS_TABLE = 'account_access';

export const accessMigrations: readonly Migration[] = [
  {
    id: '0503_account_access',
    statements: [
      `CREATE TABLE IF NOT EXISTS ${ACCESS_TABLE} (
        account_id String,
        suspended UInt8,
        mode String,
        reason String,
        version Int64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY account_id`,
    ],
  },
];

export interface AccessState {
  readonly accountId: string;
  readonly suspended: boolean;
  readonly mode: 'store' | 'reject';
  /** The decision behind it, for the log line of a refused login. */
  readonly reason: string;
}

/** Writes an account's access state (billing calls it on every decision and mode change). */
export async function writeAccess(store: Store, s: AccessState, version: number): Promise<void> {
  await store.insert(ACCESS_TABLE, [{ account_id: s.accountId, suspended: s.suspended ? 1 : 0, mode: s.mode, reason: s.reason, version }]);
}

/** The stored state of one account (null when none was ever written). */
export async function readAccess(store: Store, accountId: string): Promise<(AccessState & { version: number }) | null> {
  const rows = await store.query<{ suspended: number; mode: string; reason: string; v: string }>(
    `SELECT suspended, mode, reason, toString(version) AS v FROM ${ACCESS_TABLE} WHERE account_id = ${sqlString(accountId)} ORDER BY version DESC LIMIT 1`,
  );
  if (rows.length === 0) return null;
  const r = rows[0];
  return { accountId, suspended: Number(r.suspended) === 1, mode: r.mode === 'reject' ? 'reject' : 'store', reason: r.reason, version: Number(r.v) };
}
