/**
 * The embedded persistent tier: one SQLite file (node:sqlite or better-sqlite3, see sqlite-driver.ts; WAL) shared by every process
 * and build using the cache directory. Writers serialise on `BEGIN IMMEDIATE`, so epoch bumps
 * and first-writer-wins inserts are exact under any number of processes; WAL keeps every
 * committed transaction whole through `kill -9`. No storage fault escapes a method: it is
 * warned about once and the call degrades (miss, dropped write, last known epoch); a damaged
 * file is moved aside and this instance continues from memory.
 * @packageDocumentation
 */
import type { SqliteDatabase } from './sqlite-driver';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { debug, warnOnce } from '../util/log';
import type { EncodedPayload } from './checksum';
import { plainCodec, type RowCodec } from './local-signing';
import { MemoryStore } from './memory';
import { LockBreaker, lockedMessage } from './breaker';
import { codeOf, describe, inodeOf, isBusy, isCorruption, moveAside, openStoreFile, STORE_FILE, type OpenedFile } from './sqlite-open';
import type { DefinitionResult, Entry, EntryKey, Store, StoreStats } from './types';
import type { Dependency } from '../api/types';

type NewEntry = Omit<Entry, 'minEpoch' | 'maxEpoch'>;

interface EntryRow {
  id: number;
  macro_id: string;
  fingerprint: string;
  sig_key: string;
  min_epoch: number;
  max_epoch: number | null;
  payload: string;
  checksum: string;
}

type MacroStats = StoreStats['macros'][number];

function prepare(db: SqliteDatabase) {
  const p = (sql: string) => db.prepare(sql);
  return {
    epoch: p("SELECT value FROM meta WHERE key = 'epoch'").pluck(),
    setEpoch: p("UPDATE meta SET value = ? WHERE key = 'epoch'"),
    def: p('SELECT fingerprint, since_epoch AS sinceEpoch FROM definitions WHERE macro_id = ?'),
    insertDef: p('INSERT INTO definitions (macro_id, fingerprint, since_epoch) VALUES (?, ?, ?)'),
    updateDef: p('UPDATE definitions SET fingerprint = ?, since_epoch = ? WHERE macro_id = ?'),
    defs: p('SELECT macro_id, fingerprint, files FROM definitions ORDER BY macro_id'),
    setFiles: p('UPDATE definitions SET files = ? WHERE macro_id = ?'),
    addHits: p('UPDATE definitions SET hits = hits + ? WHERE macro_id = ?'),
    capOthers: p('UPDATE entries SET max_epoch = ? WHERE macro_id = ? AND fingerprint <> ? AND max_epoch IS NULL'),
    // Revert: reopen the newest retained entry per signature of the fingerprint, where none is open.
    revive: p(`UPDATE entries SET max_epoch = NULL WHERE id IN (
        SELECT MAX(id) FROM entries WHERE macro_id = @m AND fingerprint = @f AND max_epoch IS NOT NULL GROUP BY sig_key)
      AND NOT EXISTS (SELECT 1 FROM entries o WHERE o.macro_id = @m AND o.fingerprint = @f
        AND o.sig_key = entries.sig_key AND o.max_epoch IS NULL)`),
    lookup: p(`SELECT id, min_epoch, max_epoch, payload, checksum FROM entries
      WHERE macro_id = ? AND fingerprint = ? AND sig_key = ? AND (max_epoch IS NULL OR max_epoch >= ?)
      ORDER BY id DESC LIMIT 1`),
    insertOpen: p(`INSERT OR IGNORE INTO entries (macro_id, fingerprint, sig_key, min_epoch, max_epoch, payload, deps, checksum, created_at)
      VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)`),
    insertCapped: p(`INSERT INTO entries (macro_id, fingerprint, sig_key, min_epoch, max_epoch, payload, deps, checksum, created_at)
      SELECT @m, @f, @s, @min, @max, @payload, @deps, @checksum, @now WHERE NOT EXISTS (SELECT 1 FROM entries
        WHERE macro_id = @m AND fingerprint = @f AND sig_key = @s AND (max_epoch IS NULL OR max_epoch >= @max))`),
    capKey: p(`UPDATE entries SET max_epoch = ? WHERE macro_id = ? AND fingerprint = ? AND sig_key = ? AND max_epoch IS NULL`),
    deleteRow: p('DELETE FROM entries WHERE id = ?'),
    retained: p(`SELECT id, min_epoch, max_epoch, payload, checksum FROM entries
      WHERE macro_id = ? AND fingerprint = ? AND sig_key = ? AND max_epoch IS NOT NULL
      ORDER BY id DESC LIMIT 8`),
    dependents: p(`SELECT sig_key AS sigKey, deps FROM entries
      WHERE macro_id = ? AND fingerprint = ? AND max_epoch IS NULL AND deps IS NOT NULL`),
    rowsOf: p(`SELECT id, macro_id, fingerprint, sig_key, min_epoch, max_epoch, payload, checksum
      FROM entries WHERE macro_id = ? ORDER BY id`),
    gcCapped: p('DELETE FROM entries WHERE max_epoch IS NOT NULL AND max_epoch < ?'),
    gcOrphans: p(`DELETE FROM entries WHERE max_epoch IS NOT NULL
      AND macro_id NOT IN (SELECT macro_id FROM definitions)`),
    // trim: the bytes each row stores, in eviction order (capped rows, oldest epoch first; then
    // open rows, oldest written first).
    trimOrder: p(`SELECT id, length(CAST(payload AS BLOB)) + COALESCE(length(CAST(deps AS BLOB)), 0)
        + length(CAST(macro_id AS BLOB)) + length(CAST(sig_key AS BLOB)) + length(fingerprint) + length(checksum) AS bytes
      FROM entries ORDER BY max_epoch IS NULL, max_epoch, id`),
    counts: p('SELECT COUNT(*) AS entries, COALESCE(SUM(max_epoch IS NULL), 0) AS openEntries FROM entries'),
    macroStats: p(`SELECT d.macro_id AS macroId, d.fingerprint, d.since_epoch AS sinceEpoch, d.hits,
        (SELECT COUNT(*) FROM entries e WHERE e.macro_id = d.macro_id) AS entries
      FROM definitions d ORDER BY d.macro_id`),
  };
}

