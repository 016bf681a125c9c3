/**
 * What every command gets: the resolved common options (`--cache-dir`, `--json`), the working
 * directory, and where to write. Commands print through {@link CommandContext.print} so that
 * `--json` always yields exactly one JSON document on stdout.
 * @packageDocumentation
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_CACHE_DIR } from '../build/options';
import { STORE_FILE } from '../store/sqlite-open';
import { openStoreAdmin, type StoreAdmin } from '../store/admin';
import { StoreOpenError } from '../store/sqlite-connection';
import { CliError } from './errors';

/** Options every command accepts. */
export interface CommonOptions {
  /** Store directory; default `node_modules/.cache/cached-macros` under the working directory. */
  readonly cacheDir?: string;
  readonly json?: boolean;
}

/** The same default as the plugin's `cacheDir` option (relative to the Babel cwd). */


/** Where output goes (swappable in-process; the CLI binary uses the process streams). */
export interface Streams {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The environment of one command run. */
export class CommandContext {
  readonly cacheDir: string;
  readonly json: boolean;

  constructor(
    options: CommonOptions,
    readonly cwd: string,
    readonly streams: Streams,
  ) {
    this.cacheDir = path.resolve(cwd, options.cacheDir ?? DEFAULT_CACHE_DIR);
    this.json = options.json === true;
  }

  /** Prints `json()` as one JSON document with `--json`, otherwise the text `human()` returns. */
  print(human: () => string, json: () => unknown): void {
    const text = this.json ? JSON.stringify(json(), null, 2) : human();
    this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A note for humans on stderr (never mixed into `--json` output). */
  note(message: string): void {
    this.streams.stderr.write(`${message}\n`);
  }

  /** True when `<cacheDir>/store.sqlite` exists (commands that only read must not create it). */
  storeExists(): boolean {
    return fs.existsSync(path.join(this.cacheDir, STORE_FILE));
  }

  /**
   * Opens the persistent store in the cache directory, or returns null when there is none yet
   * (nothing is created). A store that cannot be opened is an error, unlike in a build, where
   * the plugin falls back to memory: here there would be nothing to show or change.
   */
  openStore(options: { readOnly?: boolean } = {}): StoreAdmin | null {
    if (!this.storeExists()) return null;
    let store: StoreAdmin | null;
    try {
      store = openStoreAdmin(this.cacheDir, options);
    } catch (e) {
      if (!(e instanceof StoreOpenError)) throw e;
      throw new CliError(`${e.message}; nothing was changed${e.damaged ? ' (`cached-macros clear` or deleting the file starts afresh)' : ''}`);
    }
    if (!store) throw new CliError(`cannot open the store in ${this.cacheDir} (see the warning above)`);
    return store;
  }

  /**
   * Runs `fn` on the open store (or on null when there is none) and closes it. Throws when the
   * store degraded to memory meanwhile (a damaged file, moved aside): results would be empty.
   * `readOnly` (commands that only report) opens the file without changing it: a damaged store
   * is reported and left as it is, never moved aside or replaced.
   */
  withStore<T>(fn: (store: StoreAdmin | null) => T, options: { readOnly?: boolean } = {}): T {
    const store = this.openStore(options);
    try {
      const result = fn(store);
      if (store?.degraded) throw new CliError(`the store in ${this.cacheDir} is damaged (see the warning above)`);
      return result;
    } finally {
      store?.close();
    }
  }
}
