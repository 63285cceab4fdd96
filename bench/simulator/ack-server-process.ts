/** The stub ack server (ack-server-main.ts) as a child process, for the simulator-ceiling run. */
import { spawn } from 'node:child_process';
import { raiseFdLimit } from './gateway-process.ts';
import { processCpuSeconds } from './system-cpu.ts';

export interface AckServerProcess {
  readonly pid: number;
  readonly ports: { readonly teltonika: number; readonly wialon: number };
  cpuSeconds(): number;
  /** SIGTERM; resolves with the records it acknowledged. */
  stop(): Promise<number>;
}

export async function startAckServerProcess(fdLimit: number): Promise<AckServerProcess> {
  const script = `${raiseFdLimit(fdLimit)}; exec "$@"`;
  const child = spawn('bash', ['-c', script, 'bash', process.execPath, 'bin/run-ts.js', 'bench/simulator/ack-server-main.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let waiter: (() => void) | null = null;
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let i: number;
    while ((i = buffered.indexOf('\n')) >= 0) {
      lines.push(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
      waiter?.();
    }
  });
  const nextLine = async (): Promise<string> => {
    while (lines.length === 0) await new Promise<void>((r) => (waiter = r));
    return lines.shift()!;
  };
  const ports = JSON.parse(await nextLine()) as { teltonika: number; wialon: number };
  const pid = child.pid!;
  return {
    pid,
    ports,
    cpuSeconds: () => processCpuSeconds(pid),
    async stop() {
      child.kill('SIGTERM');
      const { records } = JSON.parse(await nextLine()) as { records: number };
      return records;
    },
  };
}
