/** Shared start-up for commands that need storage: config → logger → store → migrations. */
import pino, { type Logger } from 'pino';
import { loadConfig, type Config } from './config.ts';

// Storage is wired by the composition root (app/storage.ts); the commands reach it from here.
export { allMigrations, openAndMigrate, openConfiguredStore } from '../app/storage.ts';

/**
 * Lenient flags for bench scripts (the commands parse strictly: cli/args.ts): `--name value` and
 * `--name=value` into a flag map, positional words apart. A flag in `values` always takes the next
 * word, even one starting with `--` (`--gateway-args "--min-batch-interval-ms 0"`).
 */
export function splitArgs(args: readonly string[], values: readonly string[] = []): { flags: { [name: string]: string }; positionals: string[] } {
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
    else if (i + 1 < args.length && (!args[i + 1].startsWith('--') || values.includes(a.slice(2)))) flags[a.slice(2)] = args[++i];
    else flags[a.slice(2)] = 'true';
  }
  return { flags, positionals };
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'fleetmeter' } });
}

export { loadConfig };
