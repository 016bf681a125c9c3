/** The state one inference carries through its recursive calls: depth, bindings seen, aliasing. */
import type { Binding } from '@babel/traverse';
import type { ArgType } from '../api/types';
import { UNKNOWN } from './algebra';

/** Nesting limit (expressions, bindings and type annotations together): deeper is `unknown`, never a stack overflow. */
export const MAX_DEPTH = 400;

/** Per-inference state: shared by the recursive calls of one {@link inferArgType}. */
export interface State {
  depth: number;
  /** Binding → its type; `null` while it is being inferred (so a cycle reads as `unknown`). Also keeps `const` chains linear. */
  readonly bindings: Map<Binding, ArgType | null>;
  /**
   * True while inferring a `const` initialiser: an array or object literal there can be mutated
   * through the binding before the call (`const a = [1]; a.push(2); m(a)`), so its shape is only
   * trusted under `as const` (TypeScript then rejects the mutation).
   */
  aliased: boolean;
}

export function newState(): State {
  return { depth: 0, bindings: new Map(), aliased: false };
}

/** Runs `fn` with `state.aliased` set to `aliased`, restoring it afterwards. */
export function withAliased(state: State, aliased: boolean, fn: () => ArgType): ArgType {
  const saved = state.aliased;
  state.aliased = aliased;
  try {
    return fn();
  } finally {
    state.aliased = saved;
  }
}

/** Runs `fn` one level deeper; `unknown` past {@link MAX_DEPTH} (expressions and types share the count). */
export function deeper(state: State, fn: () => ArgType): ArgType {
  if (state.depth >= MAX_DEPTH) return UNKNOWN;
  state.depth++;
  try {
    return fn();
  } finally {
    state.depth--;
  }
}
