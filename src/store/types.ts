/**
 * The store's two interfaces, after Parcel's cache (one small interface, validity kept by the
 * caller): an {@link EntryCache} per tier, holding expansions by key and nothing else, and the
 * {@link Ledger}, the one owner of validity (epochs, definitions, caps, revivals, hits). Admin
 * operations for the CLI are apart (admin.ts).
 */
import type { Dependency, SerializedExpansion } from '../api/types';

/** Identifies one cached expansion. */
export interface EntryKey {
  /** Stable id of the macro: its package name + module path relative to the package root (or absolute path). */
  readonly macroId: string;
  /** Definition fingerprint (see fingerprint.ts). */
  readonly fingerprint: string;
  /** Signature key (see signature/key.ts). */
  readonly sigKey: string;
}

/** An expansion as every tier holds it: key, expansion, the dependencies it read. */
export interface CachedEntry extends EntryKey {
  readonly expansion: SerializedExpansion;
  readonly deps: readonly Dependency[];
}

/** A ledger's row: a cached entry with its validity window. */
export interface Entry extends CachedEntry {
  /** First epoch this entry is valid in. */
  readonly minEpoch: number;
  /** Last epoch it is valid in; null while open. */
  readonly maxEpoch: number | null;
}

/** What `registerDefinition` (and `invalidate`) did. */
export interface DefinitionResult {
  /** The ledger's epoch after the call. */
  readonly epoch: number;
  /** True when this call bumped the epoch (the fingerprint differed from the recorded one). */
  readonly bumped: boolean;
  /** The fingerprint previously recorded, if any. */
  readonly previous: string | null;
}

/** A macro's recorded definition. */
export interface DefinitionRecord {
  readonly macroId: string;
  readonly fingerprint: string;
  readonly files: readonly string[];
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
 * One tier of expansions by key (the ledger's rows at a build's epoch, the Redis tier), composed
 * by {@link LayeredCache}. Synchronous (Babel plugins are); storage faults never throw: a tier
 * that fails logs one warning and degrades to misses and dropped writes.
 */
export interface EntryCache {
  /** Human-readable tier name for logs. */
  readonly name: string;
  /** One batch (one file's groups): per key, the entry or undefined. */
  getMany(keys: readonly EntryKey[]): Array<CachedEntry | undefined>;
  /**
   * One batch. A key already held keeps one of the two entries (the ledger keeps the first, Redis
   * the last): both hold the same expansion, since generators are pure and keys carry the
   * definition fingerprint.
   */
  putMany(entries: readonly CachedEntry[]): void;
  /** Releases connections; the tier reopens on next use. */
  close(): void;
}

/**
 * Validity of the local entries: epochs, macro definitions, caps and revivals, hit counts, and
 * the entry rows they govern (each row carries its validity window). One SQLite implementation
 * (sqlite-ledger.ts) and one in-memory one (memory-ledger.ts); the decisions both make are in
 * ledger-rules.ts. Synchronous, and never throws for storage faults (see {@link EntryCache}).
 */
/**
 * Parsed expansions kept beside the entries (template/persisted-parse.ts): a cache of a pure
 * function, content-addressed (a key names the parsing code and the text), so nothing in it
 * goes stale and it needs no invalidation; losing it only costs parses.
 */
export interface ParsedCache {
  /** One batch: per key, the stored bytes, or undefined (also for a damaged row, which is dropped). */
  getMany(keys: readonly string[]): Array<Uint8Array | undefined>;
  /** One batch; a key already held keeps its row (one key, one content). */
  putMany(rows: ReadonlyArray<{ readonly key: string; readonly data: Uint8Array }>): void;
}

export interface Ledger {
  readonly name: string;
  /** Where parsed expansions persist across processes, or null (the memory ledger, a signed store). */
  readonly parsed: ParsedCache | null;
  /** The current epoch (0 for a new ledger). */
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
  definitions(): readonly DefinitionRecord[];
  /** Records the files making up a macro's definition (for api.addExternalDependency at factory time). */
  recordDefinitionFiles(macroId: string, files: readonly string[]): void;
  /**
   * Per key, the newest entry valid at `epoch` (`maxEpoch` null or `>= epoch`) whose checksum
   * verifies, or undefined. Corrupt entries are misses (and are deleted where possible).
   */
  getMany(keys: readonly EntryKey[], epoch: number): Array<Entry | undefined>;
  /**
   * Writes many entries in one transaction, valid from the current epoch. If an open entry for
   * the same key exists, the first writer wins; an entry of a superseded definition is stored
   * already capped.
   */
  putMany(entries: readonly CachedEntry[]): void;
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
  /** Counts hits per macro (best effort, batched). */
  recordHits(hits: ReadonlyMap<string, number>): void;
  /** A new build begins (a file that was locked during the previous one may be tried again). */
  beginBuild(): void;
  /** Closes files; the ledger reopens them on next use, so a shared instance stays usable. */
  close(): void;
}
