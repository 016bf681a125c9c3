/**
 * Automatic dependency tracking: files a generator reads with plain `fs` and environment
 * variables it reads from `process.env`, instead of through its context, are still recorded as
 * dependencies of the expansion (and named in the debug log so authors can switch to `ctx`).
 *
 * The `fs` functions are wrapped once per session, on its first {@link track} — which runs
 * around the load of every macro module, so before any macro module is loaded — so that macros
 * which captured them (`const { readFileSync } = require('fs')`) go through the wrapper too;
 * disposing the session unwraps them. Importing this module patches nothing. Outside a
 * generator call the wrapper costs one null check.
 *
 * The active recorder and the depth of the plugin's own reads stay module-level: they are a
 * dynamic scope around one synchronous call (null and 0 outside it), not state that outlives it.
 */
import fs from 'fs';
import path from 'path';
import { fileURLToPath } from 'url';
import { debug } from '../util/log';
import { session } from '../build/session';

/** Receives what a generator read while it ran. */
export interface ReadRecorder {
  /** A file read (content hash recorded by the recorder). `how` names the fs function. */
  fileRead(absPath: string, how: string): void;
  /** An environment variable read. */
  envRead(name: string): void;
  /** The names of the environment variables enumerated (`Object.keys`, `for…in`, spread). */
  envListed(): void;
}

let current: ReadRecorder | null = null;
/** Depth of reads made by the plugin itself (ctx.readFile…): not reported as undeclared. */
let ownReads = 0;

type AnyFn = (...args: unknown[]) => unknown;

const WRAPPED = ['readFileSync', 'existsSync', 'statSync', 'lstatSync', 'openSync'] as const;

/**
 * Wraps the `fs` functions so that, inside {@link track}, their path argument is recorded.
 * Returns the function that unwraps them.
 */
function wrapFs(): () => void {
  const fsFns = fs as unknown as Record<string, AnyFn>;
  let active = true;
  const restore: Array<() => void> = [];
  for (const name of WRAPPED) {
    const original = fsFns[name];
    const wrapper = function (this: unknown, ...args: unknown[]) {
      if (active && current !== null && ownReads === 0) {
        const file = toPath(args[0]);
        if (file !== null) current.fileRead(file, `fs.${name}`);
      }
      return original.apply(this, args);
    };
    Object.defineProperty(wrapper, 'name', { value: name });
    fsFns[name] = wrapper;
    // A wrapper installed over ours since (a mocking library) would be removed with it: ours then stays, inert.
    restore.push(() => {
      if (fsFns[name] === wrapper) fsFns[name] = original;
    });
  }
  return () => {
    active = false;
    for (const r of restore) r();
  };
}

function toPath(arg: unknown): string | null {
  if (typeof arg === 'string') return path.resolve(arg);
  if (arg instanceof URL && arg.protocol === 'file:') return fileURLToPath(arg);
  if (Buffer.isBuffer(arg)) return path.resolve(arg.toString());
  return null; // a file descriptor: its path was recorded when it was opened
}

/**
 * Runs `fn` (a generator call) with plain file and environment reads recorded on `recorder`.
 * Not re-entrant across recorders: a nested call records on the innermost one.
 */
export function track<T>(recorder: ReadRecorder, fn: () => T): T {
  const s = session();
  if (!s.fsWrapped) {
    s.fsWrapped = true;
    s.onDispose(wrapFs());
  }
  const previousRecorder = current;
  const env = process.env;
  current = recorder;
  process.env = new Proxy(env, {
    get(target, key, receiver) {
      if (typeof key === 'string' && current !== null && ownReads === 0) current.envRead(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === 'string' && current !== null && ownReads === 0) current.envRead(key);
      return Reflect.has(target, key);
    },
    // Enumeration depends on the names only; values read afterwards go through `get`.
    ownKeys(target) {
      if (current !== null && ownReads === 0) current.envListed();
      return Reflect.ownKeys(target);
    },
  });
  try {
    return fn();
  } finally {
    process.env = env;
    current = previousRecorder;
  }
}

/** Runs the plugin's own reads (ctx.readFile…) without reporting them as undeclared. */
export function untracked<T>(fn: () => T): T {
  ownReads++;
  try {
    return fn();
  } finally {
    ownReads--;
  }
}

/** Logs an undeclared read once per macro and target (per session). */
export function logUndeclared(macro: string, what: string, how: string): void {
  const logged = session().undeclaredLogged;
  const key = `${macro}\0${what}`;
  if (logged.has(key)) return;
  logged.add(key);
  // The logger reads CACHED_MACROS_DEBUG: that must not become a dependency of the expansion.
  untracked(() =>
    debug('macro %s read %s directly (%s): recorded as a dependency; use ctx.%s to declare it', macro, what, how, how === 'process.env' ? 'env()' : 'readFile() or ctx.dependsOnFile()'),
  );
}
