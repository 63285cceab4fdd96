/**
 * Payment discipline tables (portable subset: MergeTree family, String, Int64, Date, UInt*).
 * No transactions, so every write is an append that is safe to repeat or to race:
 *
 * - `billing_payments`: one row per payment, keyed by (account, external id), written only by the
 *   winner of the external id's claim (store/claims.ts, billing/payments.ts), with `confirmed = 1`.
 *   Rows with `confirmed = 0` are abandoned attempts of the pending/confirm scheme used before
 *   claims and are ignored. Should two rows ever exist (two retries of a dead posting adopting its
 *   claim at once: the same content), the earliest `posted_ts`, then the smaller `request_hash`,
 *   is the payment for every reader.
 * - `billing_payment_reversals`: one row per reversal attempt; the first per payment wins likewise.
 * - `billing_suspension_decisions`: the decision log. `seq` numbers an account's decisions; two
 *   evaluations racing on the same `seq` write the same deterministic `decision_id` when they
 *   agree, and readers keep the earliest row per `seq` when they do not.
 * - `billing_suspension_overrides`: manual overrides; newest `version` per account wins; a
 *   cleared override is a row with `cleared = 1`.
 *
 * The account's access state for ingest (`account_access`) is a shared table defined with storage
 * (store/account-access.ts); suspension intervals for billing are rating's `rating_suspensions`.
 */
import type { Migration } from '../store/types.ts';

export const PAYMENTS_TABLE = 'billing_payments';
export const REVERSALS_TABLE = 'billing_payment_reversals';
export const DECISIONS_TABLE = 'billing_suspension_decisions';
export const OVERRIDES_TABLE = 'billing_suspension_overrides';

export const billingMigrations: readonly Migration[] = [
  {
    id: '0501_billing_payments',
    statements: [
      `CREATE TABLE IF NOT EXISTS ${PAYMENTS_TABLE} (
        account_id String,
        external_id String,
        payment_id String,
        amount String,
        currency String,
        value_date Date,
        request_hash String,
        posted_ts Int64,
        key_id String,
        confirmed UInt8
      ) ENGINE = MergeTree() ORDER BY (account_id, external_id, posted_ts)`,
      `CREATE TABLE IF NOT EXISTS ${REVERSALS_TABLE} (
        account_id String,
        payment_id String,
        reason String,
        request_hash String,
        reversed_ts Int64,
        key_id String
      ) ENGINE = MergeTree() ORDER BY (account_id, payment_id, reversed_ts)`,
    ],
  },
  {
    id: '0502_billing_suspension',
    statements: [
      `CREATE TABLE IF NOT EXISTS ${DECISIONS_TABLE} (
        account_id String,
        seq UInt32,
        decision_id String,
        kind String,
        source String,
        ts Int64,
        on_date Date,
        reason String,
        facts String
      ) ENGINE = MergeTree() ORDER BY (account_id, seq, ts)`,
      `CREATE TABLE IF NOT EXISTS ${OVERRIDES_TABLE} (
        account_id String,
        state String,
        reason String,
        expires_ts Int64,
        set_ts Int64,
        key_id String,
        cleared UInt8,
        version Int64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY account_id`,
    ],
  },
];
