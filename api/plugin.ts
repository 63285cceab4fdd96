/**
 * Named fastify plugins with declared dependencies (what `fastify-plugin` does, without the
 * package): fastify checks at registration that every dependency was registered first.
 * `encapsulate: false` (the default for service plugins) shares decorators and hooks with the
 * parent; route plugins keep `encapsulate: true`, so their prefix and hooks stay theirs.
 */
import type { FastifyPluginAsync } from 'fastify';

export interface PluginMeta {
  readonly name: string;
  readonly dependencies?: readonly string[];
  readonly encapsulate?: boolean;
}

export function plugin<O extends object = Record<never, never>>(fn: FastifyPluginAsync<O>, meta: PluginMeta): FastifyPluginAsync<O> {
  const f = fn as FastifyPluginAsync<O> & { [k: symbol]: unknown };
  f[Symbol.for('skip-override')] = meta.encapsulate !== true;
  f[Symbol.for('fastify.display-name')] = meta.name;
  f[Symbol.for('plugin-meta')] = { name: meta.name, dependencies: [...(meta.dependencies ?? [])] };
  return f;
}
