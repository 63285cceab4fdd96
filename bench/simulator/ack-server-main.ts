/**
 * Runs the acknowledging stub server (ack-server.ts) as its own process, to measure the
 * simulator's ceiling: `node bin/run-ts.js bench/simulator/ack-server-main.ts` prints
 * `{"teltonika":PORT,"wialon":PORT}`, serves until SIGTERM/SIGINT, then prints `{"records":N}`.
 */
import { startAckServer } from './ack-server.ts';

const server = await startAckServer();
process.stdout.write(JSON.stringify({ teltonika: server.teltonikaPort, wialon: server.wialonPort }) + '\n');
const stop = () => {
  const records = server.records;
  void server.close().then(() => {
    process.stdout.write(JSON.stringify({ records }) + '\n');
    process.exit(0);
  });
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
