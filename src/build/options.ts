/**
 * Plugin options: defaults and validation. An unknown option or a wrong type is an error that
 * names the option, the way Babel's own plugins report them.
 */
import path from 'path';
import { warnOnce } from '../util/log';
import { parsePrivateKey, parsePublicKey } from '../store/ed25519';
import { REMOTE_MAX_TIMEOUT_MS, redactUrl, type ResolvedRemoteOptions } from '../store/remote-options';
import { DEFAULT_WATCHDOG_MS } from '../generate/watchdog';

/** The default `cacheDir`, relative to Babel's `cwd` (the `find-cache-dir` convention). */
export const DEFAULT_CACHE_DIR = path.join('node_modules', '.cache', 'cached-macros');

/** Options accepted in `babel.config.js`: `['babel-plugin-cached-macros', { … }]`. */
export interface PluginOptions {
  /** Store directory. Default: `node_modules/.cache/cached-macros` under the Babel `cwd`. */
  cacheDir?: string;
  /** `'fs'` (persistent, default) or `'memory'` (per process: tests, one-off builds). */
  store?: 'fs' | 'memory';
  /** Which import sources are macro modules. Default {@link DEFAULT_MACRO_PATTERN}. A RegExp's `g`/`y` flags are ignored. */
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
  /**
   * Warn (on stderr, naming the macro, signature and call site) when one generator call has run
   * longer than this many milliseconds; `false` turns the watchdog off. Default 10,000.
   */
  watchdogMs?: number | false;
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
  /** HMAC key (at least 32 bytes). Default: the environment variable {@link REMOTE_KEY_ENV}. Without any key the tier is off (one warning). */
  signingKey?: string;
  /**
   * Ed25519 public keys (PEM) whose signatures are trusted, instead of `signingKey`: readers
   * hold only these and cannot sign, so they only read. More than one during a key rotation.
   */
  publicKeys?: readonly string[];
  /** Ed25519 private key (PEM, PKCS#8) for writers (CI). Default: the environment variable {@link REMOTE_PRIVATE_KEY_ENV}. */
  privateKey?: string;
  /** Read the shared tier but never write it (developer laptops reading CI's cache). Default false. */
  readOnly?: boolean;
  /**
   * Seal the local store's entries with the same keys, so a cache directory restored from an
   * untrusted CI job is verified too (unsigned or badly signed rows are misses). Default false.
   */
  signLocal?: boolean;
  /** Limit for one batch (a file's lookups or writes), ms. Default 250. */
  timeoutMs?: number;
  /** Limit for connecting, ms. Default 500. */
  connectTimeoutMs?: number;
}

/** Environment variable holding the remote tier's signing key when `remote.signingKey` is not set. */
export const REMOTE_KEY_ENV = 'CACHED_MACROS_REMOTE_KEY';
/** Environment variable holding the Ed25519 private key when `remote.privateKey` is not set. */
export const REMOTE_PRIVATE_KEY_ENV = 'CACHED_MACROS_REMOTE_PRIVATE_KEY';
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
  /** Null when the watchdog is off. */
  readonly watchdogMs: number | null;
}

/** Ends in `.macro` or `/macro`, optionally with a `.js`, `.cjs`, `.mjs`, `.ts`, `.cts` or `.mts` extension. */
export const DEFAULT_MACRO_PATTERN = /[./]macro(\.[cm]?[jt]s)?$/;

