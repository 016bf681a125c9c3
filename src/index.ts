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
import plugin from './plugin';

export default plugin;
export { METADATA_KEY } from './plugin';
export { Generator, CachedGenerator, isGeneratorClass, type ConstArgs, type GeneratorClass } from './generator';
export { macro, type Macro } from './macro';
export type { PluginOptions, RemoteOptions } from './options';
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
} from './types';
