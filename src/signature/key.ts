/** The canonical key of a signature, frozen {@link Signature}s, and their description in messages. */
import type { ArgType, ConstValue, Signature } from '../api/types';

/**
 * The canonical key of a signature, e.g. `(string, 1, "a", [number, "x"], {a: number, b: true})`.
 *
 * It depends only on the types (never on source formatting, comments or quote style), is the same
 * in every process, and is injective: strings are JSON-quoted (so `,` or `)` inside cannot be
 * mistaken for structure), numbers print in their shortest round-trip form with `-0`, `NaN` and
 * `Infinity` spelled out, bigints end in `n`, object keys are sorted, and the kinds `null` and
 * `undefined` print as `type null` / `type undefined` to differ from the `const` values.
 */
export function signatureKey(args: readonly ArgType[]): string {
  return `(${args.map(typeKey).join(', ')})`;
}

/** A {@link Signature} over a deeply frozen copy of `args` (object keys in canonical order). */
export function makeSignature(args: readonly ArgType[]): Signature {
  const frozen = Object.freeze(args.map(freezeType));
  return Object.freeze({ args: frozen, key: signatureKey(frozen) });
}

/** Longest {@link describeSignature} output before it is cut short. */
const MAX_DESCRIPTION = 160;

/** The signature for error messages: its key, cut short (with `…`) when very long. */
export function describeSignature(sig: Signature): string {
  if (sig.key.length <= MAX_DESCRIPTION) return sig.key;
  let end = MAX_DESCRIPTION - 1;
  // Do not split a surrogate pair.
  if (/[\uD800-\uDBFF]/.test(sig.key[end - 1])) end--;
  return `${sig.key.slice(0, end)}…`;
}

function typeKey(type: ArgType): string {
  switch (type.kind) {
    case 'const':
      return constKey(type.value);
    case 'array':
      return `[${type.elements.map(typeKey).join(', ')}]`;
    case 'object':
      return `{${Object.keys(type.properties)
        .sort()
        .map((k) => `${objectKeyKey(k)}: ${typeKey(type.properties[k])}`)
        .join(', ')}}`;
    case 'null':
    case 'undefined':
      return `type ${type.kind}`; // `null` alone is the const value
    case 'regexp':
      // JSON-quoted so a pattern cannot be mistaken for structure.
      return type.pattern === undefined ? 'regexp' : `regexp ${JSON.stringify(type.pattern)} ${JSON.stringify(type.flags ?? '')}`;
    default:
      return type.kind;
  }
}

function constKey(value: ConstValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // String() is the shortest round-trip form, so distinct numbers print differently; except -0.
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
    case 'undefined':
      return String(value);
    default:
      throw new TypeError(`not a ConstValue: ${String(value)}`);
  }
}

/** Identifier-like keys print bare; every other key is JSON-quoted (one spelling per key). */
function objectKeyKey(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key);
}

function freezeType(type: ArgType): ArgType {
  switch (type.kind) {
    case 'const':
      return Object.freeze({ kind: 'const', value: type.value });
    case 'array':
      return Object.freeze({ kind: 'array', elements: Object.freeze(type.elements.map(freezeType)) });
    case 'object': {
      const keys = Object.keys(type.properties).sort();
      const properties = Object.fromEntries(keys.map((k) => [k, freezeType(type.properties[k])]));
      return Object.freeze({ kind: 'object', properties: Object.freeze(properties) });
    }
    case 'regexp':
      return Object.freeze(type.pattern === undefined ? { kind: 'regexp' } : { kind: 'regexp', pattern: type.pattern, flags: type.flags ?? '' });
    default:
      return Object.freeze({ kind: type.kind });
  }
}
