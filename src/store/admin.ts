/**
 * Maintenance of a cache directory's persistent store, for the `cached-macros` CLI: statistics,
 * listing a macro's entries, garbage collection, trimming to a size, compaction, clearing.
 * Apart from the {@link Ledger}, which builds use: none of this runs during a build. Shares the
 * ledger's guarded connection (sqlite-connection.ts), so every fault behaves the same way.
 * @packageDocumentation
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SqliteDatabase } from './sqlite-driver';
import { plainCodec } from './local-signing';
import { SqliteConnection } from './sqlite-connection';
import { SqliteLedger } from './sqlite-ledger';
import type { EntryRow, LedgerQueries } from './sqlite-queries';
import type { DefinitionRecord, Entry, StoreStats } from './types';

/** `PRAGMA auto_vacuum` value of INCREMENTAL. */
const AUTO_VACUUM_INCREMENTAL = 2;

type MacroStats = StoreStats['macros'][number];

function prepare(db: SqliteDatabase) {
  const p = (sql: string) => db.prepare(sql);
  return {
    epoch: p("SELECT value FROM meta WHERE key = 'epoch'").pluck(),
    deleteRow: p('DELETE FROM entries WHERE id = ?'),
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
    // Parsed expansions are recomputable: gc keeps those written within the epochs it keeps,
    // trim drops them all before any entry.
    gcParsed: p('DELETE FROM parsed WHERE epoch < ?'),
    parsedBytes: p('SELECT COALESCE(SUM(length(data) + length(key) + length(checksum)), 0) FROM parsed').pluck(),
    clearParsed: p('DELETE FROM parsed'),
    counts: p('SELECT COUNT(*) AS entries, COALESCE(SUM(max_epoch IS NULL), 0) AS openEntries FROM entries'),
    macroStats: p(`SELECT d.macro_id AS macroId, d.fingerprint, d.since_epoch AS sinceEpoch, d.hits,
        (SELECT COUNT(*) FROM entries e WHERE e.macro_id = d.macro_id) AS entries
      FROM definitions d ORDER BY d.macro_id`),
  };
}

/** The admin statements and transactions of one open connection. */
class AdminQueries {
  private readonly q: ReturnType<typeof prepare>;
  readonly tx;

  constructor(
    readonly c: LedgerQueries,
    private readonly file: string,
  ) {
    const db = c.db;
    const q = (this.q = prepare(db));
    const epoch = () => q.epoch.get() as number;
    this.tx = {
      gc: db.transaction((keepEpochs: number) => {
        q.gcParsed.run(epoch() - keepEpochs);
        return q.gcCapped.run(epoch() - keepEpochs).changes + q.gcOrphans.run().changes;
      }),
      // Drops rows in eviction order until the rows' share of the file is cut by the excess.
      trim: db.transaction((fileBytes: number, maxBytes: number): number => {
        const parsed = q.parsedBytes.get() as number;
        q.clearParsed.run();
        const rows = q.trimOrder.all() as Array<{ id: number; bytes: number }>;
        const total = rows.reduce((sum, r) => sum + r.bytes, parsed);
        const need = Math.max(1, Math.ceil((total * (fileBytes - maxBytes)) / fileBytes));
        let freed = parsed;
        let dropped = 0;
        for (const r of rows) {
          if (freed >= need) break;
          q.deleteRow.run(r.id);
          freed += r.bytes;
          dropped++;
        }
        return dropped;
      }),
      clear: db.transaction(() => db.exec('DELETE FROM entries; DELETE FROM definitions; DELETE FROM parsed;')),
      stats: db.transaction((): StoreStats => {
        const { entries, openEntries } = q.counts.get() as { entries: number; openEntries: number };
        const pageCount = db.pragma('page_count', { simple: true }) as number;
        const pageSize = db.pragma('page_size', { simple: true }) as number;
        let wal = 0;
        try {
          wal = statSync(`${this.file}-wal`).size;
        } catch {
          // No WAL right now.
        }
        const macros = q.macroStats.all() as MacroStats[];
        return { epoch: epoch(), entries, openEntries, bytes: pageCount * pageSize + wal, macros };
      }),
    };
  }

  rowsOf(macroId: string): EntryRow[] {
    return this.q.rowsOf.all(macroId) as EntryRow[];
  }
}

/** One set of admin statements per open connection (a reopened file gets new ones). */
const prepared = new WeakMap<LedgerQueries, AdminQueries>();
function admin(c: LedgerQueries): AdminQueries {
  let a = prepared.get(c);
  if (!a) prepared.set(c, (a = new AdminQueries(c, c.opened.file)));
  return a;
}

