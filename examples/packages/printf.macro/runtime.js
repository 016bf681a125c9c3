'use strict';
/**
 * Run-time fallback, imported by expansions whose format string is not known at build time
 * (and for `%x` on values of unknown type). Same language, same errors as the build-time
 * generator: a bad format fails here instead of at build time.
 */
const { parseFormat, arity, FormatError } = require('./parse');
const { convert, hex } = require('./directives');

/** Parsed formats: loggers reuse a handful of formats many times. */
const parsed = new Map();

/**
 * printf-style formatting at run time.
 *
 * @param {string} format e.g. `"%s owes %.2f"`
 * @param {...unknown} args one per directive
 * @returns {string}
 * @throws {TypeError} when `format` is not a string, has an unknown directive, or the number of
 *   arguments differs from the number of directives.
 */
function format(format, ...args) {
  if (typeof format !== 'string') throw new TypeError(`printf.macro: format must be a string, got ${typeof format}`);
  let segments = parsed.get(format);
  if (!segments) {
    try {
      segments = parseFormat(format);
    } catch (e) {
      if (e instanceof FormatError) throw new TypeError(`printf.macro: ${e.message} in ${JSON.stringify(format)}`);
      throw e;
    }
    if (parsed.size > 500) parsed.clear(); // bound memory if formats are built dynamically
    parsed.set(format, segments);
  }
  const expected = arity(segments);
  if (args.length !== expected) {
    throw new TypeError(`printf.macro: ${JSON.stringify(format)} expects ${expected} argument(s), got ${args.length}`);
  }
  let out = '';
  let next = 0;
  for (const s of segments) out += s.lit !== undefined ? s.lit : convert(s.conv, s.precision, args[next++]);
  return out;
}

module.exports = { format, hex };
