/**
 * The embedded persistent tier: one SQLite file (better-sqlite3, WAL) shared by every process
 * and build using the cache directory. Writers serialise on `BEGIN IMMEDIATE`, so epoch bumps
 * and first-writer-wins inserts are exact under any number of processes; WAL keeps every
 * committed transaction whole through `kill -9`. No storage fault escapes a method: it is
 * warned about once and the call degrades (miss, dropped write, last known epoch); a damaged
 * file is moved aside and this instance continues from memory.
 * @packageDocumentation
 */
import type Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { debug, warnOnce } from '../log';
import { decodePayload, encodePayload, type EncodedPayload } from './checksum';
import { MemoryStore } from './memory';
import { codeOf, describe, isCorruption, moveAside, openStoreFile, type OpenedFile, type OpenResult } from './sqlite-open';
import type { DefinitionResult, Entry, EntryKey, Store, StoreStats } from './types';

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

function prepare(db: Database.Database) {
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
    insertOpen: p(`INSERT OR IGNORE INTO entries (macro_id, fingerprint, sig_key, min_epoch, max_epoch, payload, checksum, created_at)
      VALUES (?, ?, ?, ?, NULL, ?, ?, ?)`),
    insertCapped: p(`INSERT INTO entries (macro_id, fingerprint, sig_key, min_epoch, max_epoch, payload, checksum, created_at)
      SELECT @m, @f, @s, @min, @max, @payload, @checksum, @now WHERE NOT EXISTS (SELECT 1 FROM entries
        WHERE macro_id = @m AND fingerprint = @f AND sig_key = @s AND (max_epoch IS NULL OR max_epoch >= @max))`),
    capKey: p(`UPDATE entries SET max_epoch = ? WHERE macro_id = ? AND fingerprint = ? AND sig_key = ? AND max_epoch IS NULL`),
    deleteRow: p('DELETE FROM entries WHERE id = ?'),
    rowsOf: p(`SELECT id, macro_id, fingerprint, sig_key, min_epoch, max_epoch, payload, checksum
      FROM entries WHERE macro_id = ? ORDER BY id`),
    gcCapped: p('DELETE FROM entries WHERE max_epoch IS NOT NULL AND max_epoch < ?'),
    gcOrphans: p(`DELETE FROM entries WHERE max_epoch IS NOT NULL
      AND macro_id NOT IN (SELECT macro_id FROM definitions)`),
    counts: p('SELECT COUNT(*) AS entries, COALESCE(SUM(max_epoch IS NULL), 0) AS openEntries FROM entries'),
    macroStats: p(`SELECT d.macro_id AS macroId, d.fingerprint, d.since_epoch AS sinceEpoch, d.hits,
        (SELECT COUNT(*) FROM entries e WHERE e.macro_id = d.macro_id) AS entries
      FROM definitions d ORDER BY d.macro_id`),
  };
}

/** Prepared statements and transactions of one open connection. */
class Queries {
  readonly db: Database.Database;
  private readonly q: ReturnType<typeof prepare>;

  constructor(readonly opened: OpenedFile) {
    this.db = opened.db;
    this.q = prepare(opened.db);
  }

  epoch(): number {
    return this.q.epoch.get() as number;
  }

  /** See {@link Store.registerDefinition}; runs inside `BEGIN IMMEDIATE`, re-reading the record. */
  readonly register = (macroId: string, fingerprint: string): DefinitionResult =>
    this.db
      .transaction((): DefinitionResult => {
        const q = this.q;
        const epoch = this.epoch();
        const def = q.def.get(macroId) as { fingerprint: string; sinceEpoch: number } | undefined;
        if (!def) {
          q.insertDef.run(macroId, fingerprint, epoch);
          return { epoch, bumped: false, previous: null };
        }
        if (def.fingerprint === fingerprint) return { epoch, bumped: false, previous: fingerprint };
        const next = epoch + 1;
        q.setEpoch.run(next);
        q.capOthers.run(epoch, macroId, fingerprint);
        q.revive.run({ m: macroId, f: fingerprint });
        q.updateDef.run(fingerprint, next, macroId);
        return { epoch: next, bumped: true, previous: def.fingerprint };
      })
      .immediate();

