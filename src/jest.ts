/**
 * Jest transformer (`babel-plugin-cached-macros/jest`): babel-jest, with a cache key that also
 * covers the macros each file imports.
 *
 * babel-jest's key hashes the file, the Babel options and Jest's config, but not the macro
 * modules or what they read, so after a macro edit a plain `jest` run serves stale output until
 * `--no-cache` (jest issue 8932). This transformer adds, for each macro module the file imports
 * (found by a quick scan of its import and require sources, resolved from the file as the plugin
 * resolves them): the content of the files Node loaded for it as a build recorded them in the
 * dependency manifest (the static walk of its requires for a macro no build loaded yet), its
 * package version,
 * and the content of the files and the values of the environment variables its expansions read,
 * as recorded in the dependency manifest. A change re-transforms the files importing the changed
 * macro, and no others.
 *
 * @example jest.config.js
 * ```js
 * module.exports = { transform: { '\\.[jt]sx?$': 'babel-plugin-cached-macros/jest' } };
 * ```
 * @packageDocumentation
 */
import * as babel from '@babel/core';
import type { TransformerConfig } from 'babel-jest';
import type { SyncTransformer, TransformOptions } from '@jest/transform';
import { graphMemo, recordedEnvHash } from './deps/graph-memo';
import { manifestFor } from './deps/dependency-manifest';
import { findPackage } from './load/fingerprint';
import { hash } from './util/hash';
import { pluginIdentity } from './util/package';
import { importSources } from './expand/import-sources';
import { resolveMacro } from './load/macro-loader';
import { isMacroSource, resolveOptions, type ResolvedOptions } from './build/options';
import { JEST_CALLER } from './plugin/plugin';
import { findPluginInConfig } from './plugin/config-lookup';


/** The transformer's options: babel-jest's (Babel options, and `excludeJestPreset`). */
export type CachedMacrosTransformerConfig = TransformerConfig;

/** The options of this plugin in the Babel config babel-jest would load for `file`, or null when it is not there. */
function pluginOptionsFor(file: string, options: TransformOptions<TransformerConfig>, config: TransformerConfig): ResolvedOptions | null {
  const { excludeJestPreset: _excluded, ...babelOptions } = config;
  const found = findPluginInConfig(babel, {
    cwd: options.config.cwd,
    root: options.config.rootDir,
    ...babelOptions,
    caller: { name: JEST_CALLER, supportsStaticESM: options.supportsStaticESM, ...babelOptions.caller },
    filename: file,
  });
  return found.kind === 'found' ? resolveOptions(found.options, options.config.cwd) : null;
}

/**
 * The part of the cache key covering the macros `code` imports, or '' when it imports none
 * (the key is then babel-jest's own).
 */
export function macroCacheKey(code: string, file: string, options: TransformOptions<TransformerConfig>, config: TransformerConfig = {}): string {
  const sources = importSources(code);
  if (sources.length === 0) return '';
  const plugin = pluginOptionsFor(file, options, config);
  if (!plugin) return '';
  const macros = sources.filter((s) => isMacroSource(s, plugin));
  if (macros.length === 0) return '';
  const recorded = manifestFor(plugin).current();
  const parts = [pluginIdentity()];
  for (const source of macros) {
    let resolved: string;
    try {
      resolved = resolveMacro(source, file, options.config.cwd);
    } catch {
      parts.push(`${source}\0unresolved`); // the transform reports it
      continue;
    }
    const deps = recorded.get(resolved);
    // What Node loaded for the macro, as a build recorded it; the static walk (which misses
    // computed requires) only for a macro no build loaded yet. Hashed alike, so a key does not
    // change when the recorded set turns out to equal the walked one.
    let files: readonly string[];
    try {
      files = deps && deps.graph.size > 0 ? [...deps.graph] : graphMemo().graphFiles(resolved);
    } catch {
      parts.push(`${source}\0${resolved}\0unreadable`);
      continue;
    }
    parts.push(`${source}\0${resolved}\0${findPackage(resolved) ?? ''}`);
    for (const f of [...files].sort()) parts.push(`graph\0${f}\0${graphMemo().contentHash(f)}`);
    if (!deps) continue;
    for (const f of [...deps.files].sort()) parts.push(`file\0${f}\0${graphMemo().contentHash(f)}`);
    for (const name of [...deps.env].sort()) parts.push(`env\0${name}\0${recordedEnvHash(name)}`);
  }
  return hash(parts.join('\n'));
}

function combine(base: string, macros: string): string {
  return macros ? hash(`${base}\0${macros}`) : base;
}

/**
 * Creates the transformer: babel-jest's, configured with `config` as babel-jest would be, its
 * cache key extended with {@link macroCacheKey}.
 */
export function createTransformer(config: CachedMacrosTransformerConfig = {}): SyncTransformer<TransformerConfig> {
  // Required here, not on import: babel-jest brings graceful-fs, which patches `fs` as it loads.
  const babelJest = require('babel-jest') as typeof import('babel-jest');
  // Our own caller name: the plugin warns under plain babel-jest, and must not here.
  const inner = babelJest.createTransformer({ ...config, caller: { name: JEST_CALLER, ...config.caller } }) as SyncTransformer<TransformerConfig>;
  const { getCacheKey, getCacheKeyAsync } = inner;
  return {
    ...inner,
    getCacheKey(sourceText, sourcePath, options) {
      const base = (getCacheKey as NonNullable<typeof getCacheKey>)(sourceText, sourcePath, options);
      return combine(base, macroCacheKey(sourceText, sourcePath, options, config));
    },
    async getCacheKeyAsync(sourceText, sourcePath, options) {
      const base = await (getCacheKeyAsync as NonNullable<typeof getCacheKeyAsync>)(sourceText, sourcePath, options);
      return combine(base, macroCacheKey(sourceText, sourcePath, options, config));
    },
  };
}

export default { createTransformer };
