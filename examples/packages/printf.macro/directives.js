'use strict';
/**
 * What each directive does to a value, at run time. The generator folds `const` arguments with
 * these same functions, and the code it emits for typed arguments must agree with them.
 */

/**
 * Hex digits of the integer part of a number, or of a bigint (`%x`).
 * @param {unknown} value
 * @returns {string}
 */
function hex(value) {
  return typeof value === 'bigint' ? value.toString(16) : Math.trunc(Number(value)).toString(16);
}

/**
 * Formats one value for one directive.
 *
 * - `%s` String(value)
 * - `%d`, `%f` Number(value) (as Node's util.format), `%.Nf` with N decimals
 * - `%i` the integer part, Math.trunc(Number(value))
 * - `%j` JSON.stringify(value) ("undefined" when JSON has no text for it)
 * - `%x` hexadecimal of the integer part
 *
 * @param {string} conv directive letter
 * @param {number | undefined} precision from `%.Nf`
 * @param {unknown} value
 * @returns {string}
 */
function convert(conv, precision, value) {
  switch (conv) {
    case 's':
      return String(value);
    case 'd':
    case 'f':
      return precision === undefined ? String(Number(value)) : Number(value).toFixed(precision);
    case 'i':
      return String(Math.trunc(Number(value)));
    case 'j':
      return String(JSON.stringify(value));
    case 'x':
      return hex(value);
    default:
      throw new TypeError(`printf.macro: unknown conversion %${conv}`);
  }
}

module.exports = { convert, hex };
