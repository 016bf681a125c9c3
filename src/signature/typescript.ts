/** The {@link ArgType} a TypeScript type annotation or assertion promises (trusted, as TypeScript checks it). */
import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { ArgType } from '../api/types';
import { BIGINT, BOOLEAN, FUNCTION, NUMBER, REGEXP, STRING, UNKNOWN, join } from './algebra';
import { infer } from './infer';
import { literalKey } from './literals';
import { deeper, type State } from './state';

/** `as const`: a type reference to the name `const`. */
export function isConstAssertion(type: t.TSType): boolean {
  return type.type === 'TSTypeReference' && type.typeName.type === 'Identifier' && type.typeName.name === 'const';
}

/** The ArgType a TypeScript type promises, or `unknown`. */
export function inferTSType(path: NodePath<t.Node>, state: State): ArgType {
  return deeper(state, () => inferTSTypeNode(path, state));
}

function inferTSTypeNode(path: NodePath<t.Node>, state: State): ArgType {
  const node = path.node;
  switch (node.type) {
    case 'TSStringKeyword':
      return STRING;
    case 'TSNumberKeyword':
      return NUMBER;
    case 'TSBooleanKeyword':
      return BOOLEAN;
    case 'TSBigIntKeyword':
      return BIGINT;
    case 'TSNullKeyword':
      return { kind: 'null' };
    case 'TSUndefinedKeyword':
      return { kind: 'undefined' };
    case 'TSFunctionType':
      return FUNCTION;
    case 'TSLiteralType':
      // `'a'`, `1`, `-1`, `true`, `1n`, `` `a` ``: the literal is an expression we already understand.
      return infer((path as NodePath<t.TSLiteralType>).get('literal'), state);
    case 'TSTypeReference': {
      const name = node.typeName.type === 'Identifier' ? node.typeName.name : undefined;
      // Type arguments (`RegExp<…>` is not the global RegExp): `typeParameters` in Babel 7, `typeArguments` in 8.
      if (typeArgumentsOf(node) || (name !== 'RegExp' && name !== 'Function')) return UNKNOWN;
      if (typeNameShadowed(path, name)) return UNKNOWN;
      return name === 'RegExp' ? REGEXP : FUNCTION;
    }
    case 'TSParenthesizedType':
      return inferTSType((path as NodePath<t.TSParenthesizedType>).get('typeAnnotation'), state);
    case 'TSTypeOperator':
      // A readonly tuple is still a tuple; `keyof`/`unique` are not values we model.
      return node.operator === 'readonly'
        ? inferTSType((path as NodePath<t.TSTypeOperator>).get('typeAnnotation'), state)
        : UNKNOWN;
    case 'TSUnionType':
      // The common type of the members: `'a' | 'b'` → string; `string | undefined` → unknown.
      return (path as NodePath<t.TSUnionType>)
        .get('types')
        .map((member) => inferTSType(member, state))
        .reduce(join);
    case 'TSTupleType':
      return inferTSTuple(path as NodePath<t.TSTupleType>, state);
    case 'TSTypeLiteral':
      return inferTSTypeLiteral(path as NodePath<t.TSTypeLiteral>, state);
    default:
      return UNKNOWN; // any, unknown, void, arrays, generics, intersections, …
  }
}

function inferTSTuple(path: NodePath<t.TSTupleType>, state: State): ArgType {
  const elements: ArgType[] = [];
  for (const element of path.get('elementTypes')) {
    if (element.isTSNamedTupleMember()) {
      if (element.node.optional) return UNKNOWN;
      elements.push(inferTSType(element.get('elementType'), state));
    } else if (element.isTSOptionalType() || element.isTSRestType()) {
      return UNKNOWN; // the length is not fixed
    } else {
      elements.push(inferTSType(element, state));
    }
  }
  return { kind: 'array', elements };
}

function inferTSTypeLiteral(path: NodePath<t.TSTypeLiteral>, state: State): ArgType {
  const entries: [string, ArgType][] = [];
  for (const member of path.get('members')) {
    if (!member.isTSPropertySignature() && !member.isTSMethodSignature()) return UNKNOWN; // index/call signatures
    const { key, computed, optional, kind } = member.node;
    // Optional members may be absent; accessors are whatever they return.
    if (optional || (kind !== undefined && kind !== null && kind !== 'method')) return UNKNOWN;
    const name = literalKey(key, computed);
    if (name === undefined || name === '__proto__') return UNKNOWN;
    if (member.isTSMethodSignature()) {
      entries.push([name, FUNCTION]);
    } else {
      const annotation = member.get('typeAnnotation');
      entries.push([name, annotation.isTSTypeAnnotation() ? inferTSType(annotation.get('typeAnnotation'), state) : UNKNOWN]);
    }
  }
  return { kind: 'object', properties: Object.fromEntries(entries) };
}

/**
 * Whether `name` in a type position means something other than the global type: a value binding
 * (class, import), a type parameter, or a type/interface/enum/namespace declared in an enclosing
 * block (Babel's scope does not track type-only declarations).
 */
function typeNameShadowed(path: NodePath<t.Node>, name: string): boolean {
  if (path.scope.getBinding(name)) return true;
  for (let p = path.parentPath; p; p = p.parentPath) {
    const params = (p.node as { typeParameters?: t.Node | null }).typeParameters;
    if (params?.type === 'TSTypeParameterDeclaration' && params.params.some((tp) => typeParameterName(tp) === name)) return true;
    const body = p.isProgram() || p.isBlockStatement() || p.isTSModuleBlock() ? p.node.body : [];
    if (body.some((statement) => declaresType(statement, name))) return true;
  }
  return false;
}

/** A TSTypeParameter's name: a string in Babel 7, an Identifier in Babel 8. */
function typeParameterName(param: t.Node): string | undefined {
  const name = (param as { name?: unknown }).name;
  if (typeof name === 'string') return name;
  return name && typeof name === 'object' && typeof (name as { name?: unknown }).name === 'string' ? (name as { name: string }).name : undefined;
}

/** A type reference's type arguments, under either major's field name. */
function typeArgumentsOf(node: t.TSTypeReference): t.Node | null | undefined {
  const n = node as unknown as { typeParameters?: t.Node | null; typeArguments?: t.Node | null };
  return n.typeArguments ?? n.typeParameters;
}

function declaresType(statement: t.Node, name: string): boolean {
  if (statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration') {
    return statement.declaration ? declaresType(statement.declaration, name) : false;
  }
  switch (statement.type) {
    case 'TSTypeAliasDeclaration':
    case 'TSInterfaceDeclaration':
    case 'TSEnumDeclaration':
    case 'ClassDeclaration':
    case 'TSModuleDeclaration':
      return statement.id?.type === 'Identifier' && statement.id.name === name;
    default:
      return false;
  }
}
