/**
 * Deterministic JSON: object keys sorted (code-point order) at every level, no whitespace, arrays
 * in their given order. Same value → byte-identical text → same SHA-256.
 */
import { createHash } from 'node:crypto';

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: { [k: string]: unknown } = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as { [k: string]: unknown })[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`not representable in JSON: ${value}`);
  return value;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
