/**
 * The persistent {@link Ledger}: one SQLite file (node:sqlite or better-sqlite3, see
 * sqlite-driver.ts; WAL) shared by every process and build using the cache directory. Its
 * `entries` table is also the local entry cache (see entry-cache.ts). The statements are
 * sqlite-queries.ts'; opening, reopening and every fault (a lock held elsewhere, a damaged
 * file, a full disk) are sqlite-connection.ts'. WAL keeps every committed transaction whole
 * through `kill -9`.
 * @packageDocumentation
 */
import { resolve } from 'node:path';
import { warnOnce } from '../util/log';
import type { Dependency } from '../api/types';
import type { EncodedPayload } from './checksum';
import { plainCodec, type RowCodec } from './local-signing';
import { MemoryLedger } from './memory-ledger';
import { SqliteConnection } from './sqlite-connection';
import { describe } from './sqlite-open';
import type { CachedEntry, DefinitionRecord, DefinitionResult, Entry, EntryKey, Ledger, ParsedCache } from './types';

/**
 * A {@link Ledger} on `<dir>/store.sqlite`. Obtain one with {@link openSqliteLedger}. After
 * `close()` the next call reopens the file, so an instance shared by several plugin instances
 * keeps working when one of them closes it.
 */
export class SqliteLedger implements Ledger {
  /** Definition files recorded before the definition itself, written with it. */
  private readonly pendingFiles = new Map<string, readonly string[]>();

  /**
   * Parsed expansions beside the entries; none in a signed store: its rows are sealed so that
   * whoever can write the file cannot put code into builds, and parsed rows are not sealed.
   */
  readonly parsed: ParsedCache | null;

  constructor(private readonly connection: SqliteConnection) {
    this.parsed = connection.codec === plainCodec ? new SqliteParsedCache(connection) : null;
  }

  /** The cache directory. */
  get dir(): string {
    return this.connection.dir;
  }

  get name(): string {
    return this.connection.degraded ? 'sqlite (degraded to memory)' : 'sqlite';
  }

  /** True once this ledger has fallen back to memory for the rest of the process. */
  get degraded(): boolean {
    return this.connection.degraded;
  }

  beginBuild(): void {
    this.connection.beginBuild();
  }

  currentEpoch(): number {
    return this.connection.run(
      'read the epoch',
      (m) => m.currentEpoch(),
      (c) => this.remember(c.epoch()),
      () => this.connection.lastEpoch,
    );
  }

  registerDefinition(macroId: string, fingerprint: string): DefinitionResult {
    return this.connection.run(
      'record a macro definition',
      (m) => m.registerDefinition(macroId, fingerprint),
      (c) => {
        const r = c.register(macroId, fingerprint);
        this.remember(r.epoch);
        const files = this.pendingFiles.get(macroId);
        if (files) {
          this.pendingFiles.delete(macroId);
          this.connection.bestEffort(() => c.setFiles(macroId, files));
        }
        return r;
      },
      () => ({ epoch: this.connection.lastEpoch, bumped: false, previous: null }),
    );
  }

  definitions(): readonly DefinitionRecord[] {
    return this.connection.run('read definitions', (m) => m.definitions(), (c) => c.definitions(), () => []);
  }

  recordDefinitionFiles(macroId: string, files: readonly string[]): void {
    this.connection.run(
      'record definition files',
      (m) => m.recordDefinitionFiles(macroId, files),
      (c) => {
        // Before the first registerDefinition there is no record yet: keep the files for it.
        if (c.setFiles(macroId, files) === 0) this.pendingFiles.set(macroId, [...files]);
      },
      () => undefined,
    );
  }

  getMany(keys: readonly EntryKey[], epoch: number): Array<Entry | undefined> {
    if (keys.length === 0) return [];
    return this.connection.run(
      'read entries',
      (m) => m.getMany(keys, epoch),
      (c) => {
        const bad: number[] = [];
        const out = c.getMany(keys, epoch, bad);
        this.connection.dropBadRows(c, bad);
        return out;
      },
      () => keys.map(() => undefined),
    );
  }

