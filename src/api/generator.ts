/**
 * The classes macro authors subclass. Recognised by a `Symbol.for` brand rather than
 * `instanceof`, so two copies of this package (a macro package's and the app's) agree.
 */
import type { Expansion, GenerateContext, Signature } from './types';

/** Brand carried (as a static) by every {@link Generator} subclass. */
export const GENERATOR_BRAND: unique symbol = Symbol.for('babel-plugin-cached-macros.Generator') as never;
/** Brand carried (as a static) by every {@link CachedGenerator} subclass. */
export const CACHED_BRAND: unique symbol = Symbol.for('babel-plugin-cached-macros.CachedGenerator') as never;

/** Which argument positions keep their `const` value in the signature; the others are widened. */
export type ConstArgs = 'all' | 'none' | readonly number[];

/**
 * A macro: called at build time once per distinct argument-type {@link Signature} (per file),
 * returning code specialised for that signature. Like a Julia `@generated` function it must be
 * pure: the same signature must always produce the same expansion.
 *
 * @example
 * ```ts
 * export default class Shout extends Generator {
 *   generate(sig: Signature) {
 *     return sig.args[0].kind === 'const' ? { inline: JSON.stringify(String(sig.args[0].value).toUpperCase()) }
 *                                          : { inline: '$0.toUpperCase()' };
 *   }
 * }
 * ```
 */
export abstract class Generator {
  static readonly [GENERATOR_BRAND] = true;
  /** Part of the definition fingerprint: bump it to invalidate stored expansions. */
  static version?: string;
  /** Which positions keep their `const` value (default `'all'`). */
  static constArgs?: ConstArgs;
  /** Returns the expansion for one signature. */
  abstract generate(sig: Signature, ctx: GenerateContext): Expansion;
}

/**
 * The opt-in to caching (Julia's `Core.CachedGenerator`): expansions are kept in the persistent
 * store and shared by every file, process and later build until the macro's definition, or a
 * file or environment variable it read through the context, changes.
 */
export abstract class CachedGenerator extends Generator {
  static readonly [CACHED_BRAND] = true;
}

/** A Generator subclass as seen by the plugin. */
export interface GeneratorClass {
  new (): Generator;
  readonly version?: string;
  readonly constArgs?: ConstArgs;
  readonly name: string;
}

/** True when `value` is a Generator subclass (from any copy of this package). */
export function isGeneratorClass(value: unknown): value is GeneratorClass {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[GENERATOR_BRAND] === true;
}

/** True when `value` is a CachedGenerator subclass. */
export function isCachedGeneratorClass(value: unknown): boolean {
  return isGeneratorClass(value) && (value as unknown as Record<symbol, unknown>)[CACHED_BRAND] === true;
}
