/**
 * Plugin options: defaults and validation. An unknown option or a wrong type is an error that
 * names the option, the way Babel's own plugins report them.
 */
import path from 'path';

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
}

/** Validated options with defaults filled in. */
export interface ResolvedOptions {
  readonly cacheDir: string;
  readonly store: 'fs' | 'memory';
  readonly macroPattern: RegExp;
  readonly macros: ReadonlySet<string>;
  readonly verify: number;
}

/** Ends in `.macro` or `/macro`, optionally with a `.js`, `.cjs` or `.ts` extension. */
export const DEFAULT_MACRO_PATTERN = /[./]macro(\.c?js|\.ts)?$/;

const KNOWN = ['cacheDir', 'store', 'macroPattern', 'macros', 'verify'] as const;

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
  const { cacheDir, store, macroPattern, macros, verify } = opts;
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
  return {
    cacheDir: path.resolve(cwd, (cacheDir as string | undefined) ?? path.join('node_modules', '.cache', 'cached-macros')),
    store: (store as 'fs' | 'memory' | undefined) ?? 'fs',
    macroPattern: pattern,
    macros: new Set((macros as string[] | undefined) ?? []),
    verify: rate,
  };
}

/** True when an import source names a macro module. */
export function isMacroSource(source: string, options: ResolvedOptions): boolean {
  return options.macros.has(source) || options.macroPattern.test(source);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof RegExp) return String(value);
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${String(value)}`;
}
