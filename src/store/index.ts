/**
 * Opening the store for a build: the cache directory's {@link Ledger} (shared by every build in
 * the process) and the entry caches a build reads and writes (the ledger's rows at the build's
 * epoch, layered over the remote tier when there is one).
 * @packageDocumentation
 */
import { resolve } from 'node:path';
import { hash } from '../util/hash';
import type { ResolvedRemoteOptions } from './remote-options';
import { ledgerEntries, LayeredCache } from './entry-cache';
import { plainCodec, signedCodec } from './local-signing';
import { MemoryLedger } from './memory-ledger';
import { RemoteTier } from './remote';
import { openSqliteLedger } from './sqlite-ledger';
import type { EntryCache, Ledger } from './types';
import { session, type Session } from '../build/session';

export type { CachedEntry, DefinitionResult, Entry, EntryCache, EntryKey, Ledger, StoreStats } from './types';
export { MemoryLedger } from './memory-ledger';
export { LayeredCache, ledgerEntries } from './entry-cache';
export { openSqliteLedger, SqliteLedger } from './sqlite-ledger';
export { RemoteTier } from './remote';

/** Options of {@link openStore} and {@link openLedger}. */
export interface OpenStoreOptions {
  /** `'fs'`: the persistent SQLite ledger in `cacheDir`; `'memory'`: a fresh in-process one. */
  readonly kind: 'fs' | 'memory';
  /** The cache directory (normally `node_modules/.cache/cached-macros`). */
  readonly cacheDir: string;
  /** A shared remote tier behind the local one; absent or null for none. */
  readonly remote?: ResolvedRemoteOptions | null;
}

/** What a build reads and writes. */
export interface OpenedStore {
  /** Epochs, definitions, caps, revivals, hits; the local rows. */
  readonly ledger: Ledger;
  /** The entry caches, near to far: the ledger's rows at the build's epoch, then the remote tier. */
  readonly entries: EntryCache;
  /** The remote tier (for its per-file report), or null. */
  readonly remote: RemoteTier | null;
}

/** The remote tier for `options`, and its identity (the secret keys hashed, never kept in a map key). */
function remoteTier(options: ResolvedRemoteOptions): { id: string; tier: RemoteTier } {
  // One remote tier per configuration per session (the worker thread is shared by all).
  const remotes = session().remoteTiers;
  const id = JSON.stringify({ ...options, signingKey: hash(options.signingKey), privateKey: hash(options.privateKey) });
  let tier = remotes.get(id);
  if (!tier) remotes.set(id, (tier = new RemoteTier(options)));
  return { id, tier };
}

/**
 * The ledger for `options`. `'fs'` never fails: an unusable cache directory yields an
 * in-memory ledger with one warning. `'memory'` returns a new, unshared ledger each time, so
 * builds (and tests) using it are isolated. With `remote.signLocal`, the local rows are sealed
 * and verified with the remote keys: a ledger of its own.
 */
export function openLedger(options: OpenStoreOptions): Ledger {
  if (options.kind === 'memory') return new MemoryLedger();
  const dir = resolve(options.cacheDir);
  const signLocal = options.remote?.signLocal ? options.remote : null;
  const key = signLocal ? `${dir}\0signed:${remoteTier(signLocal).id}` : dir;
  // One ledger per cache directory (and local signing key) per session (build/session.ts): every
  // plugin instance (each build of a watch process, each Babel config) shares one SQLite
  // connection. Closing it only closes the file, which reopens on next use.
  const ledgers = session().ledgers;
  let ledger = ledgers.get(key);
  if (!ledger) ledgers.set(key, (ledger = openSqliteLedger(dir, signLocal ? signedCodec(signLocal) : plainCodec)));
  return ledger;
}

/**
 * Opens the store for a build: its ledger, and its entry caches, whose local tier reads at the
 * epoch `epochOf` returns (the build's pinned epoch). Opening starts a build: a file that was
 * locked, or a remote server that was down, during the previous one is tried again.
 */
export function openStore(options: OpenStoreOptions, epochOf: () => number): OpenedStore {
  const remote = options.remote ? remoteTier(options.remote).tier : null;
  remote?.beginBuild();
  const ledger = openLedger(options);
  ledger.beginBuild();
  const local = ledgerEntries(ledger, epochOf);
  return { ledger, entries: remote ? new LayeredCache(local, remote) : local, remote };
}

/** Closes and forgets every ledger and remote tier opened in this session (see {@link Session.closeStores}). */
export function closeAllStores(): void {
  session().closeStores();
}