/**
 * The maintenance operations on `<dir>/store.sqlite`. Obtain one with {@link openStoreAdmin}.
 * When the file turns out damaged mid-use the calls answer empty and {@link degraded} is true.
 */
export class StoreAdmin {
  /** The ledger on the same connection (definitions, epochs). */
  readonly ledger: SqliteLedger;

  constructor(private readonly connection: SqliteConnection) {
    this.ledger = new SqliteLedger(connection);
  }

  /** The cache directory. */
  get dir(): string {
    return this.connection.dir;
  }

  /** True once the file proved damaged: results would be empty. */
  get degraded(): boolean {
    return this.connection.degraded;
  }

  definitions(): readonly DefinitionRecord[] {
    return this.ledger.definitions();
  }

  stats(): StoreStats {
    const empty = (): StoreStats => ({ epoch: this.connection.lastEpoch, entries: 0, openEntries: 0, bytes: 0, macros: [] });
    return this.connection.run('read statistics', empty, (c) => admin(c).tx.stats.deferred(), empty);
  }

  /** All entries of one macro, oldest first (for `inspect` and `verify`); damaged rows are dropped. */
  entriesOf(macroId: string): Entry[] {
    return this.connection.run(
      'read entries',
      () => [],
      (c) => {
        const out: Entry[] = [];
        const bad: number[] = [];
        for (const r of admin(c).rowsOf(macroId)) {
          const entry = c.decodeRow({ macroId: r.macro_id, fingerprint: r.fingerprint, sigKey: r.sig_key }, r, bad);
          if (entry) out.push(entry);
        }
        this.connection.dropBadRows(c, bad);
        return out;
      },
      () => [],
    );
  }

  /** Drops entries capped before `epoch - keepEpochs`, and capped entries of unrecorded macros; returns the number dropped. */
  gc(keepEpochs: number): number {
    return this.connection.run(
      'collect garbage',
      () => 0,
      (c) => {
        const dropped = admin(c).tx.gc.immediate(keepEpochs);
        // auto_vacuum=INCREMENTAL: hand the freed pages back to the file system (no full VACUUM).
        if (dropped > 0) c.db.pragma('incremental_vacuum');
        return dropped;
      },
      () => 0,
    );
  }

  /** Drops every entry and definition; the epoch is kept, so running builds stay monotonic. */
  clear(): void {
    this.connection.run(
      'clear the store',
      () => undefined,
      (c) => {
        admin(c).tx.clear.immediate();
        c.db.pragma('incremental_vacuum');
      },
      () => undefined,
    );
  }

  /** Shrinks the file to what it holds: frees unused pages and truncates the WAL once no reader needs it. */
  compact(): void {
    this.connection.run('compact the store', () => undefined, (c) => compact(c.db), () => undefined);
  }

  /**
   * Drops entries until the store's size on disk (file + WAL, as in {@link stats}) is at most
   * `maxBytes`. Parsed expansions go first (they are only a cache of parses), then capped
   * entries, oldest epoch first, then open entries, oldest written first. Returns the number dropped. A few rounds: page-level sizes are only known after compacting.
   */
  trim(maxBytes: number): number {
    return this.connection.run(
      'trim the store',
      () => 0,
      (c) => {
        const a = admin(c);
        let dropped = 0;
        for (let round = 0; round < 16; round++) {
          compact(c.db);
          const { bytes } = a.tx.stats.deferred();
          if (bytes <= maxBytes) break;
          const n = a.tx.trim.immediate(bytes, maxBytes);
          // Round 0 drops the parsed expansions first, which may be enough: compact and look again.
          if (n === 0 && round > 0) break;
          dropped += n;
        }
        return dropped;
      },
      () => 0,
    );
  }

  close(): void {
    this.connection.close();
  }
}

function compact(db: SqliteDatabase): void {
  if (db.pragma('auto_vacuum', { simple: true }) === AUTO_VACUUM_INCREMENTAL) {
    db.pragma('incremental_vacuum');
  } else {
    // A store created without auto_vacuum: one full VACUUM rebuilds it, switching it on.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
}

/**
 * Opens the store in `dir` for maintenance, or returns null (with one warning) when it cannot
 * be used. `readOnly` opens an existing file without changing anything and throws a
 * {@link StoreOpenError} (sqlite-connection.ts) when it cannot.
 */
export function openStoreAdmin(dir: string, options: { readOnly?: boolean } = {}): StoreAdmin | null {
  const connection = SqliteConnection.open(resolve(dir), options.readOnly === true, plainCodec);
  return connection && new StoreAdmin(connection);
}