type Def = { fingerprint: string; sinceEpoch: number } | undefined;

/** `PRAGMA auto_vacuum` value of INCREMENTAL. */
const AUTO_VACUUM_INCREMENTAL = 2;
type Encoded = ReadonlyArray<readonly [NewEntry, EncodedPayload]>;

/**
 * Prepared statements and transactions of one open connection. Every write runs in
 * `BEGIN IMMEDIATE` (taking the write lock up front, so the busy timeout applies and no read
 * snapshot has to be upgraded) and re-reads the epoch and definitions inside it.
 */
class Queries {
  readonly db: SqliteDatabase;
  private readonly q: ReturnType<typeof prepare>;
  private readonly tx;

  constructor(
    readonly opened: OpenedFile,
    /** Seals and verifies rows (local-signing.ts). */
    readonly codec: RowCodec,
  ) {
    const db = (this.db = opened.db);
    const q = (this.q = prepare(db));
    const epoch = () => q.epoch.get() as number;
    this.tx = {
      register: db.transaction((macroId: string, fingerprint: string): DefinitionResult => {
        const now = epoch();
        const def = q.def.get(macroId) as Def;
        if (!def) {
          q.insertDef.run(macroId, fingerprint, now);
          return { epoch: now, bumped: false, previous: null };
        }
        if (def.fingerprint === fingerprint) return { epoch: now, bumped: false, previous: fingerprint };
        q.setEpoch.run(now + 1);
        q.capOthers.run(now, macroId, fingerprint);
        q.revive.run({ m: macroId, f: fingerprint });
        q.updateDef.run(fingerprint, now + 1, macroId);
        return { epoch: now + 1, bumped: true, previous: def.fingerprint };
      }),
      read: db.transaction((keys: readonly EntryKey[], at: number, bad: number[]) =>
        keys.map((k): Entry | undefined => {
          const row = q.lookup.get(k.macroId, k.fingerprint, k.sigKey, at) as EntryRow | undefined;
          if (!row) return undefined;
          const decoded = this.codec.decode(k, row.payload, row.checksum);
          if (!decoded) {
            bad.push(row.id);
            return undefined;
          }
          const { macroId, fingerprint, sigKey } = k;
          return { macroId, fingerprint, sigKey, ...decoded, minEpoch: row.min_epoch, maxEpoch: row.max_epoch };
        }),
      ),
      put: db.transaction((entries: Encoded, now: number) => {
        const at = epoch();
        const defs = new Map<string, Def>();
        for (const [e, { payload, checksum }] of entries) {
          const deps = e.deps.length > 0 ? JSON.stringify(e.deps) : null;
          if (!defs.has(e.macroId)) defs.set(e.macroId, q.def.get(e.macroId) as Def);
          const def = defs.get(e.macroId);
          if (def && def.fingerprint !== e.fingerprint) {
            // A late writer of a superseded definition: valid up to the epoch before the current
            // definition was recorded, and never left open (a revert can still revive it).
            const max = def.sinceEpoch - 1;
            q.insertCapped.run({ m: e.macroId, f: e.fingerprint, s: e.sigKey, min: at, max, payload, deps, checksum, now });
          } else {
            q.insertOpen.run(e.macroId, e.fingerprint, e.sigKey, at, payload, deps, checksum, now);
          }
        }
      }),
      invalidate: db.transaction((keys: readonly EntryKey[]): DefinitionResult => {
        const now = epoch();
        let capped = 0;
        for (const k of keys) capped += q.capKey.run(now, k.macroId, k.fingerprint, k.sigKey).changes;
        if (capped === 0) return { epoch: now, bumped: false, previous: null };
        q.setEpoch.run(now + 1);
        return { epoch: now + 1, bumped: true, previous: null };
      }),
      retained: db.transaction((keys: readonly EntryKey[], bad: number[]) =>
        keys.map((k): Entry[] =>
          (q.retained.all(k.macroId, k.fingerprint, k.sigKey) as EntryRow[]).flatMap((row) => {
            const decoded = this.codec.decode(k, row.payload, row.checksum);
            if (!decoded) {
              bad.push(row.id);
              return [];
            }
            const { macroId, fingerprint, sigKey } = k;
            return [{ macroId, fingerprint, sigKey, ...decoded, minEpoch: row.min_epoch, maxEpoch: row.max_epoch }];
          }),
        ),
      ),
      deleteRows: db.transaction((ids: readonly number[]) => {
        for (const id of ids) q.deleteRow.run(id);
      }),
      addHits: db.transaction((hits: ReadonlyMap<string, number>) => {
        for (const [macroId, n] of hits) if (n > 0) q.addHits.run(n, macroId);
      }),
      gc: db.transaction((keepEpochs: number) => q.gcCapped.run(epoch() - keepEpochs).changes + q.gcOrphans.run().changes),
      // Drops rows in eviction order until the rows' share of the file is cut by the excess.
      trim: db.transaction((fileBytes: number, maxBytes: number): number => {
        const rows = q.trimOrder.all() as Array<{ id: number; bytes: number }>;
        const total = rows.reduce((sum, r) => sum + r.bytes, 0);
        const need = Math.max(1, Math.ceil((total * (fileBytes - maxBytes)) / fileBytes));
        let freed = 0;
        let dropped = 0;
        for (const r of rows) {
          if (freed >= need) break;
          q.deleteRow.run(r.id);
          freed += r.bytes;
          dropped++;
        }
        return dropped;
      }),
      clear: db.transaction(() => db.exec('DELETE FROM entries; DELETE FROM definitions;')),
      stats: db.transaction((): StoreStats => {
        const { entries, openEntries } = q.counts.get() as { entries: number; openEntries: number };
        const pageCount = db.pragma('page_count', { simple: true }) as number;
        const pageSize = db.pragma('page_size', { simple: true }) as number;
        let wal = 0;
        try {
          wal = statSync(`${opened.file}-wal`).size;
        } catch {
          // No WAL right now.
        }
        const macros = q.macroStats.all() as MacroStats[];
        return { epoch: epoch(), entries, openEntries, bytes: pageCount * pageSize + wal, macros };
      }),
    };
  }

