'use strict';
/**
 * Turns a parsed format plus the call site's argument types into one string-concatenation
 * expression. This is where the specialisation happens: an argument already known to be a
 * `number` needs no `Number()` for `%d`, a `string` needs no `String()` for `%s`, and a `const`
 * argument is formatted at build time.
 */
const { convert } = require('./directives');

/** Kinds whose values are primitives: for them `"" + x` is exactly `String(x)`. */
const PRIMITIVE = new Set(['string', 'number', 'boolean', 'bigint', 'null', 'undefined']);

/** Above this size an expansion is hoisted as a function instead of being copied into every call. */
const MAX_INLINE_CHARS = 80;

/**
 * Code for one directive applied to one argument.
 *
 * @param {{conv: string, precision: number | undefined}} d the directive
 * @param {import('babel-plugin-cached-macros').ArgType} type the argument's type at the call site
 * @param {string} ref the code that names the argument (`$2`, or a parameter name)
 * @param {import('babel-plugin-cached-macros').GenerateContext} ctx
 * @param {number} argIndex for error messages
 * @returns {{lit: string} | {code: string, str: boolean, wrapped?: boolean}} a literal, or code;
 *   `str`: the code always yields a string (otherwise it yields a primitive, see PRIMITIVE);
 *   `wrapped`: the argument is passed to a call (`String($1)`), so something observable (the
 *   callee's lookup) happens before the argument is evaluated.
 */
function emitDirective(d, type, ref, ctx, argIndex) {
  const { conv, precision } = d;
  if (type.kind === 'const') {
    if (conv === 'j' && typeof type.value === 'bigint') ctx.error('%j cannot format a bigint (JSON has no bigints)', argIndex);
    return { lit: convert(conv, precision, type.value) };
  }
  const kind = type.kind;
  switch (conv) {
    case 's':
      if (kind === 'string') return { code: ref, str: true };
      if (PRIMITIVE.has(kind)) return { code: ref, str: false };
      // Objects: String() calls toString(), while `"" + x` would prefer valueOf().
      return { code: `String(${ref})`, str: true, wrapped: true };
    case 'd':
    case 'f':
      if (precision !== undefined) return { code: `${kind === 'number' ? ref : `Number(${ref})`}.toFixed(${precision})`, str: true, wrapped: kind !== 'number' };
      return { code: kind === 'number' ? ref : `Number(${ref})`, str: false, wrapped: kind !== 'number' };
    case 'i':
      return { code: kind === 'number' ? `Math.trunc(${ref})` : `Math.trunc(Number(${ref}))`, str: false, wrapped: true };
    case 'j':
      if (kind === 'bigint') ctx.error('%j cannot format a bigint (JSON has no bigints)', argIndex);
      if (kind === 'undefined') return { lit: 'undefined' };
      if (kind === 'null') return { lit: 'null' };
      // JSON.stringify may return undefined (functions, symbols): concatenation prints it as
      // "undefined", the same as the run-time String(JSON.stringify(x)).
      return { code: `JSON.stringify(${ref})`, str: false, wrapped: true };
    case 'x':
      if (kind === 'bigint') return { code: `${ref}.toString(16)`, str: true };
      if (kind === 'number') return { code: `Math.trunc(${ref}).toString(16)`, str: true, wrapped: true };
      // Could be either a number or a bigint: only known at run time.
      return { code: `${ctx.helper('printf.macro/runtime', 'hex')}(${ref})`, str: true, wrapped: true };
    default:
      throw new Error(`printf.macro: no emitter for %${conv}`); // parse.js and this switch disagree
  }
}

/**
 * Joins parts into one expression that is certainly a string. `+` associates to the left, so
 * the first two operands decide between addition and concatenation: `n + m + "x"` adds.
 */
function concat(parts) {
  const merged = [];
  for (const p of parts) {
    if (p.lit === '') continue;
    const prev = merged[merged.length - 1];
    if (p.lit !== undefined && prev && prev.lit !== undefined) prev.lit += p.lit;
    else if (p.lit !== undefined) merged.push({ lit: p.lit, str: true });
    else merged.push(p);
  }
  if (merged.length === 0) return '""';
  const code = merged.map((p) => (p.lit !== undefined ? JSON.stringify(p.lit) : p.code));
  const startsAsString = merged[0].str || (merged.length > 1 && merged[1].str);
  if (!startsAsString) code.unshift('""');
  return code.join(' + ');
}

/**
 * Builds the expansion for a format whose directives are all known.
 *
 * An `{ inline }` expression is copied to the call site when that keeps the call's evaluation
 * order by itself: one argument, evaluated before anything observable happens (`"n=" + $1`,
 * `$1.toFixed(2)`). With more arguments, or a conversion call around one (`String($1)`), the
 * plugin would have to evaluate the arguments into temporaries first; a function hoisted once
 * per file, `(a1, a2) => …` called as `$hoisted($1, $2)`, does that naturally and keeps the
 * call sites small.
 *
 * @param {Array<{lit: string} | {conv: string, precision: number | undefined}>} segments
 *   the format; the n-th directive formats argument n (argument 0 is the format itself)
 * @param {readonly import('babel-plugin-cached-macros').ArgType[]} args the signature's args
 * @param {import('babel-plugin-cached-macros').GenerateContext} ctx
 * @returns {{inline: string, hoist?: string}}
 */
function emitFormat(segments, args, ctx) {
  const build = (ref) => {
    const used = [];
    let wrapped = false;
    let next = 1;
    const parts = segments.map((s) => {
      if (s.lit !== undefined) return { lit: s.lit };
      const index = next++;
      const part = emitDirective(s, args[index], ref(index), ctx, index);
      if (part.code !== undefined) used.push(index);
      wrapped ||= part.wrapped === true;
      return part;
    });
    return { code: concat(parts), used, wrapped };
  };
  const inline = build((i) => `$${i}`);
  if (inline.used.length <= 1 && !inline.wrapped && inline.code.length <= MAX_INLINE_CHARS) return { inline: inline.code };
  const fn = build((i) => `a${i}`);
  const params = fn.used.map((i) => `a${i}`).join(', ');
  return { hoist: `(${params}) => ${fn.code}`, inline: `$hoisted(${fn.used.map((i) => `$${i}`).join(', ')})` };
}

module.exports = { emitFormat, emitDirective, concat };
