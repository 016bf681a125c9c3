/** The type of a template, array or object literal, and statically known property keys. */
import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { ArgType } from '../api/types';
import { CONST_UNDEFINED, FUNCTION, STRING, UNKNOWN, isConst } from './algebra';
import { fold } from './fold';
import { infer } from './infer';
import type { State } from './state';

export function inferTemplate(path: NodePath<t.TemplateLiteral>, state: State): ArgType {
  const cooked = path.node.quasis.map((q) => q.value.cooked);
  if (cooked.some((s) => s == null)) return STRING; // only tagged templates may have invalid escapes
  const parts = path.get('expressions').map((e) => infer(e, state));
  if (!parts.every(isConst)) return STRING;
  // `${v}` is ToString(v), which String(v) reproduces for every ConstValue.
  return fold(() => cooked.reduce((acc, s, i) => acc + String(i ? parts[i - 1].value : '') + s, '')) ?? STRING;
}

export function inferArray(path: NodePath<t.ArrayExpression>, state: State): ArgType {
  if (state.aliased) return UNKNOWN;
  const elements: ArgType[] = [];
  for (const element of path.get('elements')) {
    if (element.node === null) elements.push(CONST_UNDEFINED); // a hole reads as undefined
    else if (element.isSpreadElement()) return UNKNOWN;
    else elements.push(infer(element as NodePath<t.Expression>, state));
  }
  return { kind: 'array', elements };
}

export function inferObject(path: NodePath<t.ObjectExpression>, state: State): ArgType {
  if (state.aliased) return UNKNOWN;
  const entries: [string, ArgType][] = [];
  for (const prop of path.get('properties')) {
    if (prop.isSpreadElement()) return UNKNOWN;
    const member = prop as NodePath<t.ObjectProperty | t.ObjectMethod>;
    const key = propertyKey(member, state);
    // `__proto__: x` sets the prototype rather than a property; not worth modelling.
    if (key === undefined || key === '__proto__') return UNKNOWN;
    if (member.isObjectMethod()) {
      // A getter's value is whatever it returns, on every read.
      entries.push([key, member.node.kind === 'method' ? FUNCTION : UNKNOWN]);
    } else {
      entries.push([key, infer((member as NodePath<t.ObjectProperty>).get('value'), state)]);
    }
  }
  // Later duplicates win, as in JavaScript.
  return { kind: 'object', properties: Object.fromEntries(entries) };
}

/** The property name of an object member when it is known statically. */
function propertyKey(member: NodePath<t.ObjectProperty | t.ObjectMethod>, state: State): string | undefined {
  const { key, computed } = member.node;
  if (computed) {
    const type = infer(member.get('key') as NodePath<t.Node>, state);
    // ToPropertyKey of a primitive is String(value) (`[1n]` → "1", `[-0]` → "0").
    return type.kind === 'const' ? String(type.value) : undefined;
  }
  if (key.type === 'BigIntLiteral') return String(BigInt(key.value));
  return literalKey(key, computed);
}

/** A literal or (non-computed) identifier key: `a`, `'a'`, `1` (`{0x10: x}` has key "16"). */
export function literalKey(key: t.Node, computed: boolean | undefined): string | undefined {
  if (key.type === 'StringLiteral') return key.value;
  if (key.type === 'NumericLiteral') return String(key.value);
  return !computed && key.type === 'Identifier' ? key.name : undefined;
}
