/**
 * The generator watchdog: a generator stuck in an endless loop blocks the main thread, so no
 * timer there can fire. A worker thread watches a shared-memory heartbeat instead: before each
 * run the main thread writes the run's id, start time, threshold and warning text into a
 * `SharedArrayBuffer`, and clears the id after it; the worker polls the buffer on its own timer
 * and, once a run is past its threshold, writes its text straight to file descriptor 2 (the
 * worker's `process.stderr` is relayed by the blocked main thread, so it would stay silent too).
 * Unlike a message per run start and end, this costs the main thread a few plain stores.
 *
 * Runs can nest: a generator may transform a file that uses macros (`babel.transformSync`
 * with this plugin) or load a module through a require hook that expands macros, and that
 * runs generators inside the outer run. So the buffer holds a small stack of frames, one per
 * nesting level; levels past {@link MAX_DEPTH} are not watched (a stuck inner run still
 * leaves every outer run stuck, and those are named).
 * @packageDocumentation
 */
import { Worker } from 'node:worker_threads';
import { debug } from '../util/log';
import { session } from '../build/session';

/** Default of the `watchdogMs` option. */
export const DEFAULT_WATCHDOG_MS = 10_000;

/** Nesting levels watched. */
export const MAX_DEPTH = 4;
/** Bytes of warning text per frame (UTF-8); a longer text is cut and ends with `…\n`. */
export const MESSAGE_BYTES = 2048;
/** The worker's polling period never exceeds this (it is also at most a quarter of the threshold). */
const MAX_PERIOD_MS = 250;

// Frame i in the Int32 view: id (0 = free), threshold (ms), text length (bytes).
const ID = 0;
const THRESHOLD = 1;
const LENGTH = 2;
const INTS = 3;
// Layout: the Int32 slots, then one start time (Date.now()) per frame, then the texts.
const STARTS_OFFSET = Math.ceil((MAX_DEPTH * INTS * 4) / 8) * 8;
const TEXT_OFFSET = STARTS_OFFSET + MAX_DEPTH * 8;
const BUFFER_BYTES = TEXT_OFFSET + MAX_DEPTH * MESSAGE_BYTES;
/** What ends a cut text: `…` and the newline. */
const CUT = Uint8Array.of(0xe2, 0x80, 0xa6, 0x0a);

