/**
 * A tiny logger writing to stderr (never stdout: build tools often pipe stdout).
 * @packageDocumentation
 */
import { format } from 'node:util';
import { session } from '../build/session';

const PREFIX = '[cached-macros]';

/**
 * True when `CACHED_MACROS_DEBUG` is set to anything but an empty string, `0`, `false`, `no` or
 * `off` (so `1`, `true`, `*` all enable it). Read on each call, so tests and long-lived
 * processes can toggle it.
 */
export function debugEnabled(): boolean {
  const v = process.env.CACHED_MACROS_DEBUG;
  if (v === undefined) return false;
  return !/^(|0|false|no|off)$/i.test(v.trim());
}

/** Prints `[cached-macros] …` (util.format-style arguments) to stderr when debugging is enabled. */
export function debug(...args: unknown[]): void {
  if (!debugEnabled()) return;
  process.stderr.write(`${PREFIX} ${format(...args)}\n`);
}

/** Warnings printed by this process: a count of what stderr already holds, so it outlives sessions. */
let printed = 0;

/**
 * Prints `[cached-macros] warning: <message>` to stderr the first time `key` is seen in this
 * session, and nothing after that: a degraded store must not flood the build log per file.
 * @returns true when the warning was printed.
 */
export function warnOnce(key: string, message: string): boolean {
  const warned = session().warnings;
  if (warned.has(key)) return false;
  warned.add(key);
  printed++;
  process.stderr.write(`${PREFIX} warning: ${message}\n`);
  return true;
}

/** How many warnings this process printed: the CLI exits non-zero when a store fault was warned about. */
export function warningCount(): number {
  return printed;
}