  putMany(entries: readonly CachedEntry[]): void {
    const encoded: Array<readonly [CachedEntry, EncodedPayload]> = [];
    for (const e of entries) {
      try {
        const sealed = this.connection.codec.encode(e, e.expansion, e.deps);
        // null: a signed store this process cannot sign (an Ed25519 reader) only reads.
        if (sealed) encoded.push([e, sealed]);
      } catch (err) {
        // Not serialisable (a generator bug): drop this one, keep the build going.
        warnOnce(`sqlite-encode:${e.macroId}`, `could not store an expansion of ${e.macroId}: ${describe(err)}`);
      }
    }
    if (encoded.length === 0) return;
    this.connection.run(
      'write entries',
      (m) => m.putMany(entries),
      (c) => c.putMany(encoded, Date.now()),
      () => undefined,
    );
  }

  invalidate(keys: readonly EntryKey[]): DefinitionResult {
    return this.connection.run(
      'invalidate entries',
      (m) => m.invalidate(keys),
      (c) => {
        const r = c.invalidate(keys);
        this.remember(r.epoch);
        return r;
      },
      () => ({ epoch: this.connection.lastEpoch, bumped: false, previous: null }),
    );
  }

  recordHits(hits: ReadonlyMap<string, number>): void {
    if (hits.size === 0) return;
    this.connection.run('record hits', (m) => m.recordHits(hits), (c) => c.addHits(hits), () => undefined);
  }

  retainedMany(keys: readonly EntryKey[]): Entry[][] {
    if (keys.length === 0) return [];
    return this.connection.run(
      'read retained entries',
      (m) => m.retainedMany(keys),
      (c) => {
        const bad: number[] = [];
        const out = c.retainedMany(keys, bad);
        this.connection.dropBadRows(c, bad);
        return out;
      },
      () => keys.map(() => []),
    );
  }

  dependents(macroId: string, fingerprint: string): Array<{ sigKey: string; deps: readonly Dependency[] }> {
    return this.connection.run(
      'read dependencies',
      (m) => m.dependents(macroId, fingerprint),
      (c) => c.dependents(macroId, fingerprint),
      () => [],
    );
  }

  close(): void {
    this.connection.close();
  }

  private remember(epoch: number): number {
    return (this.connection.lastEpoch = epoch);
  }
}

/** {@link ParsedCache} on the ledger's file: faults cost parses, never the build (nothing in memory). */
class SqliteParsedCache implements ParsedCache {
  constructor(private readonly connection: SqliteConnection) {}

  getMany(keys: readonly string[]): Array<Uint8Array | undefined> {
    if (keys.length === 0) return [];
    const none = () => keys.map(() => undefined);
    return this.connection.run(
      'read parsed expansions',
      none,
      (c) => {
        const bad: string[] = [];
        const out = c.parsedMany(keys, bad);
        if (bad.length > 0) {
          warnOnce(`sqlite-parsed:${this.connection.dir}`, `the macro cache in ${this.connection.dir} held damaged parsed expansions; they were dropped`);
          this.connection.bestEffort(() => c.dropParsed(bad));
        }
        return out;
      },
      none,
    );
  }

  putMany(rows: ReadonlyArray<{ readonly key: string; readonly data: Uint8Array }>): void {
    if (rows.length === 0) return;
    this.connection.run('write parsed expansions', () => undefined, (c) => c.putParsed(rows), () => undefined);
  }
}

/**
 * Opens the persistent ledger in `dir` (created if needed; normally
 * `node_modules/.cache/cached-macros`). A damaged file is moved aside and replaced, with one
 * warning. When the directory cannot be used at all (unwritable, read-only, full, not a
 * directory…) returns a {@link MemoryLedger}, with one warning, so the build still succeeds.
 */
export function openSqliteLedger(dir: string, codec: RowCodec = plainCodec): Ledger {
  const connection = SqliteConnection.open(resolve(dir), false, codec);
  return connection ? new SqliteLedger(connection) : new MemoryLedger();
}
