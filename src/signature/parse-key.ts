/**
 * The inverse of {@link signatureKey}: the store keeps only the canonical key string of each
 * signature, and `cached-macros verify` needs the argument types back to re-run a generator.
 *
 * Grammar of a key (see `typeKey` in key.ts):
 *
 * ```text
 * key    := "(" [type ("," " " type)*] ")"
 * type   := const | kind | "type null" | "type undefined" | regexp | array | object
 * const  := json-string | number | bigint | "true" | "false" | "null" | "undefined"
 * number := "-0" | "NaN" | ["-"] "Infinity" | String(n) for a finite n   (e.g. 1.5, -2, 1e+21)
 * bigint := ["-"] digits "n"
 * kind   := "string" | "number" | "boolean" | "bigint" | "function" | "unknown"
 * regexp := "regexp" [" " json-string " " json-string]
 * array  := "[" [type (", " type)*] "]"
 * object := "{" [prop (", " prop)*] "}"      prop := (identifier | json-string) ": " type
 * ```
 * @packageDocumentation
 */
import type { ArgType, ConstValue } from '../api/types';

/** A string that is not a signature key written by `signatureKey`. */
export class SignatureKeyError extends Error {
  constructor(
    message: string,
    /** Offset in the key where parsing failed. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'SignatureKeyError';
  }
}

const KINDS = new Set(['string', 'number', 'boolean', 'bigint', 'function', 'unknown']);
const IDENTIFIER = /[A-Za-z_$][A-Za-z0-9_$]*/y;
const BIGINT = /-?\d+n/y;
// String(n) of a finite number: digits, an optional fraction, an optional exponent.
const FINITE = /-?\d+(?:\.\d+)?(?:e[+-]\d+)?/y;

/**
 * Parses a signature key back into its argument types. For every `args`,
 * `parseSignatureKey(signatureKey(args))` equals `makeSignature(args).args` (object keys sorted,
 * a regexp literal's missing flags as `''`).
 * @throws SignatureKeyError when `key` is not a key `signatureKey` could have written.
 */
export function parseSignatureKey(key: string): ArgType[] {
  const p = new Parser(key);
  const args = p.list('(', ')');
  if (p.pos !== key.length) p.fail('unexpected text after the closing parenthesis');
  return args;
}

class Parser {
  pos = 0;

  constructor(private readonly src: string) {}

  fail(message: string): never {
    throw new SignatureKeyError(`invalid signature key at offset ${this.pos}: ${message} in ${preview(this.src)}`, this.pos);
  }

  /** `open` type (", " type)* `close`. */
  list(open: string, close: string): ArgType[] {
    this.expect(open);
    const out: ArgType[] = [];
    if (this.eat(close)) return out;
    for (;;) {
      out.push(this.type());
      if (this.eat(close)) return out;
      this.expect(', ');
    }
  }

  type(): ArgType {
    const c = this.src[this.pos];
    if (c === '[') return { kind: 'array', elements: this.list('[', ']') };
    if (c === '{') return this.object();
    if (c === '"') return { kind: 'const', value: this.string() };
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return { kind: 'const', value: this.number() };
    const word = this.match(IDENTIFIER);
    if (word === undefined) this.fail('expected a type');
    switch (word) {
      case 'true':
      case 'false':
        return { kind: 'const', value: word === 'true' };
      case 'null':
        return { kind: 'const', value: null };
      case 'undefined':
        return { kind: 'const', value: undefined };
      case 'NaN':
        return { kind: 'const', value: NaN };
      case 'Infinity':
        return { kind: 'const', value: Infinity };
      case 'type': {
        this.expect(' ');
        const kind = this.match(IDENTIFIER);
        if (kind !== 'null' && kind !== 'undefined') this.fail('expected `null` or `undefined` after `type`');
        return { kind };
      }
      case 'regexp': {
        if (!this.eat(' ')) return { kind: 'regexp' };
        const pattern = this.string();
        this.expect(' ');
        return { kind: 'regexp', pattern, flags: this.string() };
      }
      default:
        if (KINDS.has(word)) return { kind: word as 'string' };
        this.pos -= word.length;
        return this.fail(`unknown type \`${word}\``);
    }
  }

  object(): ArgType {
    this.expect('{');
    const entries: Array<[string, ArgType]> = [];
    if (!this.eat('}')) {
      for (;;) {
        const name = this.src[this.pos] === '"' ? this.string() : this.match(IDENTIFIER);
        if (name === undefined) this.fail('expected a property name');
        this.expect(': ');
        entries.push([name, this.type()]);
        if (this.eat('}')) break;
        this.expect(', ');
      }
    }
    // fromEntries defines own properties, so a "__proto__" key stays a plain key.
    return { kind: 'object', properties: Object.fromEntries(entries) };
  }

  /** A JSON string literal: scanned to its closing quote, then decoded by JSON.parse. */
  string(): string {
    const start = this.pos;
    this.expect('"');
    while (this.pos < this.src.length && this.src[this.pos] !== '"') this.pos += this.src[this.pos] === '\\' ? 2 : 1;
    this.expect('"');
    try {
      return JSON.parse(this.src.slice(start, this.pos)) as string;
    } catch {
      this.pos = start;
      return this.fail('malformed string literal');
    }
  }

  number(): ConstValue {
    const big = this.match(BIGINT);
    if (big !== undefined) return BigInt(big.slice(0, -1));
    if (this.eat('-Infinity')) return -Infinity;
    const text = this.match(FINITE);
    if (text === undefined) this.fail('expected a number');
    const value = Number(text);
    // Only the spelling String() gives is canonical (`1.50`, `1e21` or `-0.0` would not be).
    const canonical = Object.is(value, -0) ? '-0' : String(value);
    if (canonical !== text) {
      this.pos -= text.length;
      this.fail(`\`${text}\` is not a canonical number`);
    }
    return value;
  }

  private match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.src);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  private eat(text: string): boolean {
    if (!this.src.startsWith(text, this.pos)) return false;
    this.pos += text.length;
    return true;
  }

  private expect(text: string): void {
    if (!this.eat(text)) this.fail(`expected \`${text}\``);
  }
}

function preview(key: string): string {
  return key.length > 80 ? `${key.slice(0, 77)}...` : key;
}