  epoch(): number {
    return this.q.epoch.get() as number;
  }

  /** See {@link Store.registerDefinition}; the record is re-read inside the write transaction. */
  register(macroId: string, fingerprint: string): DefinitionResult {
    return this.tx.register.immediate(macroId, fingerprint);
  }

  /** Newest valid row per key, in one read transaction; rows failing their checksum go to `bad`. */
  getMany(keys: readonly EntryKey[], epoch: number, bad: number[]): Array<Entry | undefined> {
    return this.tx.read.deferred(keys, epoch, bad);
  }

  /** Inserts encoded entries at the current epoch (see {@link Store.putMany}). */
  putMany(entries: Encoded, now: number): void {
    this.tx.put.immediate(entries, now);
  }

  /** Caps the open entries of `keys`; bumps the epoch once if any was capped. */
  invalidate(keys: readonly EntryKey[]): DefinitionResult {
    return this.tx.invalidate.immediate(keys);
  }

  deleteRows(ids: readonly number[]): void {
    this.tx.deleteRows.immediate(ids);
  }

  /** Capped rows per key, newest first; rows failing their checksum go to `bad`. */
  retainedMany(keys: readonly EntryKey[], bad: number[]): Entry[][] {
    return this.tx.retained.deferred(keys, bad);
  }

