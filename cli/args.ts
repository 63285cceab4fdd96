/**
 * Strict command-line parsing: every command declares its flags, and anything else is a usage
 * error (exit 2) naming the flag and the closest known one. A flag that takes a value takes the
 * next word whatever it starts with (`--gateway-args "--min-batch-interval-ms 0"`), unless that
 * word is itself one of the command's flags (then the value is missing).
 */

/** A flag: `value` flags take a word (`--port 5027`, `--port=5027`); switches stand alone (`--json`). */
export interface FlagSpec {
  readonly name: string;
  readonly value: boolean;
}

/** An error the CLI reports as one line (`fleetmeter <command>: message`, no stack) with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Bad usage: one line, exit 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

export const valueFlags = (...names: string[]): FlagSpec[] => names.map((name) => ({ name, value: true }));
export const switches = (...names: string[]): FlagSpec[] => names.map((name) => ({ name, value: false }));

export interface Parsed {
  /** Flag name → value; a switch given is `'true'` (or what `--switch=value` said). */
  readonly flags: { [name: string]: string };
  readonly positionals: string[];
}

/**
 * Parses `args` against `specs` (`--help`/`-h` are always known). `positionals: false` makes a
 * stray word an error too. Throws UsageError.
 */
export function parseArgs(args: readonly string[], specs: readonly FlagSpec[], options: { positionals?: boolean } = {}): Parsed {
  const known = new Map<string, FlagSpec>(specs.map((s) => [s.name, s]));
  known.set('help', { name: 'help', value: false });
  const flags: { [name: string]: string } = {};
  const positionals: string[] = [];
  const isKnownFlag = (word: string) => word.startsWith('--') && known.has(word.slice(2).split('=')[0]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a === '-h') {
      flags.help = 'true';
      continue;
    }
    if (!a.startsWith('-') || a === '-' || /^-\d/.test(a)) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') ? a.slice(2, eq > 0 ? eq : undefined) : a;
    const spec = known.get(name);
    if (!spec) throw new UsageError(unknownFlag(a.startsWith('--') ? `--${name}` : name, [...known.keys()]));
    if (eq > 0) flags[name] = a.slice(eq + 1);
    else if (!spec.value) flags[name] = 'true';
    else if (i + 1 < args.length && !isKnownFlag(args[i + 1])) flags[name] = args[++i];
    else throw new UsageError(`--${name} needs a value`);
  }
  if (options.positionals === false && positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  return { flags, positionals };
}

/** "unknown option --data-dri; did you mean --data-dir?". */
export function unknownFlag(given: string, known: readonly string[]): string {
  const bare = given.replace(/^-+/, '');
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = k.startsWith(bare) && bare.length >= 3 ? 0.5 : distance(bare, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  const close = best !== null && bestDistance <= Math.max(2, Math.floor(bare.length / 3));
  return `unknown option ${given}${close ? `; did you mean --${best}?` : ''}`;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** A switch's value as a boolean: given (`--json`, `--json=true`) or not (absent, `--json=false`). */
export const isOn = (v: string | undefined) => v !== undefined && v !== 'false';
