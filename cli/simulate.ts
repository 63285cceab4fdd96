/** `fleetmeter simulate`: parse flags → runSimulation → print (the logic lives in bench/simulator/). */
import { OptionError, parseSimulationFlags, SIMULATE_FLAGS, SIMULATE_HELP } from '../bench/simulator/options.ts';
import { fdLimitWarning, progressLine, summaryText } from '../bench/simulator/report.ts';
import { runSimulation } from '../bench/simulator/simulator.ts';
import { parseArgs } from './args.ts';

export async function run(args: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(args, SIMULATE_FLAGS);
  if (flags.help) {
    process.stdout.write(SIMULATE_HELP);
    return 0;
  }
  let options;
  try {
    if (positionals.length > 0) throw new OptionError(`unexpected argument "${positionals[0]}"`);
    options = parseSimulationFlags(flags);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    process.stderr.write(`fleetmeter simulate: ${err.message}\n`);
    return 2;
  }
  const warning = fdLimitWarning(options.devices);
  if (warning) process.stderr.write(warning + '\n');

  const showProgress = flags.progress === 'true' || (flags.progress === undefined && process.stderr.isTTY === true);
  const stop = new AbortController();
  const onSignal = () => {
    process.stderr.write('\nstopping: waiting for outstanding acks (Ctrl-C again to quit)\n');
    process.off('SIGINT', onSignal);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  const summary = await runSimulation(options, {
    signal: stop.signal,
    onProgress: showProgress ? (p) => process.stderr.write(progressLine(p) + '\n') : undefined,
  });
  process.off('SIGINT', onSignal);
  process.stdout.write(flags.json === 'true' ? JSON.stringify(summary, null, 2) + '\n' : summaryText(summary));
  return summary.ok ? 0 : 1;
}
