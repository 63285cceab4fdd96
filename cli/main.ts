/**
 * `fleetmeter <command>`: the one entry point that wires the modules from one validated config.
 */

import { ConfigError, configHelp } from './config.ts';

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

Run 'fleetmeter <command> --help' for a command's own options.

configuration (flags override environment variables, which override defaults):
${configHelp()}
`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write('fleetmeter 0.1.0\n');
    return 0;
  }
  if (!(name in COMMANDS)) {
    process.stderr.write(`fleetmeter: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const mod = (await COMMANDS[name as CommandName].load()) as CommandModule;
  return mod.run(rest);
}



main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`fleetmeter: ${err.message}\n`);
    else process.stderr.write(`fleetmeter: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
