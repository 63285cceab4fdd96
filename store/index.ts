/** Opens the configured backend. Everything outside store/ sees only the `Store` interface. */
import { openChdbStore } from './chdb.ts';
import { openServerStore } from './server.ts';
import type { Store } from './types.ts';

export type { Migration, Store, StoreBackend } from './types.ts';
export { migrate } from './migrate.ts';
export { storeMigrations } from './schema.ts';
export { Claims, type ClaimsOptions, type Decision } from './claims.ts';

export type StoreConfig =
  | { readonly backend: 'chdb'; readonly path: string; readonly database: string }
  | {
      readonly backend: 'server';
      readonly url: string;
      readonly username?: string;
      readonly password?: string;
      readonly database: string;
      readonly requestTimeoutMs?: number;
    };

export function openStore(config: StoreConfig): Promise<Store> {
  return config.backend === 'chdb' ? openChdbStore(config) : openServerStore(config);
}
