/**
 * Plugin options: defaults and validation. An unknown option or a wrong type is an error that
 * names the option, the way Babel's own plugins report them.
 */
import path from 'path';
import { warnOnce } from './log';

/** Options accepted in `babel.config.js`: `['babel-plugin-cached-macros', { … }]`. */
export interface PluginOptions {
  /** Store directory. Default: `node_modules/.cache/cached-macros` under the Babel `cwd`. */
  cacheDir?: string;
  /** `'fs'` (persistent, default) or `'memory'` (per process: tests, one-off builds). */
  store?: 'fs' | 'memory';
  /** Which import sources are macro modules. Default {@link DEFAULT_MACRO_PATTERN}. */
  macroPattern?: RegExp | string;
  /** Extra import sources that are macro modules regardless of the pattern. */
  macros?: readonly string[];
  /** Re-run cached generators on store hits and compare (`true`, or a sampling rate 0..1). */
  verify?: boolean | number;
  /**
   * Config for babel-plugin-macros `createMacro` macros, by `configName` (the shape of the
   * `babelMacros` key in package.json). What babel-plugin-macros takes as its own `[configName]`
   * options goes here; config files found from the importing file win over it, key by key.
   */
  babelMacros?: Readonly<Record<string, Record<string, unknown> | null>>;
  /** A shared Redis tier behind the local ones (teams, CI fleets). See {@link RemoteOptions}. */
  remote?: RemoteOptions;
}

/**
 * The shared remote tier: a Redis server every machine of a team or CI fleet reads, and (unless
 * `readOnly`) writes. Entries are signed with `signingKey` (HMAC-SHA256), so only holders of the
 * key can write entries that others accept.
 */
export interface RemoteOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). */
  url: string;
  /** Separates projects (or branches) sharing one server; part of every key and signature. Default `'default'`. */
  namespace?: string;
  /** HMAC key. Default: the environment variable {@link REMOTE_KEY_ENV}. Without one the tier is off (one warning). */
  signingKey?: string;
  /** Read the shared tier but never write it (developer laptops reading CI's cache). Default false. */
  readOnly?: boolean;
  /** Limit for one batch (a file's lookups or writes), ms. Default 250. */
  timeoutMs?: number;
  /** Limit for connecting, ms. Default 500. */
  connectTimeoutMs?: number;
}

/** Environment variable holding the remote tier's signing key when `remote.signingKey` is not set. */
export const REMOTE_KEY_ENV = 'CACHED_MACROS_REMOTE_KEY';
/** Upper bound of `remote.timeoutMs` and `remote.connectTimeoutMs`: a build must never wait long on a cache. */
export const REMOTE_MAX_TIMEOUT_MS = 5_000;

/** Validated remote options with defaults filled in. */
export interface ResolvedRemoteOptions {
  readonly url: string;
  readonly namespace: string;
  readonly signingKey: string;
  readonly readOnly: boolean;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
}

/** Validated options with defaults filled in. */
export interface ResolvedOptions {
  readonly cacheDir: string;
  readonly store: 'fs' | 'memory';
  readonly macroPattern: RegExp;
  readonly macros: ReadonlySet<string>;
  readonly verify: number;
  readonly babelMacros: Readonly<Record<string, Record<string, unknown> | null>>;
  /** Null when no remote tier is configured (or it has no signing key). */
  readonly remote: ResolvedRemoteOptions | null;
}

/** Ends in `.macro` or `/macro`, optionally with a `.js`, `.cjs`, `.mjs`, `.ts`, `.cts` or `.mts` extension. */
export const DEFAULT_MACRO_PATTERN = /[./]macro(\.[cm]?[jt]s)?$/;

const KNOWN = ['cacheDir', 'store', 'macroPattern', 'macros', 'verify', 'babelMacros', 'remote'] as const;
const REMOTE_KNOWN = ['url', 'namespace', 'signingKey', 'readOnly', 'timeoutMs', 'connectTimeoutMs'] as const;

/** Thrown for invalid options; the message names the option. */
export class OptionsError extends Error {
  constructor(message: string) {
    super(`babel-plugin-cached-macros: ${message}`);
    this.name = 'OptionsError';
  }
}