  definitions(): Array<{ macroId: string; fingerprint: string; files: readonly string[] }> {
    return (this.q.defs.all() as Array<{ macro_id: string; fingerprint: string; files: string }>).map((r) => ({
      macroId: r.macro_id,
      fingerprint: r.fingerprint,
      files: parseFiles(r.files),
    }));
  }

  /** Returns the number of definitions updated (0 when the macro has no record yet). */
  setFiles(macroId: string, files: readonly string[]): number {
    return this.q.setFiles.run(JSON.stringify(files), macroId).changes;
  }

  addHits(hits: ReadonlyMap<string, number>): void {
    this.tx.addHits.immediate(hits);
  }

  dependents(macroId: string, fingerprint: string): Array<{ sigKey: string; deps: Dependency[] }> {
    const rows = this.q.dependents.all(macroId, fingerprint) as Array<{ sigKey: string; deps: string }>;
    return rows.flatMap((r) => {
      try {
        const deps: unknown = JSON.parse(r.deps);
        return Array.isArray(deps) ? [{ sigKey: r.sigKey, deps: deps as Dependency[] }] : [];
      } catch {
        return []; // damaged: the checksummed payload is still checked on every hit
      }
    });
  }

  rowsOf(macroId: string): EntryRow[] {
    return this.q.rowsOf.all(macroId) as EntryRow[];
  }

  gc(keepEpochs: number): number {
    const dropped = this.tx.gc.immediate(keepEpochs);
    // auto_vacuum=INCREMENTAL: hand the freed pages back to the file system (no full VACUUM).
    if (dropped > 0) this.db.pragma('incremental_vacuum');
    return dropped;
  }

  clear(): void {
    this.tx.clear.immediate();
    this.db.pragma('incremental_vacuum');
  }

