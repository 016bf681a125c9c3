/**
 * Metro babel transformer (`babel-plugin-cached-macros/metro`): the upstream transformer
 * (`@react-native/metro-babel-transformer` when the project has it, else
 * `metro-babel-transformer`, or one you name), with a cache key that also covers macros.
 *
 * Metro asks the transformer for its cache key once per start and keys each file by its content
 * plus that key (react/metro#918), so a file whose macro, or a file the macro read, changed was
 * served from Metro's cache unchanged (the `preval`/`codegen` staleness). This key adds every
 * macro definition file and every file and environment variable macro expansions were recorded
 * reading (the dependency manifest in the cache directory), by content: a change there gives a
 * new key at the next Metro start, and Metro transforms again.
 *
 * @example metro.config.js
 * ```js
 * module.exports = { transformer: { babelTransformerPath: require.resolve('babel-plugin-cached-macros/metro') } };
 * ```
 * With options (a file named as `babelTransformerPath`):
 * ```js
 * module.exports = require('babel-plugin-cached-macros/metro').createTransformer({
 *   upstream: 'metro-babel-transformer',
 *   pluginOptions: { cacheDir: '.cache/macros' }, // the Babel plugin's options
 * });
 * ```
 * @packageDocumentation
 */
import { createRequire } from 'module';
import path from 'path';
import { recordedDependenciesKey } from './deps/bundler-dependencies';
import { hash } from './util/hash';
import { pluginIdentity } from './util/package';
import { resolveOptions, type PluginOptions } from './build/options';

/** Options of {@link createTransformer}. */
export interface MetroTransformerOptions {
  /** Module name or path of the upstream babel transformer, resolved from the project; default: see the module description. */
  upstream?: string;
  /** The Babel plugin's options as in your Babel config (`cacheDir`, `store`), so the same dependency manifest is read. */
  pluginOptions?: PluginOptions;
}

/** A Metro babel transformer (the part of Metro's interface this wrapper uses and provides). */
export interface MetroBabelTransformer {
  transform(args: { filename: string; options: Record<string, unknown>; src: string; plugins?: unknown }): unknown;
  getCacheKey?(options?: { projectRoot?: string; enableBabelRCLookup?: boolean }): string;
}

const DEFAULT_UPSTREAMS = ['@react-native/metro-babel-transformer', 'metro-babel-transformer'];

/** Loads the upstream transformer, resolved from `root` (the project), else from this package. */
function loadUpstream(name: string | undefined, root: string): MetroBabelTransformer {
  const requires = [createRequire(path.join(root, 'package.json')), require];
  const names = name ? [name] : DEFAULT_UPSTREAMS;
  for (const candidate of names) {
    for (const req of requires) {
      let resolved: string;
      try {
        resolved = req.resolve(candidate);
      } catch {
        continue;
      }
      const mod = req(resolved) as MetroBabelTransformer & { default?: MetroBabelTransformer };
      return typeof mod.transform === 'function' ? mod : (mod.default as MetroBabelTransformer);
    }
  }
  throw new Error(`babel-plugin-cached-macros/metro: cannot find the upstream transformer (${names.join(' or ')}) from ${root}: install it or name it with the "upstream" option`);
}

/** Creates the transformer: `upstream`'s `transform`, and a `getCacheKey` covering macros as described in the module docs. */
export function createTransformer(options: MetroTransformerOptions = {}): Required<MetroBabelTransformer> {
  let upstream: MetroBabelTransformer | null = null;
  // Loaded on first use: Metro requires this module in its main process and in each worker.
  const inner = () => (upstream ??= loadUpstream(options.upstream, process.cwd()));
  return {
    transform: (args) => inner().transform(args),
    getCacheKey(keyOptions) {
      const base = inner().getCacheKey?.(keyOptions) ?? '';
      // The Babel plugin resolves its options against process.cwd() (Babel's default cwd); so does this.
      const plugin = resolveOptions(options.pluginOptions ?? {}, process.cwd());
      return hash(['cached-macros', pluginIdentity(), base, recordedDependenciesKey(plugin)].join('\0'));
    },
  };
}

const defaultTransformer = createTransformer();

/** The default transformer's `transform` (Metro requires `babelTransformerPath` and calls these). */
export const transform = defaultTransformer.transform;
/** The default transformer's cache key. */
export const getCacheKey = defaultTransformer.getCacheKey;
