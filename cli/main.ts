/**
 * `fleetmeter <command>`: the one entry point that wires the modules from one validated config.
 */

import { readFileSync } from 'node:fs';
import { DataDirBusyError } from '../store/types.ts';
import { CliError } from './args.ts';
import { ConfigError } from './config.ts';

const COMMANDS = {
  serve: { summary: 'run the gateway (device listeners, storage, admin port) and the REST API', load: () => import('./serve.ts') },
  migrate: { summary: 'create or update the ClickHouse schema, then exit', load: () => import('./migrate.ts') },
  simulate: { summary: 'simulate N trackers (Teltonika/Wialon IPS, TCP/UDP) against a gateway; a load test', load: () => import('./simulate.ts') },
  decode: { summary: 'decode a captured frame/stream (hex or text) and print records as JSON', load: () => import('./decode.ts') },
  reconcile: { summary: "check an account's month: raw records vs persisted presence and statement", load: () => import('./reconcile.ts') },
  apikey: { summary: 'create, list or revoke REST API keys (scopes read, write, admin)', load: () => import('./apikey.ts') },
  command: { summary: 'send a command to a connected device (Teltonika TCP, MQTT) through a running gateway', load: () => import('./command.ts') },
} as const;
type CommandName = keyof typeof COMMANDS;

export interface CommandModule {
  run(args: string[]): Promise<number>;
}

function usage(): string {
  const cmds = Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
    .join('\n');
  return `fleetmeter — telematics gateway and rating engine

usage: fleetmeter <command> [options]

commands:
${cmds}

Run 'fleetmeter <command> --help' (or 'fleetmeter help <command>') for a command's options;
every option is also in docs/configuration.md. 'fleetmeter --version' prints the version.
`;
}

export function version(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  let [name, ...rest] = argv;
  if (name === 'help' && rest.length > 0) [name, rest] = [rest[0], ['--help']];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`fleetmeter ${version()}\n`);
    return 0;
  }
  if (!(name in COMMANDS)) {
    const close = Object.keys(COMMANDS).find((c) => c.startsWith(name.slice(0, 3)));
    process.stderr.write(`fleetmeter: unknown ${name.startsWith('-') ? 'option' : 'command'} "${name}"${close ? ` (did you mean ${close}?)` : ''}\n\n${usage()}`);
    return 2;
  }
  command = name;
  const mod = (await COMMANDS[name as CommandName].load()) as CommandModule;
  return mod.run(rest);
}

let command = '';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // What a user can act on is one line (exit 2: usage, with the command's --help to read;
    // exit 1: a setting, a busy port or data dir); anything else is a bug: its stack.
    const who = command ? `fleetmeter ${command}` : 'fleetmeter';
    if (err instanceof CliError) {
      process.stderr.write(`${who}: ${err.message}${err.exitCode === 2 ? ` (see 'fleetmeter ${command} --help')` : ''}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof ConfigError || err instanceof DataDirBusyError) process.stderr.write(`${who}: ${err.message}\n`);
    else process.stderr.write(`${who}: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
