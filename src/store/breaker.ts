/**
 * The per-build circuit breaker of the persistent store. Another process holding the SQLite
 * file (an open write transaction, `locking_mode=EXCLUSIVE`) makes every statement wait the busy
 * timeout; paid per file, that stalls a build for minutes. After the first wait that ends in
 * SQLITE_BUSY the breaker opens: the build stops using the file (the parsed-template tier goes on), with
 * one warning. The next build tries the file again.
 * @packageDocumentation
 */
import { warnOnce } from '../util/log';
import { describe, isBusy } from './sqlite-open';

/** One breaker per store instance; {@link reset} at the start of each build. */
export class LockBreaker {
  private tripped = false;
  /** Trips so far: each build that finds the file locked warns once. */
  private trips = 0;

  constructor(private readonly dir: string) {}

  /** True while the build must not touch the file. */
  get open(): boolean {
    return this.tripped;
  }

  /**
   * Opens the breaker when `e` is a lock wait that timed out (warning once for this build);
   * returns false for any other error, which the caller handles.
   */
  trip(e: unknown, what: string): boolean {
    if (!isBusy(e)) return false;
    if (!this.tripped) {
      this.tripped = true;
      this.trips++;
      warnOnce(`sqlite-locked:${this.dir}:${this.trips}`, lockedMessage(this.dir, `could not ${what}: ${describe(e)}`));
    }
    return true;
  }

  /** A new build may use the file again. */
  reset(): void {
    this.tripped = false;
  }
}

/** The warning for a store another process keeps locked. */
export function lockedMessage(dir: string, detail: string): string {
  return `the macro cache in ${dir} is locked by another process (${detail}); this build continues without it, caching in memory only`;
}
