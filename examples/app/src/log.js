/**
 * A tiny in-memory logger. The message format is chosen at run time by the caller, so those
 * printf calls cannot be compiled: they become calls to printf.macro/runtime's `format`.
 */
import printf from 'printf.macro';

/**
 * @param {string} name
 */
export function createLogger(name) {
  const lines = [];
  let seq = 0;
  /** Appends `[name #n] LEVEL message`. */
  const write = (level, message) => {
    seq += 1;
    lines.push(printf('[%s #%d] %s %s', name, seq, level.toUpperCase(), message));
  };
  return {
    lines,
    /** @param {string} template a printf format, e.g. `'%d orders'` @param {unknown} value */
    info: (template, value) => write('info', printf(template, value)),
    /** @param {string} template @param {unknown} a @param {unknown} b */
    warn: (template, a, b) => write('warn', printf(template, a, b)),
  };
}
