/**
 * What a babel-plugin-macros macro is: the function `createMacro(fn, options)` returns, marked
 * `isBabelMacro`. Recognised the way babel-plugin-macros 3.1 recognises it (by the mark, not by
 * class identity), so macros built against any copy or major of babel-plugin-macros qualify.
 */
import type { PluginPass } from '@babel/core';
import type { NodePath } from '@babel/traverse';

/** The arguments babel-plugin-macros passes to a macro; ours are the same. */
export interface BabelMacroArgs {
  /** Reference paths per imported name (`default`, each named import, each namespace member used). */
  readonly references: Record<string, NodePath[]>;
  /** The import source as written. */
  readonly source: string;
  /** The plugin pass (`state.file`, `state.filename`, …). */
  readonly state: PluginPass;
  /** Babel's plugin API object (`babel.types`, `babel.template`, …). */
  readonly babel: unknown;
  /** The macro's config (see config.ts); `undefined` when it declared no `configName`. */
  readonly config: Record<string, unknown> | undefined;
  readonly isBabelMacrosCall: true;
}

/** The wrapper `createMacro` returns. */
export interface BabelMacro {
  (args: BabelMacroArgs): unknown;
  readonly isBabelMacro: true;
  readonly options?: { readonly configName?: string };
}

/**
 * The babel-plugin-macros macro a module exports, or null. Same interop as babel-plugin-macros:
 * an ES module's default export when it has one, else `module.exports` itself.
 */
export function babelMacroOf(moduleExports: unknown): BabelMacro | null {
  const o = moduleExports as { __esModule?: boolean; default?: unknown } | null | undefined;
  const macro: unknown = o && o.__esModule && o.default ? o.default : o;
  return typeof macro === 'function' && (macro as { isBabelMacro?: unknown }).isBabelMacro ? (macro as BabelMacro) : null;
}

/** `{ keepImports: true }` from a macro keeps its import (or `require`) declaration in the output. */
export function keepsImports(result: unknown): boolean {
  return !!result && !!(result as { keepImports?: unknown }).keepImports;
}
