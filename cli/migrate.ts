/** `fleetmeter migrate`: applies pending schema migrations and exits. */
import { parseArgs } from './args.ts';
import { configFlags, configHelp, STORAGE_OPTIONS } from './config.ts';
import { allMigrations, createLogger, loadConfig, openConfiguredStore } from './runtime.ts';
import { migrate } from '../store/index.ts';

export async function run(args: string[]): Promise<number> {
  const { flags } = parseArgs(args, configFlags(STORAGE_OPTIONS), { positionals: false });
  if (flags.help) {
    process.stdout.write(`usage: fleetmeter migrate [options]\n\nCreates or updates the schema and exits (serve also migrates at start).\n\nstorage options:\n${configHelp(STORAGE_OPTIONS)}\n`);
    return 0;
  }
  const config = loadConfig(flags);
  const log = createLogger(config);
  const store = await openConfiguredStore(config);
  try {
    const report = await migrate(store, allMigrations);
    log.info({ backend: store.backend, database: store.database, ...report }, 'schema up to date');
  } finally {
    await store.close();
  }
  return 0;
}
