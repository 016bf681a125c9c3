/**
 * Opening the embedded SQLite store file: pragmas, schema, the integrity check, and moving a
 * damaged file aside. Kept apart from the query logic in sqlite.ts.
 * @packageDocumentation
 */
import { renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir } from './safe-dir';
import { openDatabase, type SqliteDatabase } from './sqlite-driver';

/** File name of the store inside the cache directory. */
export const STORE_FILE = 'store.sqlite';
/** Version of the schema below, recorded in `meta`. */
export const SCHEMA_VERSION = 1;
/**
 * How long a statement waits for another process's lock before giving up. Writes take
 * milliseconds, so a wait this long means a process is holding the file (an open transaction,
 * `locking_mode=EXCLUSIVE`, a long `gc`): the build's circuit breaker (breaker.ts) then stops
 * using the store instead of paying this for every file.
 */
export const BUSY_TIMEOUT_MS = 2_500;
/** Opening (journal mode, integrity check, schema) gives up after this long on a locked file. */
export const OPEN_BUDGET_MS = 2_000;
/** The busy wait of each statement while opening, retried within {@link OPEN_BUDGET_MS}. */
const OPEN_STEP_MS = 200;
/**
 * Files up to this size get `PRAGMA quick_check` on open: about 1 ms per MB (measured: 10–19 ms
 * for a 14.5 MB / 20,000-entry store, 77 ms for 73 MB), paid once per process. Larger stores rely
 * on SQLite reporting corruption when a damaged page is read, which sqlite.ts handles alike.
 */
