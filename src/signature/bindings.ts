/**
 * The type of an identifier: a global constant, or what its binding promises (a `const`'s
 * initialiser, else a TypeScript annotation).
 */
import type { Binding, NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { ArgType } from '../api/types';
import { CONST_UNDEFINED, FUNCTION, UNKNOWN } from './algebra';
import { infer } from './infer';
import { withAliased, type State } from './state';
import { inferTSType } from './typescript';

/** Non-writable, non-configurable globals: an unshadowed reference is exactly this value. */
const GLOBAL_CONSTANTS = new Map<string, ArgType>([
  ['undefined', CONST_UNDEFINED],
  ['NaN', { kind: 'const', value: NaN }],
  ['Infinity', { kind: 'const', value: Infinity }],
]);

export function inferIdentifier(path: NodePath<t.Identifier>, state: State): ArgType {
  // `with (o) { x }` may read `o.x` whatever the bindings say (sloppy scripts only).
  if (path.findParent((p) => p.isWithStatement())) return UNKNOWN;
  const binding = path.scope.getBinding(path.node.name);
  if (!binding) return GLOBAL_CONSTANTS.get(path.node.name) ?? UNKNOWN;
  const known = state.bindings.get(binding);
  if (known !== undefined) return known ?? UNKNOWN; // null: a cycle, e.g. `const a = b, b = a`
  state.bindings.set(binding, null);
  const type = inferBinding(binding, state);
  state.bindings.set(binding, type);
  return type;
}

function inferBinding(binding: Binding, state: State): ArgType {
  const path = binding.path;
  switch (binding.kind) {
    case 'const': {
      if (!path.isVariableDeclarator() || !path.get('id').isIdentifier()) return UNKNOWN; // destructuring: not the initialiser
      const init = path.get('init');
      if (init.node) {
        const type = withAliased(state, true, () => infer(init as NodePath<t.Expression>, state));
        if (type.kind !== 'unknown') return type;
      }
      return annotationOf(path.get('id'), state);
    }
    // Only `const` values are propagated; `let`/`var` are trusted only as far as their annotation.
    case 'let':
    case 'var':
      return path.isVariableDeclarator() ? annotationOf(path.get('id'), state) : UNKNOWN;
    case 'param':
      // `(x = 1)`: the default is not the value, so only the annotation counts.
      if (path.isAssignmentPattern()) return annotationOf(path.get('left'), state);
      return annotationOf(path, state);
    case 'hoisted':
      return path.isFunctionDeclaration() && binding.constant ? FUNCTION : UNKNOWN;
    default:
      return UNKNOWN; // imports, classes, catch parameters, …
  }
}

/** The type annotated on a binding identifier (`x: T`), or `unknown` (destructuring, `x?: T`, none). */
function annotationOf(id: NodePath<t.Node>, state: State): ArgType {
  if (!id.isIdentifier() || id.node.optional) return UNKNOWN;
  const annotation = id.get('typeAnnotation');
  if (!annotation.isTSTypeAnnotation()) return UNKNOWN;
  return inferTSType(annotation.get('typeAnnotation'), state);
}