  /** Newest valid row per key, in one read transaction; rows failing their checksum go to `bad`. */
  readonly getMany = (keys: readonly EntryKey[], epoch: number, bad: number[]): Array<Entry | undefined> =>
    this.db.transaction(() =>
      keys.map((k): Entry | undefined => {
        const row = this.q.lookup.get(k.macroId, k.fingerprint, k.sigKey, epoch) as EntryRow | undefined;
        if (!row) return undefined;
        const decoded = decodePayload(k, row.payload, row.checksum);
        if (!decoded) {
          bad.push(row.id);
          return undefined;
        }
        const { macroId, fingerprint, sigKey } = k;
        return { macroId, fingerprint, sigKey, ...decoded, minEpoch: row.min_epoch, maxEpoch: row.max_epoch };
      }),
    )();

  /** Inserts encoded entries at the current epoch (see {@link Store.putMany}). */
  readonly putMany = (entries: ReadonlyArray<readonly [NewEntry, EncodedPayload]>, now: number): void =>
    this.db
      .transaction(() => {
        const q = this.q;
        const epoch = this.epoch();
        const defs = new Map<string, { fingerprint: string; sinceEpoch: number } | undefined>();
        for (const [e, { payload, checksum }] of entries) {
          if (!defs.has(e.macroId)) defs.set(e.macroId, q.def.get(e.macroId) as never);
          const def = defs.get(e.macroId);
          if (def && def.fingerprint !== e.fingerprint) {
            // A late writer of a superseded definition: valid up to the epoch before the current
            // definition was recorded, and never left open (a revert can still revive it).
            const max = def.sinceEpoch - 1;
            q.insertCapped.run({ m: e.macroId, f: e.fingerprint, s: e.sigKey, min: epoch, max, payload, checksum, now });
          } else {
            q.insertOpen.run(e.macroId, e.fingerprint, e.sigKey, epoch, payload, checksum, now);
          }
        }
      })
      .immediate();

  /** Caps the open entries of `keys`; bumps the epoch once if any was capped. */
  readonly invalidate = (keys: readonly EntryKey[]): DefinitionResult =>
    this.db
      .transaction((): DefinitionResult => {
        const epoch = this.epoch();
        let capped = 0;
        for (const k of keys) capped += this.q.capKey.run(epoch, k.macroId, k.fingerprint, k.sigKey).changes;
        if (capped === 0) return { epoch, bumped: false, previous: null };
        this.q.setEpoch.run(epoch + 1);
        return { epoch: epoch + 1, bumped: true, previous: null };
      })
      .immediate();

  readonly deleteRows = (ids: readonly number[]): void =>
    this.db
      .transaction(() => {
        for (const id of ids) this.q.deleteRow.run(id);
      })
      .immediate();

  definitions(): Array<{ macroId: string; fingerprint: string; files: readonly string[] }> {
    return (this.q.defs.all() as Array<{ macro_id: string; fingerprint: string; files: string }>).map((r) => ({
      macroId: r.macro_id,
      fingerprint: r.fingerprint,
      files: parseFiles(r.files),
    }));
  }

  setFiles(macroId: string, files: readonly string[]): number {
    return this.q.setFiles.run(JSON.stringify(files), macroId).changes;
  }

  readonly addHits = (hits: ReadonlyMap<string, number>): void =>
    this.db
      .transaction(() => {
        for (const [macroId, n] of hits) if (n > 0) this.q.addHits.run(n, macroId);
      })
      .immediate();

  rowsOf(macroId: string): EntryRow[] {
    return this.q.rowsOf.all(macroId) as EntryRow[];
  }

  readonly gc = (keepEpochs: number): number => {
    const dropped = this.db
      .transaction(() => {
        const limit = this.epoch() - keepEpochs;
        return this.q.gcCapped.run(limit).changes + this.q.gcOrphans.run().changes;
      })
      .immediate();
    if (dropped > 0) this.db.pragma('incremental_vacuum');
    return dropped;
  };

  readonly clear = (): void => {
    this.db.transaction(() => this.db.exec('DELETE FROM entries; DELETE FROM definitions;')).immediate();
    this.db.pragma('incremental_vacuum');
  };

  readonly stats = (): StoreStats =>
    this.db.transaction((): StoreStats => {
      const { entries, openEntries } = this.q.counts.get() as { entries: number; openEntries: number };
      const pages = (this.db.pragma('page_count', { simple: true }) as number) * (this.db.pragma('page_size', { simple: true }) as number);
      let wal = 0;
      try {
        wal = statSync(`${this.opened.file}-wal`).size;
      } catch {
        // No WAL right now.
      }
      const macros = this.q.macroStats.all() as MacroStats[];
      return { epoch: this.epoch(), entries, openEntries, bytes: pages + wal, macros };
    })();
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

