/**
 * Whether inline code evaluates its placeholders exactly once, in order, before anything
 * observable: when it does, effectful arguments may be substituted in place.
 */
import type * as t from '@babel/types';
import { placeholderIndex } from './expansion';

/**
 * True when, evaluating `node`, the placeholders in `watched` are each reached unconditionally,
 * in increasing order, and no observable operation (call, property access, conversion, …)
 * happens before the last of them.
 */
export function evaluatesInOrder(node: t.Expression, watched: ReadonlySet<number>, types: typeof t): boolean {
  if (watched.size === 0) return true;
  const order: number[] = [];
  let effectBeforeLast = false;
  let unsafe = false;
  const effect = () => {
    if (order.length < watched.size) effectBeforeLast = true;
  };
  const contains = (n: t.Node) => {
    let found = false;
    types.traverseFast(n, (c) => {
      if (c.type === 'Identifier') {
        const i = placeholderIndex(c.name);
        if (i !== null && watched.has(i)) found = true;
      }
    });
    return found;
  };
  // Nodes whose sub-expressions may run zero or many times, or later: no watched placeholder inside.
  const opaque = (n: t.Node) => {
    if (contains(n)) unsafe = true;
    else effect();
  };
  const visit = (n: t.Node | null | undefined): void => {
    if (!n || unsafe) return;
    switch (n.type) {
      case 'Identifier': {
        const i = placeholderIndex(n.name);
        if (i !== null && watched.has(i)) order.push(i);
        return;
      }
      case 'StringLiteral':
      case 'NumericLiteral':
      case 'BooleanLiteral':
      case 'NullLiteral':
      case 'BigIntLiteral':
      case 'RegExpLiteral':
        return;
      case 'TemplateLiteral':
        n.expressions.forEach((e) => visit(e));
        if (n.expressions.length) effect();
        return;
      case 'ArrayExpression':
        for (const e of n.elements) {
          if (e && e.type === 'SpreadElement') return opaque(n);
          visit(e);
        }
        return;
      case 'ObjectExpression':
        for (const p of n.properties) {
          if (p.type !== 'ObjectProperty' || p.computed) return opaque(n);
          visit(p.value);
        }
        return;
      case 'UnaryExpression':
        // `typeof x` does not throw for an undeclared x: the argument must really be evaluated.
        if (n.operator === 'typeof' && n.argument.type === 'Identifier') {
          const i = placeholderIndex(n.argument.name);
          if (i !== null && watched.has(i)) return void (unsafe = true);
        }
        visit(n.argument);
        if (n.operator !== '!' && n.operator !== 'void' && n.operator !== 'typeof') effect();
        return;
      case 'BinaryExpression':
        visit(n.left);
        visit(n.right);
        if (n.operator !== '===' && n.operator !== '!==') effect();
        return;
      case 'SequenceExpression':
        n.expressions.forEach((e) => visit(e));
        return;
      case 'ParenthesizedExpression':
        return visit(n.expression);
      case 'MemberExpression':
        // Reading a named property of a plain binding (`Math.trunc`, `JSON.stringify`) is treated
        // as unobservable; anything involving a placeholder or a computed key is an effect.
        if (!n.computed && isPlainReference(n.object)) return;
        visit(n.object);
        if (n.computed) visit(n.property);
        effect();
        return;
      case 'CallExpression':
      case 'NewExpression':
        if (n.callee.type === 'MemberExpression' && !(isPlainReference(n.callee.object) && !n.callee.computed)) {
          visit(n.callee.object);
          if (n.callee.computed) visit(n.callee.property);
          effect();
        } else visit(n.callee);
        for (const a of n.arguments) {
          if (a.type === 'SpreadElement' || !types.isExpression(a)) return opaque(n);
          visit(a);
        }
        effect();
        return;
      case 'LogicalExpression':
        visit(n.left);
        return opaque(n.right);
      case 'ConditionalExpression':
        visit(n.test);
        opaque(n.consequent);
        return opaque(n.alternate);
      default:
        return opaque(n);
    }
  };
  const isPlainReference = (n: t.Node): boolean =>
    (n.type === 'Identifier' && placeholderIndex(n.name) === null) ||
    (n.type === 'MemberExpression' && !n.computed && isPlainReference(n.object));
  visit(node);
  if (unsafe || effectBeforeLast || order.length !== watched.size) return false;
  return order.every((v, i) => i === 0 || order[i - 1] < v);
}
