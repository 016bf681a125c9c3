/**
 * printf.macro as seen by application code. These functions do not exist at run time: every
 * call is replaced at build time by babel-plugin-cached-macros. index.js exports the generator
 * classes through `macro()`, and each is typed here as `Macro<F>`: callable with the type `F`.
 *
 * Directives: `%s` string, `%d` / `%f` number, `%.Nf` fixed decimals, `%i` integer part,
 * `%j` JSON, `%x` hexadecimal, `%%` a percent sign.
 */

import type { Macro } from 'babel-plugin-cached-macros';

/**
 * Formats `args` into `format`. With a constant format the call compiles to a concatenation
 * specialised for the argument types, checked at build time (unknown directive, wrong number of
 * arguments); otherwise it calls the run-time formatter (printf.macro/runtime).
 */
declare const printf: Macro<(format: string, ...args: unknown[]) => string>;

/**
 * Tagged-template form: fmt`Total: ${n}`. A directive right after a value formats it:
 * fmt`${price}%.2f EUR`.
 */
declare const fmt: Macro<(strings: TemplateStringsArray, ...values: unknown[]) => string>;

export default printf;
export { printf, fmt };
