/** `fleetmeter migrate`: applies pending schema migrations and exits. */
import { configHelp } from './config.ts';
import { allMigrations, createLogger, loadConfig, openConfiguredStore, splitArgs } from './runtime.ts';
import { migrate } from '../store/index.ts';

export async function run(args: string[]): Promise<number> {
  const { flags } = splitArgs(args);
  if (flags.help) {
    process.stdout.write(`usage: fleetmeter migrate [options]\n\n${configHelp()}\n`);
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