// Inline source: the same in dist/ and under ts-jest, and nothing to resolve at run time.
// A frame is read as a seqlock: id, then start and text, then the id again; if it changed
// meanwhile, the main thread reused the frame and the read is dropped.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { buffer, depth, ints, starts, texts, bytes } = workerData;
const slots = new Int32Array(buffer, 0, depth * ${INTS});
const start = new Float64Array(buffer, starts, depth);
const text = new Uint8Array(buffer, texts, depth * bytes);
const warned = new Int32Array(depth);
function poll() {
  const now = Date.now();
  for (let i = 0; i < depth; i++) {
    const id = Atomics.load(slots, i * ${INTS} + ${ID});
    if (id === 0 || id === warned[i]) continue;
    if (now - start[i] < slots[i * ${INTS} + ${THRESHOLD}]) continue;
    const out = text.slice(i * bytes, i * bytes + slots[i * ${INTS} + ${LENGTH}]);
    if (Atomics.load(slots, i * ${INTS} + ${ID}) !== id) continue;
    warned[i] = id;
    try { writeSync(2, out); } catch {}
  }
}
let timer = setInterval(poll, workerData.period);
parentPort.on('message', (m) => {
  clearInterval(timer);
  timer = setInterval(poll, m.period);
});
`;

/** The polling period for a threshold: well under it, so a warning comes at most a quarter late. */
const periodFor = (thresholdMs: number) => Math.max(1, Math.min(MAX_PERIOD_MS, Math.floor(thresholdMs / 4)));

/** The session's watchdog: its worker and the heartbeat it polls. */
export class Watchdog {
  private readonly slots: Int32Array;
  private readonly starts: Float64Array;
  private readonly text: Uint8Array;
  /** Per frame, the part of its text region a message is encoded into (room left for {@link CUT}). */
  private readonly regions: Uint8Array[] = [];
  private readonly encoder = new TextEncoder();
  private depth = 0;
  private lastId = 0;

  private constructor(
    /** The polling thread (unref'd: it never keeps a build process alive). */
    readonly worker: Worker,
    buffer: SharedArrayBuffer,
    private lowest: number,
  ) {
    this.slots = new Int32Array(buffer, 0, MAX_DEPTH * INTS);
    this.starts = new Float64Array(buffer, STARTS_OFFSET, MAX_DEPTH);
    this.text = new Uint8Array(buffer, TEXT_OFFSET, MAX_DEPTH * MESSAGE_BYTES);
    for (let i = 0; i < MAX_DEPTH; i++) this.regions.push(this.text.subarray(i * MESSAGE_BYTES, (i + 1) * MESSAGE_BYTES - CUT.length));
  }

  /** Starts the worker; throws where threads or shared memory are unavailable. */
  static start(thresholdMs: number): Watchdog {
    const buffer = new SharedArrayBuffer(BUFFER_BYTES);
    const period = periodFor(thresholdMs);
    const workerData = { buffer, depth: MAX_DEPTH, starts: STARTS_OFFSET, texts: TEXT_OFFSET, bytes: MESSAGE_BYTES, period };
    const worker = new Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: false, workerData });
    worker.unref();
    return new Watchdog(worker, buffer, thresholdMs);
  }

  /** Runs `fn`, watched with `thresholdMs` and the warning `text` (see {@link watched}). */
  run<T>(thresholdMs: number, text: string, fn: () => T): T {
    const level = this.depth++;
    if (level >= MAX_DEPTH) {
      try {
        return fn();
      } finally {
        this.depth--;
      }
    }
    if (thresholdMs < this.lowest) this.tighten(thresholdMs);
    const at = level * INTS;
    const { read, written } = this.encoder.encodeInto(text, this.regions[level]);
    let length = written;
    if (read < text.length) {
      this.text.set(CUT, level * MESSAGE_BYTES + length); // cut at a character boundary (encodeInto never splits one)
      length += CUT.length;
    }
    this.slots[at + THRESHOLD] = thresholdMs;
    this.slots[at + LENGTH] = length;
    this.starts[level] = Date.now();
    this.lastId = (this.lastId + 1) & 0x7fffffff || 1;
    Atomics.store(this.slots, at + ID, this.lastId); // publishes the frame written above
    try {
      return fn();
    } finally {
      Atomics.store(this.slots, at + ID, 0);
      this.depth--;
    }
  }

  /** Stops the worker (the session's `dispose()` calls this). */
  terminate(): void {
    void this.worker.terminate();
  }

  /** A threshold lower than any before: poll faster if it needs to (rare: once per lower option value). */
  private tighten(thresholdMs: number): void {
    const before = periodFor(this.lowest);
    this.lowest = thresholdMs;
    if (periodFor(thresholdMs) < before) this.worker.postMessage({ period: periodFor(thresholdMs) });
  }
}

/**
 * The session's watchdog, started on first use (null when threads are unavailable: then there
 * is no watchdog); disposing the session terminates it.
 */
function watchdog(thresholdMs: number): Watchdog | null {
  const s = session();
  if (s.watchdog !== undefined) return s.watchdog;
  try {
    const w = Watchdog.start(thresholdMs);
    w.worker.on('error', (e) => {
      debug('watchdog thread failed: %s', e.message);
      if (s.watchdog === w) s.watchdog = null;
    });
    s.watchdog = w;
  } catch (e) {
    debug('watchdog thread unavailable: %s', (e as Error).message);
    s.watchdog = null;
  }
  return s.watchdog;
}

/**
 * Runs `fn` (a generator call) under the watchdog: if it has not returned after `thresholdMs`,
 * `message()` is written to stderr once, from the worker thread. `thresholdMs` null: no watchdog.
 * The message is built and encoded before every run (a stuck main thread could not do it later);
 * that is ~0.1 µs and ~0.4 µs of the ~3 µs a watched run costs (`bench/watchdog.js`), so it is
 * not deferred further.
 */
export function watched<T>(thresholdMs: number | null, message: () => string, fn: () => T): T {
  const w = thresholdMs === null ? null : watchdog(thresholdMs);
  if (!w) return fn();
  return w.run(thresholdMs as number, message(), fn);
}
