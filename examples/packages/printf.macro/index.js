'use strict';
/**
 * printf.macro: `printf(format, ...args)` and fmt`…${x}…`, compiled at build time.
 *
 * A plain {@link Generator}, deliberately not a CachedGenerator: generating a concatenation is
 * cheaper than a store lookup, so it runs once per signature per file and is never stored
 * (like Julia's uncached generator stub).
 */
const { Generator, macro } = require('babel-plugin-cached-macros');
const { parseFormat, leadingDirective, arity, FormatError } = require('./parse');
const { emitFormat } = require('./emit');

const RUNTIME = 'printf.macro/runtime';

/** Calls `fn`, turning a FormatError into a code-framed build error at argument `argIndex`. */
function parsing(ctx, argIndex, fn) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FormatError) ctx.error(e.message, argIndex);
    throw e;
  }
}

/**
 * `printf(format, ...args)`: with a `const` format string, a concatenation specialised for the
 * argument types; otherwise a call to the run-time `format` helper.
 *
 * Only the format keeps its value in the signature (`constArgs = [0]`, Julia's
 * `@nospecialize` on the rest): `printf('%d', 1)` and `printf('%d', 2)` share one expansion.
 */
class Printf extends Generator {
  static constArgs = [0];

  /**
   * @param {import('babel-plugin-cached-macros').Signature} sig
   * @param {import('babel-plugin-cached-macros').GenerateContext} ctx
   */
  generate(sig, ctx) {
    const [format, ...values] = sig.args;
    if (format === undefined) ctx.error('printf() needs a format string');
    if (format.kind === 'string' || format.kind === 'unknown') {
      // Not known at build time: the same formatting, done at run time.
      const fn = ctx.helper(RUNTIME, 'format');
      return { inline: `${fn}(${sig.args.map((_, i) => `$${i}`).join(', ')})` };
    }
    if (format.kind !== 'const' || typeof format.value !== 'string') {
      ctx.error(`the format must be a string, got ${format.kind === 'const' ? typeof format.value : format.kind}`, 0);
    }
    const segments = parsing(ctx, 0, () => parseFormat(format.value));
    const expected = arity(segments);
    if (values.length > expected) {
      ctx.error(`${JSON.stringify(format.value)} has ${expected} directive(s), so this argument is one too many`, expected + 1);
    }
    if (values.length < expected) {
      ctx.error(`${JSON.stringify(format.value)} has ${expected} directive(s) but ${values.length} argument(s) follow it`, 0);
    }
    return emitFormat(segments, sig.args, ctx);
  }
}

/**
 * fmt`Total: ${n}`: a tagged template; every value is formatted as `%s`, unless the text right
 * after it starts with a directive (Scala's `f` interpolator): fmt`${price}%.2f EUR`.
 *
 * The plugin passes the template's strings as argument 0, an array of `const` strings.
 */
class Fmt extends Generator {
  /**
   * @param {import('babel-plugin-cached-macros').Signature} sig
   * @param {import('babel-plugin-cached-macros').GenerateContext} ctx
   */
  generate(sig, ctx) {
    const [strings, ...values] = sig.args;
    const chunks = strings && strings.kind === 'array' ? strings.elements : [];
    if (
      chunks.length !== values.length + 1 ||
      !chunks.every((c) => c.kind === 'const' && typeof c.value === 'string')
    ) {
      ctx.error('fmt is a tagged template: write fmt`text ${value} text`', 0);
    }
    const segments = [{ lit: chunks[0].value }];
    for (let i = 1; i < chunks.length; i++) {
      const { conv, precision, rest } = parsing(ctx, 0, () => leadingDirective(chunks[i].value));
      segments.push({ conv, precision }, { lit: rest });
    }
    return emitFormat(segments, sig.args, ctx);
  }
}

// `import printf, { fmt } from 'printf.macro'` (and `require('printf.macro')` is the class itself).
// macro() returns the class unchanged; index.d.ts gives each export its call type (Macro<F>).
const printf = macro(Printf);
module.exports = printf;
module.exports.default = printf;
module.exports.printf = printf;
module.exports.fmt = macro(Fmt);