/** Validates raw plugin options and fills in defaults. */
export function resolveOptions(raw: unknown, cwd: string): ResolvedOptions {
  if (raw == null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new OptionsError(`options must be an object, got ${describe(raw)}`);
  }
  const opts = raw as Record<string, unknown>;
  for (const key of Object.keys(opts)) {
    if (!(KNOWN as readonly string[]).includes(key)) {
      throw new OptionsError(`unknown option "${key}". Known options: ${KNOWN.join(', ')}`);
    }
  }
  const { cacheDir, store, macroPattern, macros, verify, babelMacros, remote } = opts;
  if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir === '')) {
    throw new OptionsError(`option "cacheDir" must be a non-empty string, got ${describe(cacheDir)}`);
  }
  if (store !== undefined && store !== 'fs' && store !== 'memory') {
    throw new OptionsError(`option "store" must be 'fs' or 'memory', got ${describe(store)}`);
  }
  let pattern = DEFAULT_MACRO_PATTERN;
  if (macroPattern !== undefined) {
    if (macroPattern instanceof RegExp) pattern = macroPattern;
    else if (typeof macroPattern === 'string') {
      try {
        pattern = new RegExp(macroPattern);
      } catch (e) {
        throw new OptionsError(`option "macroPattern" is not a valid regular expression: ${(e as Error).message}`);
      }
    } else throw new OptionsError(`option "macroPattern" must be a RegExp or a string, got ${describe(macroPattern)}`);
  }
  if (macros !== undefined && (!Array.isArray(macros) || macros.some((m) => typeof m !== 'string'))) {
    throw new OptionsError(`option "macros" must be an array of import sources (strings), got ${describe(macros)}`);
  }
  let rate = 0;
  if (verify !== undefined) {
    if (typeof verify === 'boolean') rate = verify ? 1 : 0;
    else if (typeof verify === 'number' && verify >= 0 && verify <= 1) rate = verify;
    else throw new OptionsError(`option "verify" must be a boolean or a sampling rate between 0 and 1, got ${describe(verify)}`);
  }
  if (babelMacros !== undefined) {
    if (!isPlainObject(babelMacros)) {
      throw new OptionsError(`option "babelMacros" must be an object of configs by configName, got ${describe(babelMacros)}`);
    }
    for (const [name, config] of Object.entries(babelMacros)) {
      if (config !== null && !isPlainObject(config)) {
        throw new OptionsError(`option "babelMacros.${name}" must be an object or null, got ${describe(config)}`);
      }
    }
  }
  return {
    cacheDir: path.resolve(cwd, (cacheDir as string | undefined) ?? path.join('node_modules', '.cache', 'cached-macros')),
    store: (store as 'fs' | 'memory' | undefined) ?? 'fs',
    macroPattern: pattern,
    macros: new Set((macros as string[] | undefined) ?? []),
    verify: rate,
    babelMacros: (babelMacros as ResolvedOptions['babelMacros'] | undefined) ?? {},
    remote: remote === undefined ? null : resolveRemote(remote),
  };
}

/** Validates the `remote` option; null (with one warning) when no signing key is available. */
function resolveRemote(raw: unknown): ResolvedRemoteOptions | null {
  if (!isPlainObject(raw)) {
    throw new OptionsError(`option "remote" must be an object like { url: 'redis://…', namespace, signingKey, readOnly }, got ${describe(raw)}`);
  }
  for (const key of Object.keys(raw)) {
    if (!(REMOTE_KNOWN as readonly string[]).includes(key)) {
      throw new OptionsError(`unknown option "remote.${key}". Known: ${REMOTE_KNOWN.join(', ')}`);
    }
  }
  const { url, namespace, signingKey, readOnly, timeoutMs, connectTimeoutMs } = raw;
  if (typeof url !== 'string' || !/^rediss?:$/.test(protocolOf(url))) {
    throw new OptionsError(`option "remote.url" must be a redis:// or rediss:// URL, got ${describe(url)}`);
  }
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace === '' || namespace.length > 200)) {
    throw new OptionsError(`option "remote.namespace" must be a non-empty string (at most 200 characters), got ${describe(namespace)}`);
  }
  if (signingKey !== undefined && (typeof signingKey !== 'string' || signingKey === '')) {
    // Never echo the key itself.
    throw new OptionsError(`option "remote.signingKey" must be a non-empty string, got ${signingKey === '' ? 'an empty string' : typeof signingKey}`);
  }
  if (readOnly !== undefined && typeof readOnly !== 'boolean') {
    throw new OptionsError(`option "remote.readOnly" must be a boolean, got ${describe(readOnly)}`);
  }
  const ms = (name: string, v: unknown, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > REMOTE_MAX_TIMEOUT_MS) {
      throw new OptionsError(`option "remote.${name}" must be a whole number of milliseconds from 1 to ${REMOTE_MAX_TIMEOUT_MS}, got ${describe(v)}`);
    }
    return v;
  };
  const resolved = {
    url,
    namespace: (namespace as string | undefined) ?? 'default',
    signingKey: (signingKey as string | undefined) ?? process.env[REMOTE_KEY_ENV] ?? '',
    readOnly: (readOnly as boolean | undefined) ?? false,
    timeoutMs: ms('timeoutMs', timeoutMs, 250),
    connectTimeoutMs: ms('connectTimeoutMs', connectTimeoutMs, 500),
  };
  if (resolved.signingKey === '') {
    // A laptop without the key still builds from the local tiers; unsigned entries are never read or written.
    warnOnce(
      `remote-no-key:${url}`,
      `the remote cache ${redactUrl(url)} is off: it needs a signing key (option remote.signingKey or the environment variable ${REMOTE_KEY_ENV})`,
    );
    return null;
  }
  return resolved;
}

function protocolOf(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/** True when an import source names a macro module. */
export function isMacroSource(source: string, options: ResolvedOptions): boolean {
  return options.macros.has(source) || options.macroPattern.test(source);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof RegExp);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof RegExp) return String(value);
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${String(value)}`;
}