  /** Hands free pages back to the file system and folds the WAL into the file (truncating it). */
  compact(): void {
    if (this.db.pragma('auto_vacuum', { simple: true }) === AUTO_VACUUM_INCREMENTAL) {
      this.db.pragma('incremental_vacuum');
    } else {
      // A store created without auto_vacuum: one full VACUUM rebuilds it, switching it on.
      this.db.pragma('auto_vacuum = INCREMENTAL');
      this.db.exec('VACUUM');
    }
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** See {@link SqliteStore.trim}. A few rounds: page-level sizes are only known after compacting. */
  trim(maxBytes: number): number {
    let dropped = 0;
    for (let round = 0; round < 16; round++) {
      this.compact();
      const { bytes } = this.stats();
      if (bytes <= maxBytes) break;
      const n = this.tx.trim.immediate(bytes, maxBytes);
      if (n === 0) break;
      dropped += n;
    }
    return dropped;
  }

  stats(): StoreStats {
    return this.tx.stats.deferred();
  }
}

function parseFiles(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * A {@link Store} on `<dir>/store.sqlite`. Obtain one with {@link openSqliteStore}. After
 * `close()` the next call reopens the file, so an instance shared by several plugin instances
 * keeps working when one of them closes it.
 */
export class SqliteStore implements Store {
  /** The cache directory. */
  readonly dir: string;
  private conn: Queries | null;
  /** Set once the file proved unusable: every call is served from memory from then on. */
  private memory: MemoryStore | null = null;
  /** The last epoch read, served when the file cannot be read. */
  private lastEpoch = 0;
  /** Definition files recorded before the definition itself, written with it. */
  private readonly pendingFiles = new Map<string, readonly string[]>();

  /** Stops the build from waiting on a file another process keeps locked. */
  private readonly breaker: LockBreaker;

  private constructor(
    dir: string,
    conn: Queries,
    /** Opened read-only (CLI inspection): nothing is created, written or moved aside. */
    readonly readOnly: boolean,
    private readonly codec: RowCodec,
  ) {
    this.dir = dir;
    this.conn = conn;
    this.breaker = new LockBreaker(dir);
  }

  /**
   * Opens the store in `dir` (absolute), or returns null (with one warning) when it cannot be
   * used. `readOnly` opens an existing file without changing anything (see {@link openStoreFile})
   * and throws a {@link StoreOpenError} instead of warning.
   */
  static open(dir: string, options: { readOnly?: boolean; codec?: RowCodec } = {}): SqliteStore | null {
    const readOnly = options.readOnly === true;
    const codec = options.codec ?? plainCodec;
    const conn = openQueries(dir, readOnly, codec);
    return conn && new SqliteStore(dir, conn, readOnly, codec);
  }

  /** A new build begins: a file that was locked during the previous one is tried again. */
  beginBuild(): void {
    this.breaker.reset();
  }

  get name(): string {
    return this.memory ? 'sqlite (degraded to memory)' : 'sqlite';
  }

  /** True once this instance has fallen back to memory for the rest of the process. */
  get degraded(): boolean {
    return this.memory !== null;
  }

  currentEpoch(): number {
    return this.guard(
      'read the epoch',
      (m) => m.currentEpoch(),
      (c) => this.remember(c.epoch()),
      () => this.lastEpoch,
    );
  }

  registerDefinition(macroId: string, fingerprint: string): DefinitionResult {
    return this.guard(
      'record a macro definition',
      (m) => m.registerDefinition(macroId, fingerprint),
      (c) => {
        const r = c.register(macroId, fingerprint);
        this.remember(r.epoch);
        const files = this.pendingFiles.get(macroId);
        if (files) {
          this.pendingFiles.delete(macroId);
          this.bestEffort(() => c.setFiles(macroId, files));
        }
        return r;
      },
      () => ({ epoch: this.lastEpoch, bumped: false, previous: null }),
    );
  }

  definitions(): ReadonlyArray<{ macroId: string; fingerprint: string; files: readonly string[] }> {
    return this.guard('read definitions', (m) => m.definitions(), (c) => c.definitions(), () => []);
  }

  recordDefinitionFiles(macroId: string, files: readonly string[]): void {
    this.guard(
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
    return this.guard(
      'read entries',
      (m) => m.getMany(keys, epoch),
      (c) => {
        const bad: number[] = [];
        const out = c.getMany(keys, epoch, bad);
        if (bad.length > 0) this.dropBadRows(c, bad);
        return out;
      },
      () => keys.map(() => undefined),
    );
  }

  putMany(entries: readonly NewEntry[]): void {
    const encoded: Array<readonly [NewEntry, EncodedPayload]> = [];
    for (const e of entries) {
      try {
        const sealed = this.codec.encode(e, e.expansion, e.deps);
        // null: a signed store this process cannot sign (an Ed25519 reader) only reads.
        if (sealed) encoded.push([e, sealed]);
      } catch (err) {
        // Not serialisable (a generator bug): drop this one, keep the build going.
        warnOnce(`sqlite-encode:${e.macroId}`, `could not store an expansion of ${e.macroId}: ${describe(err)}`);
      }
    }
    if (encoded.length === 0) return;
    this.guard(
      'write entries',
      (m) => m.putMany(entries),
      (c) => c.putMany(encoded, Date.now()),
      () => undefined,
    );
  }

  invalidate(keys: readonly EntryKey[]): DefinitionResult {
    return this.guard(
      'invalidate entries',
      (m) => m.invalidate(keys),
      (c) => {
        const r = c.invalidate(keys);
        this.remember(r.epoch);
        return r;
      },
      () => ({ epoch: this.lastEpoch, bumped: false, previous: null }),
    );
  }

  recordHits(hits: ReadonlyMap<string, number>): void {
    if (hits.size === 0) return;
    this.guard('record hits', (m) => m.recordHits(hits), (c) => c.addHits(hits), () => undefined);
  }

  stats(): StoreStats {
    return this.guard(
      'read statistics',
      (m) => m.stats(),
      (c) => c.stats(),
      () => ({ epoch: this.lastEpoch, entries: 0, openEntries: 0, bytes: 0, macros: [] }),
    );
  }

  retainedMany(keys: readonly EntryKey[]): Entry[][] {
    if (keys.length === 0) return [];
    return this.guard(
      'read retained entries',
      (m) => m.retainedMany(keys),
      (c) => {
        const bad: number[] = [];
        const out = c.retainedMany(keys, bad);
        if (bad.length > 0) this.dropBadRows(c, bad);
        return out;
      },
      () => keys.map(() => []),
    );
  }

  dependents(macroId: string, fingerprint: string): Array<{ sigKey: string; deps: readonly Dependency[] }> {
    return this.guard(
      'read dependencies',
      (m) => m.dependents(macroId, fingerprint),
      (c) => c.dependents(macroId, fingerprint),
      () => [],
    );
  }

  entriesOf(macroId: string): Entry[] {
    return this.guard(
      'read entries',
      (m) => m.entriesOf(macroId),
      (c) => {
        const out: Entry[] = [];
        const bad: number[] = [];
        for (const r of c.rowsOf(macroId)) {
          const key = { macroId: r.macro_id, fingerprint: r.fingerprint, sigKey: r.sig_key };
          const decoded = c.codec.decode(key, r.payload, r.checksum);
          if (decoded) out.push({ ...key, ...decoded, minEpoch: r.min_epoch, maxEpoch: r.max_epoch });
          else bad.push(r.id);
        }
        if (bad.length > 0) this.dropBadRows(c, bad);
        return out;
      },
      () => [],
    );
  }

  gc(keepEpochs: number): number {
    return this.guard('collect garbage', (m) => m.gc(keepEpochs), (c) => c.gc(keepEpochs), () => 0);
  }

  clear(): void {
    this.guard('clear the store', (m) => m.clear(), (c) => c.clear(), () => undefined);
  }

  /**
   * Shrinks the file to what it holds (not part of {@link Store}; for `cached-macros gc` and
   * `clear`): frees unused pages and truncates the WAL once no reader needs it.
   */
  compact(): void {
    this.guard('compact the store', () => undefined, (c) => c.compact(), () => undefined);
  }

  /**
   * Drops entries until the store's size on disk (file + WAL, as in {@link stats}) is at most
   * `maxBytes` (not part of {@link Store}; for `cached-macros gc --max-size`). Capped entries go
   * first, oldest epoch first, then open entries, oldest written first. Returns the number dropped.
   */
  trim(maxBytes: number): number {
    return this.guard('trim the store', () => 0, (c) => c.trim(maxBytes), () => 0);
  }

  close(): void {
    const c = this.conn;
    this.conn = null;
    try {
      c?.db.close();
    } catch (e) {
      debug('closing %s: %s', this.dir, describe(e));
    }
  }

  /**
   * Runs `onDb` on the connection (reopening it after `close()`). Corruption switches this
   * instance to memory for good and answers from there; any other fault is warned about once
   * per kind and answered by `onFault`.
   */
  private guard<T>(what: string, onMemory: (m: MemoryStore) => T, onDb: (c: Queries) => T, onFault: () => T): T {
    if (this.breaker.open) return onFault();
    const c = this.memory ? null : this.connection();
    if (c) {
      try {
        return onDb(c);
      } catch (e) {
        if (this.breaker.trip(e, what)) return onFault();
        if (!isCorruption(e)) {
          warnOnce(
            `sqlite-fault:${this.dir}:${codeOf(e) ?? 'error'}`,
            `the macro cache in ${this.dir} could not ${what} (${describe(e)}); continuing without it`,
          );
          return onFault();
        }
        this.degrade(c, e);
      }
    }
    return onMemory(this.memory!);
  }

  private connection(): Queries | null {
    if (this.conn) {
      // In WAL mode SQLite keeps writing to a deleted or renamed file without complaint. A
      // cleared cache directory, or a file another process moved aside as damaged, means:
      // reopen, creating a fresh store at the path. (One stat, about a microsecond.)
      const { file, ino } = this.conn.opened;
      if (ino === null || inodeOf(file) === ino) return this.conn;
      debug('%s was moved or deleted; reopening', file);
      this.close();
    }
    this.conn = openQueries(this.dir, this.readOnly, this.codec);
    if (!this.conn) this.memory = new MemoryStore({ epoch: this.lastEpoch });
    return this.conn;
  }

  private degrade(c: Queries, e: unknown): void {
    this.conn = null;
    try {
      c.db.close();
    } catch {
      // Already unusable.
    }
    const movedTo = this.readOnly ? null : moveAside(c.opened.file, c.opened.ino);
    warnOnce(
      `sqlite-corrupt:${c.opened.file}`,
      `the macro cache ${c.opened.file} is damaged (${describe(e)})` +
        (movedTo ? `; moved it aside to ${movedTo}` : '') +
        '; caching in memory for the rest of this process',
    );
    this.memory = new MemoryStore({ epoch: this.lastEpoch });
  }

  /** Deletes rows that failed their checksum (they are misses either way). */
  private dropBadRows(c: Queries, ids: readonly number[]): void {
    warnOnce(`sqlite-checksum:${this.dir}`, `the macro cache in ${this.dir} held damaged entries; they were dropped`);
    this.bestEffort(() => c.deleteRows(ids));
  }

  /** A secondary write whose failure must not turn a successful call into a failed one. */
  private bestEffort(fn: () => unknown): void {
    try {
      fn();
    } catch (e) {
      debug('%s: secondary write failed: %s', this.dir, describe(e));
    }
  }

  private remember(epoch: number): number {
    return (this.lastEpoch = epoch);
  }
}

/** Why a store opened read-only could not be used; `damaged` when the file itself is corrupt. */
export class StoreOpenError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly damaged: boolean,
  ) {
    super(`${damaged ? `the store ${file} is damaged` : `cannot open the store ${file}`} (${reason})`);
    this.name = 'StoreOpenError';
  }
}

/** Opens the file and prepares its statements; warns (once) and returns null when unusable. */
function openQueries(dir: string, readOnly: boolean, codec: RowCodec): Queries | null {
  const started = Date.now();
  const r = openStoreFile(dir, (opened) => new Queries(opened, codec), { readOnly });
  // Read-only callers (the CLI) report the failure themselves, as an error rather than a fallback.
  if (!r.ok && readOnly) throw new StoreOpenError(join(dir, STORE_FILE), r.reason, r.damage !== null);
  if (r.damage) {
    warnOnce(
      `sqlite-damaged:${dir}`,
      `the macro cache in ${dir} was not a usable database (${r.damage.reason})` +
        (r.damage.movedTo ? `; moved it aside to ${r.damage.movedTo}` : '') +
        (r.ok ? ' and started a fresh one' : ''),
    );
  }
  if (!r.ok && isBusy({ code: r.reason.split(':')[0] })) {
    warnOnce(`sqlite-open:${dir}`, lockedMessage(dir, `could not open it: ${r.reason}`));
    return null;
  }
  if (!r.ok) {
    warnOnce(
      `sqlite-open:${dir}`,
      `cannot use the macro cache in ${dir} (${r.reason}); caching in memory only for this process`,
    );
    return null;
  }
  debug('opened %s/%s in %d ms', dir, STORE_FILE, Date.now() - started);
  return r.value;
}

/**
 * Opens the persistent store in `dir` (created if needed; normally
 * `node_modules/.cache/cached-macros`). A damaged file is moved aside and replaced, with one
 * warning. When the directory cannot be used at all (unwritable, read-only, full, not a
 * directory…) returns a {@link MemoryStore}, with one warning, so the build still succeeds.
 */
export function openSqliteStore(dir: string, codec: RowCodec = plainCodec): Store {
  return SqliteStore.open(resolve(dir), { codec }) ?? new MemoryStore();
}
