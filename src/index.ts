/**
 * babel-plugin-cached-macros: compile-time macros as generators, called once per argument-type
 * signature; `CachedGenerator`s keep their expansions in a persistent, epoch-versioned store.
 *
 * @example babel.config.js
 * ```js
 * module.exports = { plugins: ['babel-plugin-cached-macros'] };
 * ```
 * @packageDocumentation
 */
import plugin from './plugin/plugin';

export default plugin;
export { METADATA_KEY } from './plugin/plugin';
export { Generator, CachedGenerator, isGeneratorClass, type ConstArgs, type GeneratorClass } from './api/generator';
export { macro, type Macro } from './api/macro';
export type { PluginOptions, RemoteOptions } from './build/options';
export type {
  ArgType,
  Code,
  ConstValue,
  Dependency,
  Expansion,
  FileReport,
  GenerateContext,
  HelperImport,
  MacroReport,
  RemoteReport,
  SerializedExpansion,
  Signature,
} from './api/types';
