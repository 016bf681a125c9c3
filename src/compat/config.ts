/**
 * The `config` argument of a babel-plugin-macros macro, loaded as babel-plugin-macros 3.1 loads
 * it: for a macro created with `createMacro(fn, { configName })`, the `configName` key of the
 * nearest babel-plugin-macros config file (searched from the importing file's folder up to the
 * home directory, or the root when the file is outside it), merged over the plugin option
 * `babelMacros[configName]`: `{ ...fromOptions, ...fromFile }`. No `configName`: `undefined`.
 *
 * Config files are read once per build; the one found is watched like a macro definition file,
 * so editing it starts a new build (watch mode) instead of serving its old content.
 */
import os from 'os';
import path from 'path';
import type { cosmiconfigSync } from 'cosmiconfig';
import type { Build } from '../build/build';

/** babel-plugin-macros' search places, in its order. */
export const CONFIG_SEARCH_PLACES = [
  'package.json',
  '.babel-plugin-macrosrc',
  '.babel-plugin-macrosrc.json',
  '.babel-plugin-macrosrc.yaml',
  '.babel-plugin-macrosrc.yml',
  '.babel-plugin-macrosrc.js',
  'babel-plugin-macros.config.js',
] as const;

type Explorer = ReturnType<typeof cosmiconfigSync>;
type Found = { readonly config: Record<string, unknown>; readonly filepath: string } | null;

// Per build, not session state: a build replaced (or of a disposed session) takes its explorer's cache with it.
const explorers = new WeakMap<Build, Explorer>();

function explorerFor(build: Build): Explorer {
  let explorer = explorers.get(build);
  if (!explorer) {
    // One folder per search ('none'): we walk up ourselves, as cosmiconfig 7 did, without
    // cosmiconfig 9's extra global config folder.
    // Loaded on first use (~10 ms): only createMacro macros that ask for a config need it.
    const { cosmiconfigSync: load } = require('cosmiconfig') as { cosmiconfigSync: typeof cosmiconfigSync };
    explorer = load('babel-plugin-macros', {
      searchPlaces: [...CONFIG_SEARCH_PLACES],
      packageProp: 'babelMacros',
      searchStrategy: 'none',
    });
    explorers.set(build, explorer);
  }
  return explorer;
}

/** The nearest config file from `dir` upwards, stopping after the home directory or at the root. */
function search(explorer: Explorer, dir: string): Found {
  const stop = path.resolve(os.homedir());
  for (let current = path.resolve(dir); ; ) {
    const found = explorer.search(current);
    if (found && !found.isEmpty) return found as Found;
    const parent = path.dirname(current);
    if (current === stop || parent === current) return null;
    current = parent;
  }
}

/** A config error; the caller frames it at the macro's import. */
export class MacroConfigError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'MacroConfigError';
  }
}

/**
 * The config for a macro imported from `source` by a file in `dir`. `fromOptions` is the plugin
 * option `babelMacros` (validated: every value is an object or null).
 */
export function macroConfig(
  configName: string | undefined,
  dir: string,
  source: string,
  fromOptions: Readonly<Record<string, Record<string, unknown> | null>>,
  build: Build,
): Record<string, unknown> | undefined {
  if (!configName) return undefined;
  let file: { options: unknown; path: string } | undefined;
  let fileError: unknown;
  try {
    const found = search(explorerFor(build), dir);
    if (found) {
      build.fileHash(found.filepath); // watched: an edit starts a new build
      file = { options: found.config?.[configName], path: found.filepath };
    }
  } catch (e) {
    fileError = e;
  }
  const options = Object.prototype.hasOwnProperty.call(fromOptions, configName) ? fromOptions[configName] : undefined;
  // As babel-plugin-macros: a broken config file is an error only when the options give nothing.
  if (options === undefined && file?.options === undefined && fileError !== undefined) {
    const where = (fileError as { filepath?: string }).filepath;
    throw new MacroConfigError(
      `Cannot load the babel-plugin-macros config "${configName}" for the macro '${source}'${where ? ` from ${where}` : ''}: ${(fileError as Error)?.message ?? String(fileError)}`,
      fileError,
    );
  }
  if (file && file.options !== undefined && options !== undefined && typeof file.options !== 'object') {
    throw new MacroConfigError(
      `${file.path} gives the macro config "${configName}" as a ${typeof file.options}, but the plugin option babelMacros.${configName} is set too: both must be objects to be merged.`,
    );
  }
  return { ...(options ?? {}), ...(file?.options as object | undefined) };
}
