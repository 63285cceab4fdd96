/**
 * `fleetmeter apikey create|list|revoke`: API keys for the REST API. A key is printed once, at
 * creation (`fmk_<keyId>_<secret>`); only a hash of its secret is stored.
 */
import { SCOPES, type Scope, ApiKeys, generateApiKey } from '../api/api-keys.ts';
import { DataDirBusyError } from '../store/types.ts';
import { CliError, parseArgs, valueFlags } from './args.ts';
import { ConfigError, configFlags, configHelp, STORAGE_OPTIONS } from './config.ts';
import { createLogger, loadConfig, openAndMigrate } from './runtime.ts';

const HELP = `usage:
  fleetmeter apikey create --name NAME --scopes read[,write][,admin]   prints the key once
  fleetmeter apikey list                                                 key ids, names, scopes
  fleetmeter apikey revoke KEY_ID                                        refused on every instance within ~1 s
  fleetmeter apikey generate                                             prints a fresh key, stores nothing

Scopes: read (GET), write (read + changes), admin (write + audit trail and keys).
Send the key as: Authorization: Bearer fmk_…

create, list and revoke open the storage: on a ClickHouse server any time; on the embedded chDB
data dir only while serve is stopped (one process holds it). For a first key while serve runs on
chDB, start serve with FLEETMETER_BOOTSTRAP_API_KEY=$(fleetmeter apikey generate): it makes sure
that key exists, with scope admin.

storage options:
${configHelp(STORAGE_OPTIONS)}
`;

export function parseScopes(text: string | undefined): Scope[] {
  if (text === undefined || text === 'true') throw new ConfigError(`--scopes is required: a comma-separated list of ${SCOPES.join(', ')}`);
  const scopes = text.split(',').map((s) => s.trim());
  const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad.length > 0 || scopes.length === 0) throw new ConfigError(`--scopes: one or more of ${SCOPES.join(', ')}, got ${JSON.stringify(text)}`);
  return [...new Set(scopes)] as Scope[];
}

export async function run(args: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(args, [...configFlags(STORAGE_OPTIONS), ...valueFlags('name', 'scopes')]);
  const [action, target] = positionals;
  if (flags.help || action === undefined) {
    process.stdout.write(HELP);
    return action === undefined && !flags.help ? 2 : 0;
  }
  if (action === 'generate') {
    process.stdout.write(`${generateApiKey()}\n`);
    return 0;
  }
  if (!['create', 'list', 'revoke'].includes(action)) {
    process.stderr.write(`fleetmeter apikey: unknown action "${action}"\n\n${HELP}`);
    return 2;
  }
  let scopes: Scope[] = [];
  if (action === 'create') {
    if (flags.name === undefined || flags.name === 'true') throw new ConfigError('--name is required (who or what the key is for)');
    scopes = parseScopes(flags.scopes);
  }
  if (action === 'revoke' && target === undefined) throw new ConfigError('revoke needs the key id: fleetmeter apikey revoke KEY_ID');
  const { name: _n, scopes: _s, ...storeFlags } = flags;
  const config = loadConfig(storeFlags);
  const log = createLogger({ logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  let store;
  try {
    store = await openAndMigrate(config, log);
  } catch (err) {
    if (err instanceof DataDirBusyError) {
      throw new CliError(`data dir ${err.dataDir} is in use by another fleetmeter process (pid ${err.pid}): stop it first, or let serve create the key — start it with FLEETMETER_BOOTSTRAP_API_KEY=$(fleetmeter apikey generate) (README, "REST API")`);
    }
    throw err;
  }
  try {
    const keys = new ApiKeys(store);
    await keys.refresh();
    if (action === 'create') {
      const { key, info } = await keys.create(flags.name, scopes);
      process.stdout.write(`${JSON.stringify({ key, keyId: info.keyId, name: info.name, scopes: info.scopes })}\n`);
      process.stderr.write('Store the key now: it is not shown again.\n');
      return 0;
    }
    if (action === 'list') {
      for (const k of keys.list()) process.stdout.write(`${JSON.stringify({ ...k, createdAt: new Date(k.createdAt).toISOString() })}\n`);
      return 0;
    }
    if (!(await keys.revoke(target!))) {
      process.stderr.write(`fleetmeter apikey: no key ${JSON.stringify(target)}\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify({ keyId: target, revoked: true })}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
