/**
 * Inference of an argument expression's {@link ArgType}: the entry points and the dispatch over
 * expression nodes (bindings, literals, operators and TypeScript types have their own modules,
 * which recurse back through {@link infer}: the import cycle is only used at call time).
 */
import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { ArgType } from '../api/types';
import { BIGINT, FUNCTION, UNKNOWN, join, nullishness, truthiness } from './algebra';
import { inferIdentifier } from './bindings';
import { fold } from './fold';
import { inferArray, inferObject, inferTemplate } from './literals';
import { inferBinary, inferUnary } from './operators';
import { deeper, newState, withAliased, type State } from './state';
import { inferTSType, isConstAssertion } from './typescript';

/**
 * The static type of one argument expression.
 *
 * Literals, `undefined`/`NaN`/`Infinity`, template literals, operators on known types, `const`
 * bindings with inferable initialisers, TypeScript annotations of variables and parameters, and
 * `as`/`satisfies`/`!` are understood; anything else is `{ kind: 'unknown' }`.
 *
 * @param path - an argument of a macro call (any node; spread arguments and the like are `unknown`).
 */
export function inferArgType(path: NodePath<t.Node>): ArgType {
  return infer(path, newState());
}

/**
 * Argument types of a tagged template ``m`a${x}b` ``, which is treated as `m(["a", "b"], x)`:
 * first the cooked strings as an array of `const` elements (an invalid escape cooks to
 * `undefined`), then one type per `${}` expression.
 */
export function tagArgTypes(quasi: NodePath<t.TemplateLiteral>): ArgType[] {
  const state = newState();
  const strings: ArgType = {
    kind: 'array',
    elements: quasi.node.quasis.map((q): ArgType => ({ kind: 'const', value: q.value.cooked ?? undefined })),
  };
  return [strings, ...quasi.get('expressions').map((e) => infer(e, state))];
}

/** The type of any node within one inference; `unknown` past {@link MAX_DEPTH} nested calls. */
export function infer(path: NodePath<t.Node>, state: State): ArgType {
  return deeper(state, () => inferNode(path, state));
}

function inferNode(path: NodePath<t.Node>, state: State): ArgType {
  const node = path.node;
  switch (node.type) {
    case 'StringLiteral':
    case 'NumericLiteral':
    case 'BooleanLiteral':
      return { kind: 'const', value: node.value };
    case 'NullLiteral':
      return { kind: 'const', value: null };
    case 'BigIntLiteral':
      return fold(() => BigInt(node.value)) ?? BIGINT;
    case 'RegExpLiteral':
      // A literal's pattern is known at build time, like a const value.
      return { kind: 'regexp', pattern: node.pattern, flags: node.flags };
    // Class expressions are `typeof 'function'` too, but cannot be called: `unknown`.
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return FUNCTION;
    case 'Identifier':
      return inferIdentifier(path as NodePath<t.Identifier>, state);
    case 'TemplateLiteral':
      return inferTemplate(path as NodePath<t.TemplateLiteral>, state);
    case 'ArrayExpression':
      return inferArray(path as NodePath<t.ArrayExpression>, state);
    case 'ObjectExpression':
      return inferObject(path as NodePath<t.ObjectExpression>, state);
    case 'UnaryExpression':
      return inferUnary(node.operator, infer((path as NodePath<t.UnaryExpression>).get('argument'), state));
    case 'BinaryExpression': {
      const p = path as NodePath<t.BinaryExpression>;
      return inferBinary(node.operator, infer(p.get('left'), state), infer(p.get('right'), state));
    }
    case 'LogicalExpression':
      return inferLogical(path as NodePath<t.LogicalExpression>, state);
    case 'ConditionalExpression': {
      const p = path as NodePath<t.ConditionalExpression>;
      const test = truthiness(infer(p.get('test'), state));
      if (test === true) return infer(p.get('consequent'), state);
      if (test === false) return infer(p.get('alternate'), state);
      return join(infer(p.get('consequent'), state), infer(p.get('alternate'), state));
    }
    case 'SequenceExpression': {
      const expressions = (path as NodePath<t.SequenceExpression>).get('expressions');
      return infer(expressions[expressions.length - 1], state);
    }
    // Wrappers that do not change the value (`satisfies` does not change the type either).
    case 'ParenthesizedExpression':
    case 'TSNonNullExpression':
    case 'TSSatisfiesExpression':
    case 'TSInstantiationExpression':
      return infer((path as NodePath<typeof node>).get('expression'), state);
    case 'TSAsExpression':
    case 'TSTypeAssertion': {
      const p = path as NodePath<t.TSAsExpression | t.TSTypeAssertion>;
      if (isConstAssertion(node.typeAnnotation)) return withAliased(state, false, () => infer(p.get('expression'), state));
      // An assertion is how a user widens on purpose (`'a' as string`): the asserted type wins when we understand it.
      const asserted = inferTSType(p.get('typeAnnotation'), state);
      return asserted.kind === 'unknown' ? infer(p.get('expression'), state) : asserted;
    }
    default:
      return UNKNOWN;
  }
}

function inferLogical(path: NodePath<t.LogicalExpression>, state: State): ArgType {
  const left = infer(path.get('left'), state);
  // Which side is the value, when we know it; the other side is never evaluated.
  const takeLeft =
    path.node.operator === '??'
      ? invert(nullishness(left))
      : path.node.operator === '||'
        ? truthiness(left)
        : invert(truthiness(left));
  if (takeLeft === true) return left;
  const right = infer(path.get('right'), state);
  return takeLeft === false ? right : join(left, right);
}

function invert(b: boolean | undefined): boolean | undefined {
  return b === undefined ? undefined : !b;
}
