/**
 * Opens the configured backend. Everything outside store/ sees only the `Store` interface.
 * chDB (libchdb, a whole ClickHouse in a ~570 MB shared library) is imported only when the
 * embedded backend is opened: a gateway on a ClickHouse server never maps it.
 */
import { openServerStore } from './server.ts';
import type { Store } from './types.ts';

export type { Migration, Store, StoreBackend } from './types.ts';
export { DataDirBusyError } from './types.ts';
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

export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.backend === 'server') return openServerStore(config);
  const { openChdbStore } = await import('./chdb.ts');
  return openChdbStore(config);
}
