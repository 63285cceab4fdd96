/** Shared start-up for commands that need storage: config → logger → store → migrations. */
import pino, { type Logger } from 'pino';
import { apiMigrations } from '../api/migrations.ts';
import { eventMigrations } from '../billing/events.ts';
import { billingMigrations } from '../billing/schema.ts';
import { opsMigrations } from '../billing/ops.ts';
import { accessMigrations } from '../store/account-access.ts';
import { commandMigrations } from '../ingest/command-journal.ts';
import { registryMigrations } from '../ingest/device-registry.ts';
import { ratingMigrations } from '../rating/schema.ts';
import { migrate, openStore, storeMigrations, type Migration, type Store } from '../store/index.ts';
import { loadConfig, type Config } from './config.ts';

/** Every module's migrations, in one list (store/ imports nothing of ours, so wiring is here). */
export const allMigrations: readonly Migration[] = [...storeMigrations, ...registryMigrations, ...commandMigrations, ...ratingMigrations, ...apiMigrations, ...eventMigrations, ...opsMigrations, ...billingMigrations, ...accessMigrations];

/** Turns `--name value` and `--name=value` into a flag map; positional words are returned apart. */
export function splitArgs(args: readonly string[]): { flags: { [name: string]: string }; positionals: string[] } {
  const flags: { [name: string]: string } = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1].startsWith('--')) flags[a.slice(2)] = args[++i];
    else flags[a.slice(2)] = 'true';
  }
  return { flags, positionals };
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'fleetmeter' } });
}

export async function openConfiguredStore(config: Config): Promise<Store> {
  return config.store === 'chdb'
    ? openStore({ backend: 'chdb', path: config.dataDir, database: config.database })
    : openStore({ backend: 'server', url: config.clickhouseUrl, username: config.clickhouseUser, password: config.clickhousePassword, database: config.database });
}

export async function openAndMigrate(config: Config, log: Logger): Promise<Store> {
  const store = await openConfiguredStore(config);
  const report = await migrate(store, allMigrations);
  if (report.applied.length > 0) log.info({ applied: report.applied }, 'migrations applied');
  return store;
}

export { loadConfig };