  /** Use {@link openSqliteStore}, which falls back to memory when the file cannot be opened. */
  constructor(dir: string, opened: OpenedFile) {
    this.dir = resolve(dir);
    this.conn = new Queries(opened);
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
          c.setFiles(macroId, files);
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
        encoded.push([e, encodePayload(e, e.expansion, e.deps)]);
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

  entriesOf(macroId: string): Entry[] {
    return this.guard(
      'read entries',
      (m) => m.entriesOf(macroId),
      (c) => {
        const out: Entry[] = [];
        const bad: number[] = [];
        for (const r of c.rowsOf(macroId)) {
          const key = { macroId: r.macro_id, fingerprint: r.fingerprint, sigKey: r.sig_key };
          const decoded = decodePayload(key, r.payload, r.checksum);
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
    if (!this.memory) {
      const c = this.connection();
      if (c) {
        try {
          return onDb(c);
        } catch (e) {
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
    }
    return onMemory(this.memory!);
  }

  private connection(): Queries | null {
    if (this.conn) return this.conn;
    const r = openStoreFile(this.dir);
    reportDamage(this.dir, r);
    if (r.ok) {
      try {
        return (this.conn = new Queries(r.opened));
      } catch (e) {
        r.opened.db.close();
        if (isCorruption(e)) moveAside(r.opened.file, r.opened.ino);
        warnOnce(`sqlite-open:${this.dir}`, unavailableMessage(this.dir, describe(e)));
      }
    } else {
      warnOnce(`sqlite-open:${this.dir}`, unavailableMessage(this.dir, r.reason));
    }
    this.memory = new MemoryStore({ name: 'memory', epoch: this.lastEpoch });
    return null;
  }

  private degrade(c: Queries, e: unknown): void {
    this.conn = null;
    try {
      c.db.close();
    } catch {
      // Already unusable.
    }
    const movedTo = moveAside(c.opened.file, c.opened.ino);
    warnOnce(
      `sqlite-corrupt:${c.opened.file}`,
      `the macro cache ${c.opened.file} is damaged (${describe(e)})` +
        (movedTo ? `; moved it aside to ${movedTo}` : '') +
        '; caching in memory for the rest of this process',
    );
    this.memory = new MemoryStore({ name: 'memory', epoch: this.lastEpoch });
  }

  /** Deletes rows that failed their checksum (best effort: they are misses either way). */
  private dropBadRows(c: Queries, ids: readonly number[]): void {
    warnOnce(`sqlite-checksum:${this.dir}`, `the macro cache in ${this.dir} held damaged entries; they were dropped`);
    try {
      c.deleteRows(ids);
    } catch (e) {
      debug('deleting damaged rows in %s: %s', this.dir, describe(e));
    }
  }

  private remember(epoch: number): number {
    return (this.lastEpoch = epoch);
  }
}

function unavailableMessage(dir: string, reason: string): string {
  return `cannot use the macro cache in ${dir} (${reason}); caching in memory only for this process`;
}

function reportDamage(dir: string, r: OpenResult): void {
  if (!r.damage) return;
  warnOnce(
    `sqlite-damaged:${dir}`,
    `the macro cache in ${dir} was not a usable database (${r.damage.reason})` +
      (r.damage.movedTo ? `; moved it aside to ${r.damage.movedTo}` : '') +
      (r.ok ? ' and started a fresh one' : ''),
  );
}

/**
 * Opens the persistent store in `dir` (created if needed; normally
 * `node_modules/.cache/cached-macros`). A damaged file is moved aside and replaced, with one
 * warning. When the directory cannot be used at all (unwritable, read-only, full, not a
 * directory…) returns a {@link MemoryStore}, with one warning, so the build still succeeds.
 */
export function openSqliteStore(dir: string): Store {
  const r = openStoreFile(dir);
  reportDamage(resolve(dir), r);
  if (r.ok) {
    try {
      return new SqliteStore(dir, r.opened);
    } catch (e) {
      r.opened.db.close();
      warnOnce(`sqlite-open:${resolve(dir)}`, unavailableMessage(resolve(dir), describe(e)));
      return new MemoryStore();
    }
  }
  warnOnce(`sqlite-open:${resolve(dir)}`, unavailableMessage(resolve(dir), r.reason));
  return new MemoryStore();
}
