/**
 * Opening the store for a build.
 * @packageDocumentation
 */
import { resolve } from 'node:path';
import { LayeredStore } from './layered';
import { MemoryStore } from './memory';
import { openSqliteStore } from './sqlite';
import type { Store } from './types';

export type { DefinitionResult, Entry, EntryKey, Store, StoreStats } from './types';
export { MemoryStore } from './memory';
export { LayeredStore } from './layered';
export { openSqliteStore, SqliteStore } from './sqlite';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** `'fs'`: memory over the persistent SQLite store in `cacheDir`; `'memory'`: a fresh in-process store. */
  readonly kind: 'fs' | 'memory';
  /** The cache directory (normally `node_modules/.cache/cached-macros`). */
  readonly cacheDir: string;
}

/** Keys the near (memory) tier of a persistent store keeps; misses fall through to SQLite. */
const NEAR_TIER_KEYS = 50_000;

/**
 * One store per cache directory per process: every plugin instance (each build of a watch
 * process, each Babel config) shares one SQLite connection and one memory tier. Closing it only
 * closes the file, which reopens on next use, so a shared instance is never left unusable.
 */
const opened = new Map<string, Store>();

/**
 * Opens the store for a build. `'fs'` never fails: an unusable cache directory yields an
 * in-memory store with one warning. `'memory'` returns a new, unshared store each time, so
 * builds (and tests) using it are isolated.
 */
export function openStore(options: OpenStoreOptions): Store {
  if (options.kind === 'memory') return new MemoryStore();
  const dir = resolve(options.cacheDir);
  let store = opened.get(dir);
  if (!store) {
    const far = openSqliteStore(dir);
    store = far instanceof MemoryStore ? far : new LayeredStore(new MemoryStore({ maxKeys: NEAR_TIER_KEYS }), far);
    opened.set(dir, store);
  }
  return store;
}

/** Closes and forgets every store opened by {@link openStore} (for tests and process exit). */
export function closeAllStores(): void {
  for (const store of opened.values()) store.close();
  opened.clear();
}
