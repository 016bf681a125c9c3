/**
 * The SQLite ledger's statements and transactions on one open connection. Every write runs in
 * `BEGIN IMMEDIATE` (taking the write lock up front, so the busy timeout applies and no read
 * snapshot has to be upgraded) and re-reads the epoch and definitions inside it, so epoch bumps
 * and first-writer-wins inserts are exact under any number of processes. The decisions are
 * ledger-rules.ts'; this module only reads and writes rows.
 * @packageDocumentation
 */
import type { SqliteDatabase } from './sqlite-driver';
import { hash } from '../util/hash';
import type { Dependency } from '../api/types';
import type { EncodedPayload } from './checksum';
import { decideRegistration, insertCap, invalidation, type RecordedDefinition } from './ledger-rules';
import type { RowCodec } from './local-signing';
import type { OpenedFile } from './sqlite-open';
import type { CachedEntry, DefinitionRecord, DefinitionResult, Entry, EntryKey } from './types';

/** A row of the `entries` table. */
export interface EntryRow {
  id: number;
  macro_id: string;
  fingerprint: string;
  sig_key: string;
  min_epoch: number;
  max_epoch: number | null;
  payload: string;
  checksum: string;
}

/** Entries with their sealed payloads, ready to insert. */
export type Encoded = ReadonlyArray<readonly [CachedEntry, EncodedPayload]>;

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
    parsedGet: p('SELECT data, checksum FROM parsed WHERE key = ?'),
    parsedPut: p('INSERT OR IGNORE INTO parsed (key, data, checksum, epoch) VALUES (?, ?, ?, ?)'),
    parsedDelete: p('DELETE FROM parsed WHERE key = ?'),
  };
}

type Def = RecordedDefinition | undefined;

/** The ledger's statements and transactions on one connection (see the module header). */
export class LedgerQueries {
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
    const decode = this.decodeRow.bind(this);
    this.tx = {
      register: db.transaction((macroId: string, fingerprint: string): DefinitionResult => {
        const now = epoch();
        const def = q.def.get(macroId) as Def;
        const { result, action } = decideRegistration(def, fingerprint, now);
        if (action === 'record') q.insertDef.run(macroId, fingerprint, now);
        if (action === 'bump') {
          q.setEpoch.run(result.epoch);
          q.capOthers.run(now, macroId, fingerprint);
          q.revive.run({ m: macroId, f: fingerprint });
          q.updateDef.run(fingerprint, result.epoch, macroId);
        }
        return result;
      }),
      read: db.transaction((keys: readonly EntryKey[], at: number, bad: number[]) =>
        keys.map((k): Entry | undefined => {
          const row = q.lookup.get(k.macroId, k.fingerprint, k.sigKey, at) as EntryRow | undefined;
          return (row && decode(k, row, bad)) ?? undefined;
        }),
      ),
      put: db.transaction((entries: Encoded, now: number) => {
        const at = epoch();
        const defs = new Map<string, Def>();
        for (const [e, { payload, checksum }] of entries) {
          const deps = e.deps.length > 0 ? JSON.stringify(e.deps) : null;
          if (!defs.has(e.macroId)) defs.set(e.macroId, q.def.get(e.macroId) as Def);
          const max = insertCap(defs.get(e.macroId), e.fingerprint);
          if (max !== null) {
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
        const result = invalidation(now, capped);
        if (result.bumped) q.setEpoch.run(result.epoch);
        return result;
      }),
      retained: db.transaction((keys: readonly EntryKey[], bad: number[]) =>
        keys.map((k): Entry[] => (q.retained.all(k.macroId, k.fingerprint, k.sigKey) as EntryRow[]).flatMap((row) => decode(k, row, bad) ?? [])),
      ),
      deleteRows: db.transaction((ids: readonly number[]) => {
        for (const id of ids) q.deleteRow.run(id);
      }),
      addHits: db.transaction((hits: ReadonlyMap<string, number>) => {
        for (const [macroId, n] of hits) if (n > 0) q.addHits.run(n, macroId);
      }),
      parsedRead: db.transaction((keys: readonly string[], bad: string[]) =>
        keys.map((key): Uint8Array | undefined => {
          const row = q.parsedGet.get(key) as { data: Uint8Array; checksum: string } | undefined;
          if (!row) return undefined;
          if (parsedChecksum(key, row.data) === row.checksum) return row.data;
          bad.push(key);
          return undefined;
        }),
      ),
      parsedWrite: db.transaction((rows: ReadonlyArray<{ readonly key: string; readonly data: Uint8Array }>) => {
        const at = epoch();
        for (const r of rows) q.parsedPut.run(r.key, r.data, parsedChecksum(r.key, r.data), at);
      }),
      parsedDrop: db.transaction((keys: readonly string[]) => {
        for (const key of keys) q.parsedDelete.run(key);
      }),
    };
  }

  /** A row as an entry, or null (and its id in `bad`) when it fails its checksum (also for admin.ts's queries). */
  decodeRow(k: EntryKey, row: Pick<EntryRow, 'id' | 'min_epoch' | 'max_epoch' | 'payload' | 'checksum'>, bad: number[]): Entry | null {
    const decoded = this.codec.decode(k, row.payload, row.checksum);
    if (!decoded) {
      bad.push(row.id);
      return null;
    }
    const { macroId, fingerprint, sigKey } = k;
    return { macroId, fingerprint, sigKey, ...decoded, minEpoch: row.min_epoch, maxEpoch: row.max_epoch };
  }

  epoch(): number {
    return this.q.epoch.get() as number;
  }

  /** See {@link Ledger.registerDefinition}; the record is re-read inside the write transaction. */
  register(macroId: string, fingerprint: string): DefinitionResult {
    return this.tx.register.immediate(macroId, fingerprint);
  }

  /** Newest valid row per key, in one read transaction; rows failing their checksum go to `bad`. */
  getMany(keys: readonly EntryKey[], epoch: number, bad: number[]): Array<Entry | undefined> {
    return this.tx.read.deferred(keys, epoch, bad);
  }

  /** Inserts encoded entries at the current epoch (see {@link Ledger.putMany}). */
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

  /** Parsed rows per key, in one read transaction; rows failing their checksum go to `bad`. */
  parsedMany(keys: readonly string[], bad: string[]): Array<Uint8Array | undefined> {
    return this.tx.parsedRead.deferred(keys, bad);
  }

  putParsed(rows: ReadonlyArray<{ readonly key: string; readonly data: Uint8Array }>): void {
    this.tx.parsedWrite.immediate(rows);
  }

  dropParsed(keys: readonly string[]): void {
    this.tx.parsedDrop.immediate(keys);
  }

  definitions(): DefinitionRecord[] {
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
}

/** A parsed row's checksum: it covers the key too, so a damaged key cannot answer for another. */
function parsedChecksum(key: string, data: Uint8Array): string {
  return hash(Buffer.concat([Buffer.from(`${key}\n`), data]));
}

function parseFiles(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return [];
  }
}
