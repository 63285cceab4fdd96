/** CPU accounting from /proc (Linux): per process, and the whole machine (to see other load). */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ

/** CPU seconds (user + system, all threads) used by process `pid` so far, or NaN. */
export function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** Busy CPU seconds of the whole machine (all cores; everything but idle and iowait) so far, or NaN. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]; // "cpu  user nice system idle iowait irq softirq steal …"
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] ?? 0);
    return busy / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * Waits until the machine is quiet (other work below `maxBusyCores` over a 2-s window) or
 * `timeoutMs` passes; returns the last measured busy cores. Benchmarks on a shared machine
 * otherwise measure their neighbours.
 */
export async function waitQuiet(maxBusyCores: number, timeoutMs: number, log: (s: string) => void): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const a = machineBusySeconds();
    await new Promise((r) => setTimeout(r, 2000));
    const busy = (machineBusySeconds() - a) / 2;
    if (!(busy > maxBusyCores) || Date.now() > deadline) {
      log(`machine busy before the run: ${busy.toFixed(2)} cores${busy > maxBusyCores ? ' (gave up waiting for quiet)' : ''}`);
      return busy;
    }
    log(`machine busy ${busy.toFixed(2)} cores (other processes); waiting for < ${maxBusyCores}`);
  }
}

/**
 * TcpExt ListenOverflows from /proc/net/netstat (whole machine, since boot), or NaN: a listener's
 * accept queue was full, so a connecting device's handshake was dropped and must be retried —
 * the sign of a gateway whose event loop did not get round to accepting.
 */
export function tcpListenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i++) {
      if (!lines[i].startsWith('TcpExt:') || !lines[i + 1].startsWith('TcpExt:')) continue;
      const names = lines[i].trim().split(/\s+/);
      const values = lines[i + 1].trim().split(/\s+/);
      const at = names.indexOf('ListenOverflows');
      return at > 0 ? Number(values[at]) : NaN;
    }
    return NaN;
  } catch {
    return NaN;
  }
}
