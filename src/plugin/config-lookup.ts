/**
 * Finding this plugin in the Babel configuration a file would be transformed with: the Jest
 * transformer needs its options for a file's cache key, `cached-macros warm` its config item
 * to transform with. One rule recognises the plugin for both.
 * @packageDocumentation
 */
import type { ConfigItem, PartialConfig, TransformOptions } from '@babel/core';
import cachedMacrosPlugin, { PLUGIN_BRAND } from './plugin';
import type { PluginOptions } from '../build/options';

/** What the Babel config loaded for one file says about this plugin. */
export type PluginInConfig =
  /** Babel ignores the file (`ignore`/`only`). */
  | { readonly kind: 'ignored' }
  /** The config does not use this plugin. */
  | { readonly kind: 'absent'; readonly partial: Readonly<PartialConfig> }
  /** `plugins[index]` is this plugin, configured with `options`. */
  | {
      readonly kind: 'found';
      readonly partial: Readonly<PartialConfig>;
      readonly plugins: readonly ConfigItem[];
      readonly index: number;
      readonly options: PluginOptions;
    };

/**
 * True for this plugin: this very function, any copy of the package (branded with
 * {@link PLUGIN_BRAND}, which two copies agree on), or a copy from before the brand (by its
 * function's name). A project's config may load another copy than the one running.
 */
export function isCachedMacrosPlugin(value: unknown): boolean {
  if (typeof value !== 'function') return false;
  return value === cachedMacrosPlugin || (value as unknown as Record<symbol, unknown>)[PLUGIN_BRAND] === true || value.name === cachedMacrosPlugin.name;
}

/**
 * Loads the Babel config for `options.filename` with `babel` (the project's core, or the one
 * running) and finds this plugin in it.
 */
export function findPluginInConfig(
  babel: { loadPartialConfig(options?: TransformOptions): Readonly<PartialConfig> | null },
  options: TransformOptions & { filename: string },
): PluginInConfig {
  const partial = babel.loadPartialConfig(options);
  if (!partial) return { kind: 'ignored' };
  const plugins = (partial.options.plugins ?? []) as ConfigItem[];
  const index = plugins.findIndex((p) => isCachedMacrosPlugin(p.value));
  if (index < 0) return { kind: 'absent', partial };
  return { kind: 'found', partial, plugins, index, options: (plugins[index].options || {}) as PluginOptions };
}
