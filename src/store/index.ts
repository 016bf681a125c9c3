/**
 * Opening the store for a build.
 * @packageDocumentation
 */
import { resolve } from 'node:path';
import { hash } from '../util/hash';
import type { ResolvedRemoteOptions } from './remote-options';
import { LayeredStore } from './layered';
import { plainCodec, signedCodec } from './local-signing';
import { MemoryStore } from './memory';
import { RemoteTier } from './remote';
import { openSqliteStore, SqliteStore } from './sqlite';
import type { Store } from './types';

export type { DefinitionResult, Entry, EntryKey, Store, StoreStats } from './types';
export { MemoryStore } from './memory';
export { LayeredStore } from './layered';
export { openSqliteStore, SqliteStore } from './sqlite';
export { RemoteTier } from './remote';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** `'fs'`: memory over the persistent SQLite store in `cacheDir`; `'memory'`: a fresh in-process store. */
  readonly kind: 'fs' | 'memory';
  /** The cache directory (normally `node_modules/.cache/cached-macros`). */
  readonly cacheDir: string;
  /** A shared remote tier behind the local ones; absent or null for none. */
  readonly remote?: ResolvedRemoteOptions | null;
}

/** Keys the near (memory) tier of a persistent store keeps; misses fall through to SQLite. */
const NEAR_TIER_KEYS = 50_000;

/**
 * One store per cache directory per process: every plugin instance (each build of a watch
 * process, each Babel config) shares one SQLite connection and one memory tier. Closing it only
 * closes the file, which reopens on next use, so a shared instance is never left unusable.
 */
const opened = new Map<string, Store>();
/** The same with a remote tier, per cache directory and remote configuration. */
const openedRemote = new Map<string, LayeredStore>();
/** One remote tier per configuration per process (the worker thread is shared by all). */
const remotes = new Map<string, RemoteTier>();

/** The remote tier for `options`, and its identity (the secret keys hashed, never kept in a map key). */
function remoteTier(options: ResolvedRemoteOptions): { id: string; tier: RemoteTier } {
  const id = JSON.stringify({ ...options, signingKey: hash(options.signingKey), privateKey: hash(options.privateKey) });
  let tier = remotes.get(id);
  if (!tier) remotes.set(id, (tier = new RemoteTier(options)));
  return { id, tier };
}

/**
 * Opens the store for a build. `'fs'` never fails: an unusable cache directory yields an
 * in-memory store with one warning. `'memory'` returns a new, unshared store each time, so
 * builds (and tests) using it are isolated. With `remote`, the local tiers are layered over the
 * shared remote tier (see remote.ts), which a new build may retry if it was down.
 */
export function openStore(options: OpenStoreOptions): Store {
  const remote = options.remote ? remoteTier(options.remote) : null;
  // Opening the store starts a build: a remote server that was down may be tried again.
  remote?.tier.beginBuild();
  if (options.kind === 'memory') {
    return remote ? new LayeredStore(new MemoryStore({ maxKeys: NEAR_TIER_KEYS }), new MemoryStore(), remote.tier) : new MemoryStore();
  }
  const dir = resolve(options.cacheDir);
  // A signed local store is its own instance: rows are sealed and verified with the remote keys.
  const signLocal = remote && options.remote?.signLocal ? remote : null;
  const storeKey = signLocal ? `${dir}\0signed:${signLocal.id}` : dir;
  let store = opened.get(storeKey);
  if (!store) {
    const far = openSqliteStore(dir, signLocal ? signedCodec(options.remote as ResolvedRemoteOptions) : plainCodec);
    store = far instanceof MemoryStore ? far : new LayeredStore(new MemoryStore({ maxKeys: NEAR_TIER_KEYS }), far);
    opened.set(storeKey, store);
  }
  const file = store instanceof LayeredStore ? store.far : store;
  if (file instanceof SqliteStore) file.beginBuild();
  if (!remote) return store;
  const key = `${storeKey}\0${remote.id}`;
  let layered = openedRemote.get(key);
  if (!layered) {
    // Shares the local persistent tier (or its memory fallback) with the store opened without a remote.
    const far = store instanceof LayeredStore ? store.far : store;
    layered = new LayeredStore(new MemoryStore({ maxKeys: NEAR_TIER_KEYS }), far, remote.tier);
    openedRemote.set(key, layered);
  }
  return layered;
}

/** Closes and forgets every store opened by {@link openStore} (for tests and process exit). */
export function closeAllStores(): void {
  for (const store of [...opened.values(), ...openedRemote.values()]) store.close();
  opened.clear();
  openedRemote.clear();
  for (const remote of remotes.values()) remote.close();
  remotes.clear();
}
