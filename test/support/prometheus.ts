/** Reading Prometheus text in tests. */

/** The value of one sample (`name{labels} value`), or undefined when absent. Labels must match exactly. */
export function sample(text: string, name: string, labels: { readonly [k: string]: string } = {}): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m !== null && m[1] === name && (m[2] ?? '') === want) return Number(m[3]);
  }
  return undefined;
}
