/**
 * Transforming a project's files with its own Babel configuration, the way its build does
 * (`cached-macros warm`), with this plugin found in that configuration and, on request, pointed
 * at another cache directory.
 * @packageDocumentation
 */
import path from 'node:path';
import type { ConfigItem } from '@babel/core';
import { METADATA_KEY } from '../plugin/plugin';
import { findPluginInConfig } from '../plugin/config-lookup';
import type { FileReport } from '../api/types';
import { DEFAULT_CACHE_DIR } from '../build/options';
import { projectBabel } from './babel-core';

/** What transforming one file gave. */
export type FileOutcome =
  | { readonly kind: 'done'; readonly report: FileReport | null; readonly cacheDir: string }
  /** The file's Babel config ignores it, or does not use this plugin. */
  | { readonly kind: 'skipped'; readonly reason: string };

/** Transforms files of the project in `cwd` with its Babel config, keeping only the reports. */
export class BabelProject {
  private readonly babel;
  /**
   * Rewritten plugin items, one per original options object: Babel caches a plugin instance
   * per item, so reusing the item keeps one plugin instance (one build) for the whole run.
   */
  private readonly overridden = new WeakMap<object, ConfigItem>();

  constructor(
    readonly cwd: string,
    /** Overrides the plugin's `cacheDir` option when set. */
    private readonly cacheDir: string | undefined,
  ) {
    this.babel = projectBabel(cwd);
  }

  /** Transforms one file (output discarded: the store is what `warm` fills). Throws Babel's error. */
  transform(file: string): FileOutcome {
    const found = findPluginInConfig(this.babel, { filename: file, cwd: this.cwd });
    if (found.kind === 'ignored') return { kind: 'skipped', reason: 'ignored by the Babel config' };
    if (found.kind === 'absent') return { kind: 'skipped', reason: 'its Babel config does not use babel-plugin-cached-macros' };
    const { partial, plugins, index } = found;
    const item = this.withCacheDir(plugins[index]);
    const options = (item.options || {}) as { cacheDir?: string; store?: string };
    if (options.store === 'memory') {
      return { kind: 'skipped', reason: "the plugin is configured with store: 'memory', so nothing persists" };
    }
    const result = this.babel.transformFileSync(file, {
      ...partial.options,
      plugins: plugins.map((p, i) => (i === index ? item : p)),
      code: false,
      ast: false,
      sourceMaps: false,
    });
    const metadata = result?.metadata as unknown as Record<string, unknown> | undefined;
    const report = (metadata?.[METADATA_KEY] as FileReport | undefined) ?? null;
    const cwd = partial.options.cwd ?? this.cwd;
    return { kind: 'done', report, cacheDir: path.resolve(cwd, options.cacheDir ?? DEFAULT_CACHE_DIR) };
  }

  private withCacheDir(item: ConfigItem): ConfigItem {
    if (this.cacheDir === undefined) return item;
    const key = item.options || item;
    let out = this.overridden.get(key);
    if (!out) {
      const options = { ...(item.options || {}), cacheDir: this.cacheDir };
      out = this.babel.createConfigItem([item.value, options], { dirname: item.dirname, type: 'plugin' }) as ConfigItem;
      this.overridden.set(key, out);
    }
    return out;
  }
}