export const QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS definitions (
  macro_id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  since_epoch INTEGER NOT NULL,
  files TEXT NOT NULL DEFAULT '[]',
  hits INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  macro_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  sig_key TEXT NOT NULL,
  min_epoch INTEGER NOT NULL,
  max_epoch INTEGER,
  payload TEXT NOT NULL,
  -- The recorded dependencies again (JSON), unchecksummed: only used to find stale entries early.
  deps TEXT,
  checksum TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  hits INTEGER NOT NULL DEFAULT 0
);
-- At most one open entry per key: concurrent writers of one key are first-writer-wins.
CREATE UNIQUE INDEX IF NOT EXISTS entries_open ON entries (macro_id, fingerprint, sig_key) WHERE max_epoch IS NULL;
-- Lookups (newest first) including capped rows, for pinned epochs and reverts.
CREATE INDEX IF NOT EXISTS entries_key ON entries (macro_id, fingerprint, sig_key, id);
-- gc.
CREATE INDEX IF NOT EXISTS entries_capped ON entries (max_epoch) WHERE max_epoch IS NOT NULL;
-- Parsed expansions (template/persisted-parse.ts), content-addressed: key = the parsing code's
-- identity and the text, hashed. epoch: when written, for gc.
CREATE TABLE IF NOT EXISTS parsed (
  key TEXT PRIMARY KEY,
  data BLOB NOT NULL,
  checksum TEXT NOT NULL,
  epoch INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', 0);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ${SCHEMA_VERSION});
`;

/** An open store file. */
export interface OpenedFile {
  readonly db: SqliteDatabase;
  readonly file: string;
  /** Inode of the file when opened: moving aside must not hit a fresh file another process made. */
  readonly ino: number | null;
}

/** Damage found while opening: what was wrong, and where the file went (null: not moved by us). */
export interface Damage {
  readonly reason: string;
  readonly movedTo: string | null;
}

/** The outcome of {@link openStoreFile}. */
export type OpenResult<T> =
  | { readonly ok: true; readonly value: T; readonly damage: Damage | null }
  | { readonly ok: false; readonly reason: string; readonly damage: Damage | null };

/** Thrown (internally) when `quick_check` finds damage. */
export class CorruptStoreError extends Error {
  readonly code = 'SQLITE_CORRUPT';
}

/** The SQLite / Node error code of `e`, if any. */
export function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for errors meaning the file itself is damaged (as opposed to busy, full, read-only…). */
export function isCorruption(e: unknown): boolean {
  const code = codeOf(e) ?? '';
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}

/** A one-line description of an error for warnings. */
export function describe(e: unknown): string {
  const code = codeOf(e);
  const message = e instanceof Error ? e.message : String(e);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Inode of `file`, or null when it does not exist. */
export function inodeOf(file: string): number | null {
  try {
    return statSync(file).ino;
  } catch {
    return null;
  }
}

/**
 * Renames a damaged store (and its -wal/-shm) to `<file>.corrupt-<timestamp>-<pid>`. Does nothing
 * when the file at that path is no longer the one we opened (another process already moved it
 * aside and may have created a fresh store there). Returns the new name, or null.
 */
export function moveAside(file: string, ino: number | null): string | null {
  const current = inodeOf(file);
  if (current === null || (ino !== null && current !== ino)) return null;
  const target = `${file}.corrupt-${Date.now()}-${process.pid}`;
  try {
    renameSync(file, target);
  } catch {
    return null;
  }
  for (const suffix of ['-wal', '-shm']) {
    try {
      renameSync(file + suffix, target + suffix);
    } catch {
      // Usually absent.
    }
  }
  return target;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** True for errors meaning another connection holds a lock we waited for in vain. */
export function isBusy(e: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test(codeOf(e) ?? '');
}

/** Opens an existing store file read-only (no journal switch, no schema, nothing written). */
function connectReadOnly<T>(file: string, init: (opened: OpenedFile) => T): T {
  const db = openDatabase(file, { readonly: true, timeout: OPEN_BUDGET_MS });
  try {
    db.pragma('schema_version'); // reads the header: a file that is not a database fails here (NOTADB)
    if (statSync(file).size <= QUICK_CHECK_MAX_BYTES) {
      const result = db.pragma('quick_check', { simple: true });
      if (result !== 'ok') throw new CorruptStoreError(`quick_check: ${String(result)}`);
    }
    const version = db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get();
    if (version !== SCHEMA_VERSION) {
      throw Object.assign(new Error(`store schema version ${String(version)}, expected ${SCHEMA_VERSION}`), { code: 'SCHEMA_MISMATCH' });
    }
    return init({ db, file, ino: inodeOf(file) });
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Opens (creating if needed) one store file and runs `init` on it; throws SQLite errors. */
function connect<T>(file: string, ino: number | null, init: (opened: OpenedFile) => T): T {
  // Short busy waits while opening, within one overall budget: a file held under
  // locking_mode=EXCLUSIVE must cost a build ~2 s, not a busy timeout per retry.
  const deadline = Date.now() + OPEN_BUDGET_MS;
  const db = openDatabase(file, { timeout: OPEN_STEP_MS });
  try {
    // auto_vacuum can only be chosen before the header is written, which switching to WAL does:
    // set it first on a new (empty) file, or gc could never hand pages back. (No-op otherwise.)
    if (ino === null || statSync(file).size === 0) db.pragma('auto_vacuum = INCREMENTAL');
    // The first statement reads the header: a file that is not a database fails here (NOTADB).
    // Switching to WAL needs a moment alone with the file, so retry briefly when busy.
    for (let i = 0; ; i++) {
      try {
        db.pragma('journal_mode = WAL');
        break;
      } catch (e) {
        if (!isBusy(e) || Date.now() >= deadline) throw e;
        sleepMs(20);
      }
    }
    db.pragma('synchronous = NORMAL');
    const size = inodeOf(file) === null ? 0 : statSync(file).size;
    if (size > 0 && size <= QUICK_CHECK_MAX_BYTES) {
      const result = db.pragma('quick_check', { simple: true });
      if (result !== 'ok') throw new CorruptStoreError(`quick_check: ${String(result)}`);
    }
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").pluck().get();
    if (!hasMeta) {
      // Only takes effect before the first table exists: lets gc hand pages back to the OS.
      db.pragma('auto_vacuum = INCREMENTAL');
      db.transaction(() => db.exec(SCHEMA)).immediate();
    }
    const version = db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get();
    if (version !== SCHEMA_VERSION) {
      throw Object.assign(new Error(`store schema version ${String(version)}, expected ${SCHEMA_VERSION}`), {
        code: 'SCHEMA_MISMATCH',
      });
    }
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return init({ db, file, ino: ino ?? inodeOf(file) });
  } catch (e) {
    try {
      db.close();
    } catch {
      // Already unusable.
    }
    throw e;
  }
}

/**
 * Opens `<dir>/store.sqlite`, creating the directory and the file as needed, and runs `init`
 * (e.g. preparing statements) on it. A file that is not a database, fails the integrity check,
 * or reports corruption in `init` is moved aside once and replaced by a fresh store. Never
 * throws: any other failure (unwritable or full directory, newer schema…) is returned as
 * `{ ok: false }` so the caller can fall back to memory. With `readOnly`, an existing file is
 * opened read-only and nothing is created, moved or written.
 */
export function openStoreFile<T>(dir: string, init: (opened: OpenedFile) => T, options: { readOnly?: boolean } = {}): OpenResult<T> {
  const file = join(dir, STORE_FILE);
  if (options.readOnly) {
    // Inspecting a store must not change it: damage is reported, never moved aside or replaced.
    try {
      return { ok: true, value: connectReadOnly(file, init), damage: null };
    } catch (e) {
      return { ok: false, reason: describe(e), damage: isCorruption(e) ? { reason: describe(e), movedTo: null } : null };
    }
  }
  try {
    ensureDir(dir);
  } catch (e) {
    return { ok: false, reason: describe(e), damage: null };
  }
  let damage: Damage | null = null;
  for (let attempt = 0; ; attempt++) {
    const ino = inodeOf(file);
    try {
      return { ok: true, value: connect(file, ino, init), damage };
    } catch (e) {
      if (isCorruption(e) && attempt === 0) {
        damage = { reason: describe(e), movedTo: moveAside(file, ino) };
        continue;
      }
      return { ok: false, reason: describe(e), damage };
    }
  }
}
