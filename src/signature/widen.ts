/** Widening: forgetting `const` values, for all arguments or as a generator's `constArgs` asks. */
import type { ConstArgs } from '../api/generator';
import type { ArgType } from '../api/types';
import { REGEXP, kindOfValue } from './algebra';

/**
 * Forgets `const` values, keeping only their kinds (`const "a"` → `string`, `const null` → `null`,
 * `const 1n` → `bigint`, …), deeply through arrays and objects. Julia's widening of a `Const`.
 */
export function widen(type: ArgType): ArgType {
  switch (type.kind) {
    case 'const':
      return { kind: kindOfValue(type.value) };
    case 'regexp':
      return REGEXP;
    case 'array':
      return { kind: 'array', elements: type.elements.map(widen) };
    case 'object':
      return { kind: 'object', properties: mapProperties(type.properties, widen) };
    default:
      return type;
  }
}

/**
 * Applies a generator's `static constArgs`: `'all'` (the default) keeps every `const`, `'none'`
 * widens every argument, a list keeps the `const`s of those positions and widens the others.
 */
export function applyConstArgs(args: readonly ArgType[], constArgs: ConstArgs | undefined): ArgType[] {
  if (constArgs === undefined || constArgs === 'all') return [...args];
  if (constArgs === 'none') return args.map(widen);
  const keep = new Set(constArgs);
  return args.map((arg, i) => (keep.has(i) ? arg : widen(arg)));
}

function mapProperties(
  properties: Readonly<Record<string, ArgType>>,
  fn: (type: ArgType) => ArgType,
): Record<string, ArgType> {
  // fromEntries defines own properties, so even a "__proto__" key stays a plain key.
  return Object.fromEntries(Object.keys(properties).map((k) => [k, fn(properties[k])]));
}
