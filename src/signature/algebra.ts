/**
 * The type algebra of {@link ArgType}: the common types as constants, what a type says about its
 * values (kind, truthiness, nullishness, `typeof`, ToNumeric) and the join of two types.
 */
import type { ArgType, ConstValue } from '../api/types';

export type Kind = ArgType['kind'];

export const UNKNOWN: ArgType = { kind: 'unknown' };
export const STRING: ArgType = { kind: 'string' };
export const NUMBER: ArgType = { kind: 'number' };
export const BOOLEAN: ArgType = { kind: 'boolean' };
export const BIGINT: ArgType = { kind: 'bigint' };
export const FUNCTION: ArgType = { kind: 'function' };
export const REGEXP: ArgType = { kind: 'regexp' };
export const CONST_UNDEFINED: ArgType = { kind: 'const', value: undefined };

export function isConst(type: ArgType): type is { kind: 'const'; value: ConstValue } {
  return type.kind === 'const';
}

export function kindOfValue(value: ConstValue): 'string' | 'number' | 'boolean' | 'bigint' | 'null' | 'undefined' {
  if (value === null) return 'null';
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint' || type === 'undefined') return type;
  throw new TypeError(`not a ConstValue: ${String(value)}`);
}

/** The kind of a type, with a `const` taken as the kind of its value. */
function baseKind(type: ArgType): Exclude<Kind, 'const'> {
  return type.kind === 'const' ? kindOfValue(type.value) : type.kind;
}

export function isStringType(type: ArgType): boolean {
  return type.kind === 'string' || (isConst(type) && typeof type.value === 'string');
}

/** What ToNumeric makes of a known primitive other than a string, for `+`. */
export function primitiveNumericKind(type: ArgType): 'number' | 'bigint' | undefined {
  if (isStringType(type)) return undefined;
  return numericKind(type);
}

/**
 * What ToNumeric makes of a value of this type: strings, booleans, null and undefined become
 * Numbers. Objects are `undefined`: their `valueOf` could return anything.
 */
export function numericKind(type: ArgType): 'number' | 'bigint' | undefined {
  switch (baseKind(type)) {
    case 'bigint':
      return 'bigint';
    case 'number':
    case 'string':
    case 'boolean':
    case 'null':
    case 'undefined':
      return 'number';
    default:
      return undefined;
  }
}

/** Whether every value of the type is truthy (true), falsy (false), or either (undefined). */
export function truthiness(type: ArgType): boolean | undefined {
  switch (type.kind) {
    case 'const':
      return Boolean(type.value);
    case 'null':
    case 'undefined':
      return false;
    case 'regexp':
    case 'function':
    case 'array':
    case 'object':
      return true;
    default:
      return undefined;
  }
}

/** Whether every value of the type is null/undefined (true), none is (false), or either (undefined). */
export function nullishness(type: ArgType): boolean | undefined {
  switch (type.kind) {
    case 'const':
      return type.value == null;
    case 'null':
    case 'undefined':
      return true;
    case 'unknown':
      return undefined;
    default:
      return false;
  }
}

/** `typeof` of every value of the type, or `undefined` when it varies. */
export function typeofName(type: ArgType): string | undefined {
  switch (type.kind) {
    case 'const':
      return typeof type.value;
    case 'null':
    case 'regexp':
    case 'array':
    case 'object':
      return 'object';
    case 'unknown':
      return undefined;
    default:
      return type.kind; // string, number, boolean, bigint, undefined, function
  }
}

/** The most precise type covering both (`const 1` ⊔ `const 2` = number), or `unknown`. */
export function join(a: ArgType, b: ArgType): ArgType {
  if (sameType(a, b)) return a;
  if (a.kind === 'array' && b.kind === 'array' && a.elements.length === b.elements.length) {
    return { kind: 'array', elements: a.elements.map((e, i) => join(e, b.elements[i])) };
  }
  if (a.kind === 'object' && b.kind === 'object') {
    const keys = Object.keys(a.properties).sort();
    if (sameKeys(keys, Object.keys(b.properties).sort())) {
      return { kind: 'object', properties: Object.fromEntries(keys.map((k) => [k, join(a.properties[k], b.properties[k])])) };
    }
    return UNKNOWN;
  }
  const wa = baseKind(a);
  const wb = baseKind(b);
  return wa === wb && wa !== 'array' && wa !== 'object' ? { kind: wa } : UNKNOWN;
}

/** Structural equality (`const` values by `Object.is`, so -0 ≠ 0 and NaN = NaN). */
function sameType(a: ArgType, b: ArgType): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'const') return Object.is(a.value, (b as typeof a).value);
  if (a.kind === 'array') {
    const other = (b as typeof a).elements;
    return a.elements.length === other.length && a.elements.every((e, i) => sameType(e, other[i]));
  }
  if (a.kind === 'object') {
    const other = (b as typeof a).properties;
    const keys = Object.keys(a.properties).sort();
    return sameKeys(keys, Object.keys(other).sort()) && keys.every((k) => sameType(a.properties[k], other[k]));
  }
  return true;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}