const KNOWN = ['cacheDir', 'store', 'macroPattern', 'macros', 'verify', 'babelMacros', 'remote', 'watchdogMs'] as const;
const REMOTE_KNOWN = ['url', 'namespace', 'signingKey', 'publicKeys', 'privateKey', 'readOnly', 'signLocal', 'timeoutMs', 'connectTimeoutMs'] as const;

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
  const { cacheDir, store, macroPattern, macros, verify, babelMacros, remote, watchdogMs } = opts;
  if (watchdogMs !== undefined && watchdogMs !== false && (typeof watchdogMs !== 'number' || !Number.isInteger(watchdogMs) || watchdogMs < 1)) {
    throw new OptionsError(`option "watchdogMs" must be a whole number of milliseconds (at least 1) or false, got ${describe(watchdogMs)}`);
  }
  if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir === '')) {
    throw new OptionsError(`option "cacheDir" must be a non-empty string, got ${describe(cacheDir)}`);
  }
  if (store !== undefined && store !== 'fs' && store !== 'memory') {
    throw new OptionsError(`option "store" must be 'fs' or 'memory', got ${describe(store)}`);
  }
  let pattern = DEFAULT_MACRO_PATTERN;
  if (macroPattern !== undefined) {
    // `g`/`y` make `test` stateful (it resumes at `lastIndex`), which would skip every other
    // import: a copy without them is used, the caller's RegExp is left untouched.
    if (macroPattern instanceof RegExp) pattern = /[gy]/.test(macroPattern.flags) ? new RegExp(macroPattern.source, macroPattern.flags.replace(/[gy]/g, '')) : macroPattern;
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
    cacheDir: path.resolve(cwd, (cacheDir as string | undefined) ?? DEFAULT_CACHE_DIR),
    store: (store as 'fs' | 'memory' | undefined) ?? 'fs',
    macroPattern: pattern,
    macros: new Set((macros as string[] | undefined) ?? []),
    verify: rate,
    babelMacros: (babelMacros as ResolvedOptions['babelMacros'] | undefined) ?? {},
    remote: remote === undefined ? null : resolveRemote(remote),
    watchdogMs: watchdogMs === false ? null : ((watchdogMs as number | undefined) ?? DEFAULT_WATCHDOG_MS),
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
  const { url, namespace, signingKey, publicKeys, privateKey, readOnly, signLocal, timeoutMs, connectTimeoutMs } = raw;
  if (signLocal !== undefined && typeof signLocal !== 'boolean') {
    throw new OptionsError(`option "remote.signLocal" must be a boolean, got ${describe(signLocal)}`);
  }
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
  const ed = resolveEd25519(publicKeys, privateKey);
  if (ed && signingKey !== undefined) {
    throw new OptionsError('options "remote.signingKey" and "remote.publicKeys" cannot be combined: choose HMAC or Ed25519 signing');
  }
  const resolved = {
    url,
    namespace: (namespace as string | undefined) ?? 'default',
    signingKey: ed ? '' : ((signingKey as string | undefined) ?? process.env[REMOTE_KEY_ENV] ?? ''),
    publicKeys: ed?.publicKeys ?? [],
    privateKey: ed?.privateKey ?? '',
    // Without the private key there is nothing to sign with: Ed25519 readers only read.
    readOnly: ((readOnly as boolean | undefined) ?? false) || (ed !== null && ed.privateKey === ''),
    signLocal: (signLocal as boolean | undefined) ?? false,
    timeoutMs: ms('timeoutMs', timeoutMs, 250),
    connectTimeoutMs: ms('connectTimeoutMs', connectTimeoutMs, 500),
  };
  if (ed) return resolved;
  checkKeyStrength(resolved.signingKey, signingKey !== undefined ? 'option "remote.signingKey"' : `the environment variable ${REMOTE_KEY_ENV}`);
  if (resolved.signingKey === '') {
    // A laptop without the key still builds from the local tiers; unsigned entries are never read or written.
    warnOnce(
      `remote-no-key:${url}`,
      `the remote cache ${redactUrl(url)} is off: it needs a signing key (option remote.signingKey or the environment variable ${REMOTE_KEY_ENV}) or Ed25519 remote.publicKeys`,
    );
    return null;
  }
  return resolved;
}

/** Validates the Ed25519 options; null when `publicKeys` is not given (HMAC mode). Keys are never echoed. */
function resolveEd25519(publicKeys: unknown, privateKey: unknown): { publicKeys: string[]; privateKey: string } | null {
  if (publicKeys === undefined) {
    if (privateKey !== undefined) throw new OptionsError('option "remote.privateKey" needs "remote.publicKeys" (the keys readers trust)');
    return null;
  }
  if (!Array.isArray(publicKeys) || publicKeys.length === 0) {
    throw new OptionsError(`option "remote.publicKeys" must be a non-empty array of Ed25519 public keys (PEM), got ${describe(publicKeys)}`);
  }
  publicKeys.forEach((k, i) => {
    if (typeof k !== 'string' || !parsePublicKey(k)) throw new OptionsError(`option "remote.publicKeys[${i}]" must be an Ed25519 public key (PEM)`);
  });
  const fromEnv = privateKey === undefined;
  const pem = fromEnv ? (process.env[REMOTE_PRIVATE_KEY_ENV] ?? '') : privateKey;
  if (typeof pem !== 'string' || (pem !== '' && !parsePrivateKey(pem)) || (!fromEnv && pem === '')) {
    throw new OptionsError(`${fromEnv ? `the environment variable ${REMOTE_PRIVATE_KEY_ENV}` : 'option "remote.privateKey"'} must be an Ed25519 private key (PEM)`);
  }
  return { publicKeys: publicKeys as string[], privateKey: pem };
}

/** Shortest HMAC key accepted: shorter keys can be brute-forced offline from one stored entry. */
export const MIN_KEY_BYTES = 32;

/** Refuses a non-empty key under {@link MIN_KEY_BYTES} bytes; `source` names where it came from. */
function checkKeyStrength(key: string, source: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (key !== '' && bytes < MIN_KEY_BYTES) {
    // Never echo the key itself.
    throw new OptionsError(
      `${source} must be at least ${MIN_KEY_BYTES} bytes (got ${bytes}): a short key can be guessed offline from one cache entry. ` +
        `Generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`,
    );
  }
}

function protocolOf(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
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
