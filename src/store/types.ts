/**
 * The store interface shared by every tier (memory, embedded SQLite, later remote).
 * Narrower than Parcel's Cache: entries are looked up and written in batches, one per file.
 */
import type { Dependency, RemoteReport, SerializedExpansion } from '../api/types';

/** Identifies one cached expansion. */
export interface EntryKey {
  /** Stable id of the macro: its package name + module path relative to the package root (or absolute path). */
  readonly macroId: string;
  /** Definition fingerprint (see fingerprint.ts). */
  readonly fingerprint: string;
  /** Signature key (see signature/key.ts). */
  readonly sigKey: string;
}

/** A stored entry. */
export interface Entry extends EntryKey {
  readonly expansion: SerializedExpansion;
  readonly deps: readonly Dependency[];
  /** First epoch this entry is valid in. */
  readonly minEpoch: number;
  /** Last epoch it is valid in; null while open. */
  readonly maxEpoch: number | null;
}

/** What `registerDefinition` did. */
export interface DefinitionResult {
  /** The store's epoch after the call. */
  readonly epoch: number;
  /** True when this call bumped the epoch (the fingerprint differed from the recorded one). */
  readonly bumped: boolean;
  /** The fingerprint previously recorded, if any. */
  readonly previous: string | null;
}

/** Statistics for the CLI and the demo. */
export interface StoreStats {
  readonly epoch: number;
  readonly entries: number;
  readonly openEntries: number;
  readonly bytes: number;
  readonly macros: ReadonlyArray<{ macroId: string; fingerprint: string; sinceEpoch: number; entries: number; hits: number }>;
}

/**
 * A store tier. All methods are synchronous (Babel plugins are), and must never throw for
 * storage faults: a tier that fails logs one warning and degrades to misses / dropped writes.
 */
export interface Store {
  /** Human-readable tier name for logs. */
  readonly name: string;
  /** The current epoch (0 for a new store). */
  currentEpoch(): number;
  /**
   * Records the definition fingerprint of a macro. When it differs from the recorded one, one
   * transaction bumps the epoch, records the new fingerprint, caps `maxEpoch` of the macro's open
   * entries at the old epoch, and reopens entries of the new fingerprint still retained (revert).
   * A macro seen for the first time is recorded without a bump. Safe under concurrent callers:
   * N processes registering the same new fingerprint at once bump the epoch exactly once.
   */
  registerDefinition(macroId: string, fingerprint: string): DefinitionResult;
  /** The recorded fingerprint of every known macro, and the definition files recorded with it. */
  definitions(): ReadonlyArray<{ macroId: string; fingerprint: string; files: readonly string[] }>;
  /** Records the files making up a macro's definition (for api.addExternalDependency at factory time). */
  recordDefinitionFiles(macroId: string, files: readonly string[]): void;
  /**
   * Looks up many keys at once. Returns, per key, the newest entry valid at `epoch`
   * (`minEpoch <= epoch` not required; `maxEpoch` null or `>= epoch`) whose checksum verifies,
   * or undefined. Corrupt entries are misses (and are deleted where possible).
   */
  getMany(keys: readonly EntryKey[], epoch: number): Array<Entry | undefined>;
  /**
   * Writes many entries in one transaction. `minEpoch` is set by the store to its current epoch.
   * If an open entry for the same key exists, the first writer wins (generators are pure).
   */
  putMany(entries: ReadonlyArray<Omit<Entry, 'minEpoch' | 'maxEpoch'>>): void;
  /**
   * Caps entries whose recorded dependencies changed: one transaction bumps the epoch once and
   * sets their `maxEpoch` to the old epoch. Entries already capped are left alone (no bump when
   * every one of them was already capped by another process).
   */
  invalidate(keys: readonly EntryKey[]): DefinitionResult;
  /**
   * The open entries of one macro definition that recorded dependencies, with those
   * dependencies: checked once per build when the macro is registered, so that a changed file
   * or variable caps all its dependents in one transaction (one epoch bump per change).
   */
  dependents(macroId: string, fingerprint: string): Array<{ sigKey: string; deps: readonly Dependency[] }>;
  /**
   * Capped (retained) entries per key, newest first, checksum-verified: a dependency that
   * changed back (an environment variable toggled, a file restored) makes one valid again, so
   * the plugin reuses it instead of generating. One batch per file, only for misses.
   */
  retainedMany(keys: readonly EntryKey[]): Entry[][];
  /**
   * What the shared remote tier did since the last call (one file's batches), or null when there
   * is no remote tier or it was not consulted. Only layered stores with a remote tier have it.
   */
  takeRemoteReport?(): RemoteReport | null;
  /** Counts hits per macro (best effort, batched). */
  recordHits?(hits: ReadonlyMap<string, number>): void;
  stats(): StoreStats;
  /** All entries of one macro (for `inspect` and `verify`). */
  entriesOf(macroId: string): Entry[];
  /** Drops entries capped before `epoch - keepEpochs`; returns the number dropped. */
  gc(keepEpochs: number): number;
  clear(): void;
  close(): void;
}
