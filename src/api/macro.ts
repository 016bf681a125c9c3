/**
 * Typed call sites for TypeScript users. A macro module exports `Generator` classes, which `tsc`
 * and editors would call "not callable"; {@link macro} gives an exported generator the function
 * type its author declares, while the value stays the branded class the plugin expands.
 * @packageDocumentation
 */
import { isGeneratorClass, type GeneratorClass } from './generator';

/** Any function type (parameters are contravariant, so every function type extends this). */
type AnyFunction = (...args: never[]) => unknown;

/** Phantom key: present only in types, so a typed macro is told apart from an ordinary function. */
declare const MACRO_TYPE: unique symbol;

/**
 * What application code sees when it imports a macro typed with {@link macro}: a function of
 * type `F`. It does not exist at run time: every call is replaced at build time by the
 * generator's expansion, so it can only be called (not passed around, stored or constructed).
 *
 * Macro packages written in JavaScript use it in their hand-written `.d.ts`:
 * ```ts
 * import type { Macro } from 'babel-plugin-cached-macros';
 * declare const shout: Macro<(text: string) => string>;
 * export default shout;
 * ```
 */
export type Macro<F extends AnyFunction> = F & { readonly [MACRO_TYPE]?: F };

/**
 * Types a macro for its callers. At run time it returns `generator` itself (the plugin still
 * loads the branded class); for `tsc` and editors the result is a function of type `F`, so
 * calls type-check like calls to any function and a wrong argument is the usual TS2345 / TS2554.
 * `F` may be generic and may use `const` type parameters; tagged-template macros take
 * `(strings: TemplateStringsArray, ...values: V[])`.
 *
 * @typeParam F - The call signature(s) application code sees; give it explicitly.
 * @param generator - A {@link Generator} or {@link CachedGenerator} subclass.
 * @throws TypeError when `generator` is not a Generator subclass (caught when the macro module loads).
 * @example shout.macro.ts
 * ```ts
 * import { Generator, macro, type Signature } from 'babel-plugin-cached-macros';
 *
 * class Shout extends Generator {
 *   generate(sig: Signature) {
 *     const [arg] = sig.args;
 *     return arg.kind === 'const' ? { inline: JSON.stringify(String(arg.value).toUpperCase()) } : { inline: '$0.toUpperCase()' };
 *   }
 * }
 * export default macro<(text: string) => string>(Shout);
 * ```
 */
export function macro<F extends AnyFunction>(generator: GeneratorClass): Macro<F> {
  if (!isGeneratorClass(generator)) {
    const what = typeof generator === 'function' ? `the class or function ${(generator as { name?: string }).name || '(anonymous)'}` : describe(generator);
    throw new TypeError(
      `macro() expects a Generator subclass (extend Generator or CachedGenerator from babel-plugin-cached-macros), got ${what}.`,
    );
  }
  return generator as unknown as Macro<F>;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value).slice(0, 40)}`;
}
