/**
 * One cache directory's SQLite file as the ledger and the admin commands use it: opened on first
 * use, reopened after `close()` or when the file was moved or deleted, and guarded. No storage
 * fault escapes {@link SqliteConnection.run}: it is warned about once per kind and the call
 * degrades (miss, dropped write, last known epoch); a lock held elsewhere trips the breaker; a
 * damaged file is moved aside and the connection answers from a {@link MemoryLedger} from then on.
 * @packageDocumentation
 */
import { join } from 'node:path';
import { debug, warnOnce } from '../util/log';
import { LockBreaker, lockedMessage } from './breaker';
import type { RowCodec } from './local-signing';
import { MemoryLedger } from './memory-ledger';
import { codeOf, describe, inodeOf, isBusy, isCorruption, moveAside, openStoreFile, STORE_FILE } from './sqlite-open';
import { LedgerQueries } from './sqlite-queries';

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

/** The guarded connection to `<dir>/store.sqlite`; obtain one with {@link SqliteConnection.open}. */
export class SqliteConnection {
  private conn: LedgerQueries | null;
  /** Set once the file proved unusable: every call is served from memory from then on. */
  private memory: MemoryLedger | null = null;
  /** The last epoch read, served when the file cannot be read. */
  lastEpoch = 0;
  /** Stops the build from waiting on a file another process keeps locked. */
  private readonly breaker: LockBreaker;

  private constructor(
    /** The cache directory (absolute). */
    readonly dir: string,
    conn: LedgerQueries,
    /** Opened read-only (CLI inspection): nothing is created, written or moved aside. */
    readonly readOnly: boolean,
    readonly codec: RowCodec,
  ) {
    this.conn = conn;
    this.breaker = new LockBreaker(dir);
  }

  /**
   * Opens the file in `dir` (absolute), or returns null (with one warning) when it cannot be
   * used. `readOnly` opens an existing file without changing anything (see {@link openStoreFile})
   * and throws a {@link StoreOpenError} instead of warning.
   */
  static open(dir: string, readOnly: boolean, codec: RowCodec): SqliteConnection | null {
    const conn = openQueries(dir, readOnly, codec);
    return conn && new SqliteConnection(dir, conn, readOnly, codec);
  }

  /** True once this connection has fallen back to memory for the rest of the process. */
  get degraded(): boolean {
    return this.memory !== null;
  }

  /** A new build begins: a file that was locked during the previous one is tried again. */
  beginBuild(): void {
    this.breaker.reset();
  }

  /**
   * Runs `onDb` on the connection (reopening it after `close()`). Corruption switches this
   * connection to memory for good and answers from there; any other fault is warned about once
   * per kind and answered by `onFault`.
   */
  run<T>(what: string, onMemory: (m: MemoryLedger) => T, onDb: (c: LedgerQueries) => T, onFault: () => T): T {
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

  /** Deletes rows that failed their checksum (they are misses either way). */
  dropBadRows(c: LedgerQueries, ids: readonly number[]): void {
    if (ids.length === 0) return;
    warnOnce(`sqlite-checksum:${this.dir}`, `the macro cache in ${this.dir} held damaged entries; they were dropped`);
    this.bestEffort(() => c.deleteRows(ids));
  }

  /** A secondary write whose failure must not turn a successful call into a failed one. */
  bestEffort(fn: () => unknown): void {
    try {
      fn();
    } catch (e) {
      debug('%s: secondary write failed: %s', this.dir, describe(e));
    }
  }

  /** Closes the file; the next call reopens it. */
  close(): void {
    const c = this.conn;
    this.conn = null;
    try {
      c?.db.close();
    } catch (e) {
      debug('closing %s: %s', this.dir, describe(e));
    }
  }

  private connection(): LedgerQueries | null {
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
    if (!this.conn) this.memory = new MemoryLedger(this.lastEpoch);
    return this.conn;
  }

  private degrade(c: LedgerQueries, e: unknown): void {
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
    this.memory = new MemoryLedger(this.lastEpoch);
  }
}

/** Opens the file and prepares its statements; warns (once) and returns null when unusable. */
function openQueries(dir: string, readOnly: boolean, codec: RowCodec): LedgerQueries | null {
  const started = Date.now();
  const r = openStoreFile(dir, (opened) => new LedgerQueries(opened, codec), { readOnly });
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
