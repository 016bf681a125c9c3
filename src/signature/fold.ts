/**
 * Constant folding: running the real JavaScript operation on `const` values, within limits so
 * that a folded value cannot grow without bound (a huge result is widened to its kind).
 */
import type { ArgType, ConstValue } from '../api/types';
import { BIGINT, STRING } from './algebra';

/** Folding `const a = s + s; const b = a + a; …` doubles per step: longer folded strings are widened to `string`. */
const MAX_FOLDED_STRING = 65_536;
/** Likewise for bigints (`2n ** 10n ** 10n` must not hang the build). */
const MAX_FOLDED_BIGINT_BITS = 4_096;

/** Runs a constant computation; `undefined` when it throws, widened when the result is huge. */
export function fold(compute: () => unknown): ArgType | undefined {
  let value: unknown;
  try {
    value = compute();
  } catch {
    return undefined;
  }
  if (typeof value === 'string' && value.length > MAX_FOLDED_STRING) return STRING;
  if (typeof value === 'bigint' && bitLength(value) > MAX_FOLDED_BIGINT_BITS) return BIGINT;
  return { kind: 'const', value: value as ConstValue };
}

/** Whether a bigint `**`, `<<` or `>>` would build a huge number before {@link fold} could check it. */
export function bigintTooBig(operator: string, a: ConstValue, b: ConstValue): boolean {
  if (typeof a !== 'bigint' || typeof b !== 'bigint') return false;
  const bits = BigInt(bitLength(a));
  const limit = BigInt(MAX_FOLDED_BIGINT_BITS);
  if (operator === '**') return bits > 1n && b * bits > limit; // |a| <= 1 stays small
  if (operator === '<<') return bits + b > limit;
  if (operator === '>>') return bits - b > limit;
  return false;
}

function bitLength(n: bigint): number {
  return (n < 0n ? -n : n).toString(2).length;
}
