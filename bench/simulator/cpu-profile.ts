/** Reads a V8 `.cpuprofile` (node --cpu-prof) into "where did the time go" tables. */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly selfMs: number;
  readonly selfPercent: number;
}

export interface ProfileReport {
  readonly totalMs: number;
  /** Self time per function (name + file:line), largest first. */
  readonly functions: readonly ProfileEntry[];
  /** Self time per source file / category, largest first. */
  readonly files: readonly ProfileEntry[];
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const s = url.replace(/^file:\/\//, '');
  const nm = s.lastIndexOf('node_modules/');
  if (nm >= 0) return s.slice(nm + 'node_modules/'.length);
  const main = s.indexOf('/main/');
  return main >= 0 ? s.slice(main + 6) : s;
}

export function analyseProfile(path: string, top = 25): ProfileReport {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  // Self time per node from samples × time deltas (µs); fall back to hitCount × mean interval.
  const selfUs = new Map<number, number>();
  if (p.samples && p.timeDeltas && p.samples.length === p.timeDeltas.length) {
    for (let i = 0; i < p.samples.length; i++) {
      const dt = p.timeDeltas[i + 1] ?? 0;
      selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + dt);
    }
  } else {
    const hits = p.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
    for (const n of p.nodes) selfUs.set(n.id, ((n.hitCount ?? 0) / hits) * (p.endTime - p.startTime));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const cf = n.callFrame;
    const where = shortUrl(cf.url);
    const name = `${cf.functionName || '(anonymous)'}  ${where}${cf.url && cf.lineNumber > 0 ? ':' + (cf.lineNumber + 1) : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const category = cf.url ? where.split(':')[0] : cf.functionName.startsWith('(') ? cf.functionName : '(native)';
    file.set(category, (file.get(category) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: Math.round(us / 1000), selfPercent: Math.round((us / total) * 1000) / 10 }));
  return { totalMs: Math.round(total / 1000), functions: rank(fn), files: rank(file) };
}
