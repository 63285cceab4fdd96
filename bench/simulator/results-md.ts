/** The machine a benchmark ran on, and writing one `## …` section of bench/RESULTS.md in place. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly ramGiB: number;
  readonly node: string;
  readonly os: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.os}`;
}

/**
 * Replaces the section that starts with `heading` (up to the next `## ` heading) with `body`, or
 * appends it. The file is read right before writing so that other sections, which other
 * benchmarks own, are kept as they are on disk.
 */
export function writeSection(file: string, heading: string, body: string): void {
  const section = `${heading}\n\n${body.trim()}\n`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  let out: string;
  if (start < 0) {
    out = text.replace(/\n*$/, '\n\n') + section;
  } else {
    let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    if (end < 0) end = lines.length;
    const before = lines.slice(0, start).join('\n');
    const after = lines.slice(end).join('\n');
    out = (before ? before.replace(/\n*$/, '\n\n') : '') + section + (after ? '\n' + after : '');
  }
  writeFileSync(file, out.replace(/\n*$/, '\n'));
}
