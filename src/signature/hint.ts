/** A short, readable name part for the binding hoisted for a signature. */
import type { ArgType, Signature } from '../api/types';
import type { Kind } from './algebra';

const HINT_MAX = 20;
/** Longest part a `const` string (or a tagged template's strings) contributes to a hint. */
const HINT_WORD_MAX = 12;
const HINT_TOKENS: Readonly<Record<Exclude<Kind, 'const'>, string>> = {
  string: 'str',
  number: 'num',
  boolean: 'bool',
  bigint: 'big',
  null: 'null',
  undefined: 'undef',
  regexp: 're',
  function: 'fn',
  unknown: 'any',
  array: 'arr',
  object: 'obj',
};

/**
 * A short hint for naming the binding hoisted for a signature, so that a stack trace or a
 * debugger's scope view tells which specialisation it is in: `str_num`, `s_d_str_num` (the
 * `const` format `"%s=%d"`, then a string and a number), `Total_2f_EUR_num` (a tagged
 * template's strings, then a number), `true_any`, `noargs`. Types are abbreviated; a `const`
 * string shows its letters and digits (from the first letter, at most 12 characters), a `const`
 * boolean its value, other constants their type (`num`: Babel's uid generator drops trailing
 * digits, and a number's value rarely reads as well as its role). Only `[A-Za-z0-9_]`, starting
 * with a letter, at most 20 characters (whole argument tokens only). It is a name *part*: on its
 * own it may be a reserved word (`true`).
 */
export function signatureHint(sig: Signature): string {
  let hint = '';
  for (const arg of sig.args) {
    const token = hintToken(arg);
    const next = hint ? `${hint}_${token}` : token;
    if (next.length > HINT_MAX) break;
    hint = next;
  }
  return hint || 'noargs';
}

function hintToken(arg: ArgType): string {
  switch (arg.kind) {
    case 'const':
      if (typeof arg.value === 'string') return hintWord(arg.value) ?? 'str';
      if (typeof arg.value === 'boolean') return String(arg.value);
      if (arg.value === null) return 'null';
      return HINT_TOKENS[arg.value === undefined ? 'undefined' : typeof arg.value === 'bigint' ? 'bigint' : 'number'];
    case 'array': {
      // A tagged template's strings (or any array of constant strings) read like a format string.
      const strings = arg.elements.every((e) => e.kind === 'const' && typeof e.value === 'string');
      const word = strings && arg.elements.length > 0 ? hintWord(arg.elements.map((e) => (e as { value: string }).value).join(' ')) : null;
      return word ?? 'arr';
    }
    default:
      return HINT_TOKENS[arg.kind];
  }
}

/** The letters and digits of `text` joined by `_`, from the first letter, cut short; null when there is no letter. */
function hintWord(text: string): string | null {
  const word = text
    .normalize('NFKD') // `é` → `e` and a combining accent, dropped next
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^[0-9_]+/, '') // a name part must not start with a digit: `%.2f %s` → `f_s`
    .slice(0, HINT_WORD_MAX)
    .replace(/_+$/, '');
  return word || null;
}
