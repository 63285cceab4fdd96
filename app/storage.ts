/** Storage for the process: every module's migrations in one list, and the configured store opened and migrated. */
import type { Logger } from 'pino';
import { apiMigrations } from '../api/migrations.ts';
import { eventMigrations } from '../billing/events.ts';
import { opsMigrations } from '../billing/ops.ts';
import { billingMigrations } from '../billing/schema.ts';
import { commandMigrations } from '../ingest/command-journal.ts';
import { registryMigrations } from '../ingest/device-registry.ts';
import { ratingMigrations } from '../rating/schema.ts';
import { accessMigrations } from '../store/account-access.ts';
import { migrate, openStore, storeMigrations, type Migration, type Store } from '../store/index.ts';

/** Every module's migrations, in one list (store/ imports nothing of ours, so wiring is here). */
export const allMigrations: readonly Migration[] = [...storeMigrations, ...registryMigrations, ...commandMigrations, ...ratingMigrations, ...apiMigrations, ...eventMigrations, ...opsMigrations, ...billingMigrations, ...accessMigrations];

/** The storage settings of the config (cli/config.ts). */
export interface StorageConfig {
  readonly store: 'chdb' | 'server';
  readonly dataDir: string;
  readonly database: string;
  readonly clickhouseUrl: string;
  readonly clickhouseUser: string;
  readonly clickhousePassword: string;
  /** Bounds every request to a ClickHouse server (the HTTP timeout), as it bounds a commit. */
  readonly commitTimeoutMs: number;
}

export async function openConfiguredStore(config: StorageConfig): Promise<Store> {
  return config.store === 'chdb'
    ? openStore({ backend: 'chdb', path: config.dataDir, database: config.database })
    : openStore({ backend: 'server', url: config.clickhouseUrl, username: config.clickhouseUser, password: config.clickhousePassword, database: config.database, requestTimeoutMs: config.commitTimeoutMs });
}

export async function openAndMigrate(config: StorageConfig, log: Pick<Logger, 'info'>): Promise<Store> {
  const store = await openConfiguredStore(config);
  const report = await migrate(store, allMigrations);
  if (report.applied.length > 0) log.info({ applied: report.applied }, 'migrations applied');
  return store;
}
