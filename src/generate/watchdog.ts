/**
 * The generator watchdog: a generator stuck in an endless loop blocks the main thread, so no
 * timer there can fire. A worker thread keeps a timer per running generator and, past the
 * threshold, writes straight to file descriptor 2 (the worker's `process.stderr` is relayed by
 * the blocked main thread, so it would stay silent too).
 * @packageDocumentation
 */
import { Worker } from 'node:worker_threads';
import { debug } from '../util/log';
import { session } from '../build/session';

/** Default of the `watchdogMs` option. */
export const DEFAULT_WATCHDOG_MS = 10_000;

// Inline source: the same in dist/ and under ts-jest, and nothing to resolve at run time.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const timers = new Map();
parentPort.on('message', (m) => {
  if (m.done) {
    clearTimeout(timers.get(m.id));
    timers.delete(m.id);
    return;
  }
  timers.set(m.id, setTimeout(() => {
    timers.delete(m.id);
    try { writeSync(2, m.text); } catch {}
  }, m.ms));
});
`;

/** Ids of watched calls: only unique per worker, and a counter, so not worth owning in the session. */
let lastId = 0;

/**
 * The session's worker, started on first use (null when threads are unavailable: then there is
 * no watchdog); disposing the session terminates it.
 */
function watchdogWorker(): Worker | null {
  const s = session();
  if (s.watchdog !== undefined) return s.watchdog;
  try {
    const worker = new Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: false });
    worker.unref(); // never keeps a build process alive
    worker.on('error', (e) => {
      debug('watchdog thread failed: %s', e.message);
      if (s.watchdog === worker) s.watchdog = null;
    });
    s.watchdog = worker;
  } catch (e) {
    debug('watchdog thread unavailable: %s', (e as Error).message);
    s.watchdog = null;
  }
  return s.watchdog;
}

/**
 * Runs `fn` (a generator call) under the watchdog: if it has not returned after `thresholdMs`,
 * `message()` is written to stderr once, from the worker thread. `thresholdMs` null: no watchdog.
 */
export function watched<T>(thresholdMs: number | null, message: () => string, fn: () => T): T {
  const w = thresholdMs === null ? null : watchdogWorker();
  if (!w) return fn();
  const id = ++lastId;
  w.postMessage({ id, ms: thresholdMs, text: message() });
  try {
    return fn();
  } finally {
    w.postMessage({ id, done: true });
  }
}
