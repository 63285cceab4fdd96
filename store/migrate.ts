/** Runs versioned migrations once each, in id order; safe to run concurrently from several instances. */
import { sqlString } from './sql.ts';
import type { Migration, Store } from './types.ts';

const LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  id String,
  applied_ts Int64
) ENGINE = ReplacingMergeTree() ORDER BY id`;

export interface MigrationReport {
  readonly applied: string[];
  readonly alreadyApplied: string[];
}

export async function migrate(store: Store, migrations: readonly Migration[], now = Date.now): Promise<MigrationReport> {
  const ids = new Set<string>();
  for (const m of migrations) {
    if (ids.has(m.id)) throw new Error(`duplicate migration id ${m.id}`);
    ids.add(m.id);
  }
  await store.command(LEDGER);
  const done = new Set((await store.query<{ id: string }>('SELECT DISTINCT id FROM schema_migrations')).map((r) => r.id));
  const report: MigrationReport = { applied: [], alreadyApplied: [] };
  for (const m of [...migrations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (done.has(m.id)) {
      report.alreadyApplied.push(m.id);
      continue;
    }
    // Statements are idempotent (IF NOT EXISTS …), so a crash between a statement and the ledger
    // row only means the next start runs it again harmlessly.
    for (const st of m.statements) {
      if (typeof st === 'string') await store.command(st);
      else if ((await store.query(st.skipIf)).length === 0) await store.command(st.sql);
    }
    await store.command(`INSERT INTO schema_migrations (id, applied_ts) VALUES (${sqlString(m.id)}, ${now()})`);
    report.applied.push(m.id);
  }
  return report;
}
