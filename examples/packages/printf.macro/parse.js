'use strict';
/**
 * Parsing of printf-style format strings. Shared by the build-time generator and the run-time
 * fallback (runtime.js) so that a format means exactly the same thing in both places.
 */

/** `%` then an optional `.N` precision then one letter (or a second `%`). */
const DIRECTIVE = /%(?:\.(\d+))?([a-zA-Z%])/g;

/** Directive letters that consume one argument each. */
const CONVERSIONS = new Set(['s', 'd', 'i', 'f', 'j', 'x']);

/** Thrown for a malformed format; `offset` is the position of the offending `%`. */
class FormatError extends Error {
  constructor(message, offset) {
    super(message);
    this.name = 'FormatError';
    this.offset = offset;
  }
}

/**
 * Splits a format string into literal text and conversion directives.
 *
 * A `%` not followed by a letter (as in `"50% off"`) is literal text, as in Node's
 * `util.format`; `%%` is a literal `%`; an unknown letter is an error rather than being printed
 * verbatim, because a typo in a format is far more likely than a wish to print `%q`.
 *
 * @param {string} format
 * @returns {Array<{lit: string} | {conv: string, precision: number | undefined}>}
 * @throws {FormatError} on an unknown directive, or a precision on anything but `%f`.
 */
function parseFormat(format) {
  const segments = [];
  let last = 0;
  for (const m of format.matchAll(DIRECTIVE)) {
    const [text, precision, letter] = m;
    if (m.index > last) segments.push({ lit: format.slice(last, m.index) });
    last = m.index + text.length;
    if (letter === '%' && precision === undefined) {
      segments.push({ lit: '%' });
      continue;
    }
    if (!CONVERSIONS.has(letter)) {
      throw new FormatError(`unknown directive ${text} at offset ${m.index} (known: %s %d %i %f %.Nf %j %x %%)`, m.index);
    }
    if (precision !== undefined && letter !== 'f') {
      throw new FormatError(`a precision is only allowed on %f, not ${text}`, m.index);
    }
    segments.push({ conv: letter, precision: precision === undefined ? undefined : Number(precision) });
  }
  if (last < format.length) segments.push({ lit: format.slice(last) });
  return mergeLiterals(segments);
}

/**
 * Reads the directive that may open a chunk of a `fmt` tagged template, Scala `f"…"` style:
 * in fmt`${x}%.2f kg` the `%.2f` formats `x`. Without one the value is formatted as `%s`.
 * Only that leading directive is special: any other `%` in the chunk is literal text.
 *
 * @param {string} chunk the template text that follows an interpolation
 * @returns {{conv: string, precision: number | undefined, rest: string}}
 */
function leadingDirective(chunk) {
  const m = /^%(?:\.(\d+))?([sdifjx])/.exec(chunk);
  if (!m) return { conv: 's', precision: undefined, rest: chunk };
  if (m[1] !== undefined && m[2] !== 'f') {
    throw new FormatError(`a precision is only allowed on %f, not ${m[0]}`, 0);
  }
  return { conv: m[2], precision: m[1] === undefined ? undefined : Number(m[1]), rest: chunk.slice(m[0].length) };
}

/** Joins neighbouring literal segments (`"a%%b"` parses as three). */
function mergeLiterals(segments) {
  const out = [];
  for (const s of segments) {
    const prev = out[out.length - 1];
    if (s.lit !== undefined && prev && prev.lit !== undefined) prev.lit += s.lit;
    else out.push({ ...s });
  }
  return out;
}

/** Number of arguments a parsed format consumes. */
function arity(segments) {
  return segments.filter((s) => s.conv !== undefined).length;
}

module.exports = { parseFormat, leadingDirective, mergeLiterals, arity, FormatError };
