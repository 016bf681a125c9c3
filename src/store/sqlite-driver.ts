/**
 * The SQLite driver under the store: Node's built-in `node:sqlite` where Node has it unflagged
 * (22.13+: nothing to compile or download), else better-sqlite3 (an optional dependency, for
 * Node 20). Both open the same file format; the store's SQL, pragmas and busy timeout are the
 * same on both (sqlite-open.ts, sqlite.ts). The interface is better-sqlite3's, the subset the
 * store uses; `node:sqlite` gets a thin adapter, including better-sqlite3's error codes
 * (`SQLITE_BUSY`, `SQLITE_CORRUPT`…), which the store's recovery logic reads.
 * @packageDocumentation
 */

/** A prepared statement. */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** This statement returning the first column's value instead of rows (from then on). */
  pluck(): SqliteStatement;
}

/** A function run inside a transaction; nested calls use savepoints. */
export interface SqliteTransaction<A extends unknown[], R> {
  (...args: A): R;
  deferred(...args: A): R;
  immediate(...args: A): R;
}

/** An open database connection. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  /** `PRAGMA <source>`: all rows, or with `simple` the first column of the first row. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqliteTransaction<A, R>;
  close(): void;
}

/** Which driver {@link openDatabase} uses in this process. */
export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

interface NodeSqlite {
  DatabaseSync: new (file: string, options?: { timeout?: number; readOnly?: boolean }) => NodeDatabase;
}
interface NodeDatabase {
  prepare(sql: string): NodeStatement;
  exec(sql: string): void;
  close(): void;
}
interface NodeStatement {
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: unknown[]): Record<string, unknown> | undefined;
  all(...params: unknown[]): Record<string, unknown>[];
}

let loaded: NodeSqlite | null | undefined;

/**
 * `node:sqlite` when this Node has it without a flag, else null. Its one-time
 * ExperimentalWarning is not shown: every build process would print it, and it is not about
 * the user's code (the module is stable in use here: same file format, same SQL).
 */
function nodeSqlite(): NodeSqlite | null {
  if (loaded !== undefined) return loaded;
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
    const mod = (get ? get('node:sqlite') : require('node:sqlite')) as NodeSqlite | undefined;
    loaded = mod?.DatabaseSync ? mod : null;
  } catch {
    loaded = null; // Node < 22.13 (or 22.5–22.12 without --experimental-sqlite)
  } finally {
    process.emitWarning = emit;
  }
  return loaded;
}

/** The driver this process uses: `node:sqlite` when available. */
export function driverName(): SqliteDriverName {
  return nodeSqlite() ? 'node:sqlite' : 'better-sqlite3';
}

/**
 * Opens `file` (creating it, unless `readonly`: then it must exist and nothing is written) with a
 * busy timeout. Throws when neither driver is available (better-sqlite3 missing or built for
 * another Node ABI): the store then falls back to memory.
 */
export function openDatabase(file: string, options: { timeout: number; readonly?: boolean }): SqliteDatabase {
  const builtin = nodeSqlite();
  if (!builtin) {
    type Options = { timeout: number; readonly?: boolean; fileMustExist?: boolean };
    const BetterSqlite3 = require('better-sqlite3') as new (f: string, o: Options) => SqliteDatabase;
    return new BetterSqlite3(file, options.readonly ? { ...options, fileMustExist: true } : options);
  }
  // node:sqlite opens read-only only an existing file: the same as better-sqlite3's fileMustExist.
  const db = wrap(() => new builtin.DatabaseSync(file, options.readonly ? { readOnly: true } : {}));
  const adapter = new NodeSqliteDatabase(db);
  adapter.pragma(`busy_timeout = ${Math.floor(options.timeout)}`);
  return adapter;
}

/** SQLite's primary result codes, by number, as better-sqlite3 names them. */
const CODES: Record<number, string> = {
  1: 'SQLITE_ERROR', 2: 'SQLITE_INTERNAL', 3: 'SQLITE_PERM', 4: 'SQLITE_ABORT', 5: 'SQLITE_BUSY', 6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM', 8: 'SQLITE_READONLY', 9: 'SQLITE_INTERRUPT', 10: 'SQLITE_IOERR', 11: 'SQLITE_CORRUPT',
  13: 'SQLITE_FULL', 14: 'SQLITE_CANTOPEN', 15: 'SQLITE_PROTOCOL', 17: 'SQLITE_SCHEMA', 18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT', 20: 'SQLITE_MISMATCH', 21: 'SQLITE_MISUSE', 23: 'SQLITE_AUTH', 26: 'SQLITE_NOTADB',
};

/** Runs `fn`, giving a `node:sqlite` error better-sqlite3's `code` (its own stays as `nodeCode`). */
function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as Error & { code?: string; errcode?: number; nodeCode?: string };
    if (typeof err?.errcode === 'number') {
      err.nodeCode = err.code;
      err.code = CODES[err.errcode & 0xff] ?? `SQLITE_${err.errcode}`;
    }
    throw e;
  }
}

class NodeSqliteStatement implements SqliteStatement {
  constructor(
    private readonly stmt: NodeStatement,
    private readonly plucked = false,
  ) {}
  run(...params: unknown[]) {
    const r = wrap(() => this.stmt.run(...params));
    return { changes: Number(r.changes), lastInsertRowid: r.lastInsertRowid };
  }
  get(...params: unknown[]): unknown {
    const row = wrap(() => this.stmt.get(...params));
    return this.plucked && row ? Object.values(row)[0] : row;
  }
  all(...params: unknown[]): unknown[] {
    const rows = wrap(() => this.stmt.all(...params));
    return this.plucked ? rows.map((r) => Object.values(r)[0]) : rows;
  }
  pluck(): SqliteStatement {
    return new NodeSqliteStatement(this.stmt, true);
  }
}

class NodeSqliteDatabase implements SqliteDatabase {
  private depth = 0;
  constructor(private readonly db: NodeDatabase) {}

  prepare(sql: string): SqliteStatement {
    return new NodeSqliteStatement(wrap(() => this.db.prepare(sql)));
  }
  exec(sql: string): void {
    wrap(() => this.db.exec(sql));
  }
  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const rows = wrap(() => this.db.prepare(`PRAGMA ${source}`).all());
    return options.simple ? (rows[0] ? Object.values(rows[0])[0] : undefined) : rows;
  }
  close(): void {
    this.db.close();
  }
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqliteTransaction<A, R> {
    // As better-sqlite3: BEGIN <mode> … COMMIT, ROLLBACK on a throw; a savepoint when nested.
    const run = (mode: string, args: A): R => {
      const nested = this.depth > 0;
      const name = `tx${this.depth}`;
      this.exec(nested ? `SAVEPOINT ${name}` : `BEGIN ${mode}`);
      this.depth++;
      try {
        const result = fn(...args);
        this.exec(nested ? `RELEASE ${name}` : 'COMMIT');
        return result;
      } catch (e) {
        try {
          this.exec(nested ? `ROLLBACK TO ${name}; RELEASE ${name}` : 'ROLLBACK');
        } catch {
          // SQLite already rolled back (e.g. after SQLITE_FULL); the original error matters.
        }
        throw e;
      } finally {
        this.depth--;
      }
    };
    return Object.assign((...args: A) => run('DEFERRED', args), {
      deferred: (...args: A) => run('DEFERRED', args),
      immediate: (...args: A) => run('IMMEDIATE', args),
    });
  }
}
