/**
 * Signature inference: the static {@link ArgType} of each macro argument, worked out from the
 * AST and scope alone, and the canonical key that groups call sites by signature (see DESIGN.md,
 * "Signature"). A wrong type here means wrong code from the generator, so every rule is sound
 * for the JavaScript it sees (trusting TypeScript annotations) and everything else is `unknown`.
 * @packageDocumentation
 */
import type { Binding, NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { ConstArgs } from './generator';
import type { ArgType, ConstValue, Signature } from './types';

type Kind = ArgType['kind'];

const UNKNOWN: ArgType = { kind: 'unknown' };
const STRING: ArgType = { kind: 'string' };
const NUMBER: ArgType = { kind: 'number' };
const BOOLEAN: ArgType = { kind: 'boolean' };
const BIGINT: ArgType = { kind: 'bigint' };
const FUNCTION: ArgType = { kind: 'function' };
const REGEXP: ArgType = { kind: 'regexp' };
const CONST_UNDEFINED: ArgType = { kind: 'const', value: undefined };

/** Nesting limit (expressions, bindings and type annotations together): deeper is `unknown`, never a stack overflow. */
const MAX_DEPTH = 400;
/** Folding `const a = s + s; const b = a + a; …` doubles per step: longer folded strings are widened to `string`. */
const MAX_FOLDED_STRING = 65_536;
/** Likewise for bigints (`2n ** 10n ** 10n` must not hang the build). */
const MAX_FOLDED_BIGINT_BITS = 4_096;

/** Non-writable, non-configurable globals: an unshadowed reference is exactly this value. */
const GLOBAL_CONSTANTS = new Map<string, ArgType>([
  ['undefined', CONST_UNDEFINED],
  ['NaN', { kind: 'const', value: NaN }],
  ['Infinity', { kind: 'const', value: Infinity }],
]);

/** Per-inference state: shared by the recursive calls of one {@link inferArgType}. */
interface State {
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

const HINT_MAX = 20;
/** Longest part a `const` string (or a tagged template's strings) contributes to a hint. */
const HINT_WORD_MAX = 12;
const HINT_TOKENS: Readonly<Record<Exclude<Kind, 'const'>, string>> = {
  string: 'str',
  number: 'num',
  boolean: 'bool',
  bigint: 'big',
  null: 'null',
  undefined: 'undef',
  regexp: 're',
  function: 'fn',
  unknown: 'any',
  array: 'arr',
  object: 'obj',
};

/**
 * A short hint for naming the binding hoisted for a signature, so that a stack trace or a
 * debugger's scope view tells which specialisation it is in: `str_num`, `s_d_str_num` (the
 * `const` format `"%s=%d"`, then a string and a number), `Total_2f_EUR_num` (a tagged
 * template's strings, then a number), `true_any`, `noargs`. Types are abbreviated; a `const`
 * string shows its letters and digits (from the first letter, at most 12 characters), a `const`
 * boolean its value, other constants their type (`num`: Babel's uid generator drops trailing
 * digits, and a number's value rarely reads as well as its role). Only `[A-Za-z0-9_]`, starting
 * with a letter, at most 20 characters (whole argument tokens only). It is a name *part*: on its
 * own it may be a reserved word (`true`).
 */
export function signatureHint(sig: Signature): string {
  let hint = '';
  for (const arg of sig.args) {
    const token = hintToken(arg);
    const next = hint ? `${hint}_${token}` : token;
    if (next.length > HINT_MAX) break;
    hint = next;
  }
  return hint || 'noargs';
}

function hintToken(arg: ArgType): string {
  switch (arg.kind) {
    case 'const':
      if (typeof arg.value === 'string') return hintWord(arg.value) ?? 'str';
      if (typeof arg.value === 'boolean') return String(arg.value);
      if (arg.value === null) return 'null';
      return HINT_TOKENS[arg.value === undefined ? 'undefined' : typeof arg.value === 'bigint' ? 'bigint' : 'number'];
    case 'array': {
      // A tagged template's strings (or any array of constant strings) read like a format string.
      const strings = arg.elements.every((e) => e.kind === 'const' && typeof e.value === 'string');
      const word = strings && arg.elements.length > 0 ? hintWord(arg.elements.map((e) => (e as { value: string }).value).join(' ')) : null;
      return word ?? 'arr';
    }
    default:
      return HINT_TOKENS[arg.kind];
  }
}

/** The letters and digits of `text` joined by `_`, from the first letter, cut short; null when there is no letter. */
function hintWord(text: string): string | null {
  const word = text
    .normalize('NFKD') // `é` → `e` and a combining accent, dropped next
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^[0-9_]+/, '') // a name part must not start with a digit: `%.2f %s` → `f_s`
    .slice(0, HINT_WORD_MAX)
    .replace(/_+$/, '');
  return word || null;
}

// ---------------------------------------------------------------------------------------------
// Inference

function newState(): State {
  return { depth: 0, bindings: new Map(), aliased: false };
}

function infer(path: NodePath<t.Node>, state: State): ArgType {
  if (state.depth >= MAX_DEPTH) return UNKNOWN;
  state.depth++;
  try {
    return inferNode(path, state);
  } finally {
    state.depth--;
  }
}

/** Runs `fn` with `state.aliased` set to `aliased`, restoring it afterwards. */
function withAliased(state: State, aliased: boolean, fn: () => ArgType): ArgType {
  const saved = state.aliased;
  state.aliased = aliased;
  try {
    return fn();
  } finally {
    state.aliased = saved;
  }
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

function inferIdentifier(path: NodePath<t.Identifier>, state: State): ArgType {
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

function inferTemplate(path: NodePath<t.TemplateLiteral>, state: State): ArgType {
  const cooked = path.node.quasis.map((q) => q.value.cooked);
  if (cooked.some((s) => s == null)) return STRING; // only tagged templates may have invalid escapes
  const parts = path.get('expressions').map((e) => infer(e, state));
  if (!parts.every(isConst)) return STRING;
  // `${v}` is ToString(v), which String(v) reproduces for every ConstValue.
  return fold(() => cooked.reduce((acc, s, i) => acc + String(i ? parts[i - 1].value : '') + s, '')) ?? STRING;
}

function inferArray(path: NodePath<t.ArrayExpression>, state: State): ArgType {
  if (state.aliased) return UNKNOWN;
  const elements: ArgType[] = [];
  for (const element of path.get('elements')) {
    if (element.node === null) elements.push(CONST_UNDEFINED); // a hole reads as undefined
    else if (element.isSpreadElement()) return UNKNOWN;
    else elements.push(infer(element as NodePath<t.Expression>, state));
  }
  return { kind: 'array', elements };
}

function inferObject(path: NodePath<t.ObjectExpression>, state: State): ArgType {
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
function literalKey(key: t.Node, computed: boolean | undefined): string | undefined {
  if (key.type === 'StringLiteral') return key.value;
  if (key.type === 'NumericLiteral') return String(key.value);
  return !computed && key.type === 'Identifier' ? key.name : undefined;
}

function inferUnary(operator: t.UnaryExpression['operator'], arg: ArgType): ArgType {
  switch (operator) {
    case 'void':
      return CONST_UNDEFINED;
    case '!': {
      const truthy = truthiness(arg);
      return truthy === undefined ? BOOLEAN : { kind: 'const', value: !truthy };
    }
    case 'typeof': {
      const name = typeofName(arg);
      return name === undefined ? STRING : { kind: 'const', value: name };
    }
    case '+':
      // Unary plus is ToNumber: a number, or a TypeError (bigint).
      return (isConst(arg) && fold(() => +(arg.value as number))) || NUMBER;
    case '-':
    case '~': {
      if (isConst(arg)) {
        const folded = fold(() => (operator === '-' ? -(arg.value as number) : ~(arg.value as number)));
        if (folded) return folded;
      }
      const numeric = numericKind(arg);
      return numeric === 'bigint' ? BIGINT : numeric === 'number' ? NUMBER : UNKNOWN;
    }
    default:
      return operator === 'delete' ? BOOLEAN : UNKNOWN;
  }
}

// `any`: these run the real JavaScript operators on ConstValues, which is what makes folding exact.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type BinaryOp = (a: any, b: any) => unknown;
const BINARY_OPS: Readonly<Record<string, BinaryOp>> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
  '**': (a, b) => a ** b,
  '&': (a, b) => a & b,
  '|': (a, b) => a | b,
  '^': (a, b) => a ^ b,
  '<<': (a, b) => a << b,
  '>>': (a, b) => a >> b,
  '>>>': (a, b) => a >>> b,
  '==': (a, b) => a == b,
  '!=': (a, b) => a != b,
  '===': (a, b) => a === b,
  '!==': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function inferBinary(operator: t.BinaryExpression['operator'], left: ArgType, right: ArgType): ArgType {
  const op = Object.hasOwn(BINARY_OPS, operator) ? BINARY_OPS[operator] : undefined;
  if (op && isConst(left) && isConst(right) && !bigintTooBig(operator, left.value, right.value)) {
    // A throw (1n + 1) is not folded: the general rules below apply.
    const folded = fold(() => op(left.value, right.value));
    if (folded) return folded;
  }
  switch (operator) {
    case '+': {
      // Either side a string: concatenation, whatever the other side converts to.
      if (isStringType(left) || isStringType(right)) return STRING;
      // Otherwise both sides must be known non-string primitives: an unknown side may be a string.
      const l = primitiveNumericKind(left);
      const r = primitiveNumericKind(right);
      return l && l === r ? { kind: l } : UNKNOWN;
    }
    case '-':
    case '*':
    case '/':
    case '%':
    case '**':
    case '&':
    case '|':
    case '^':
    case '<<':
    case '>>': {
      // A side known to become a Number makes the result a number (or a TypeError on a bigint).
      const l = numericKind(left);
      const r = numericKind(right);
      if (l === 'number' || r === 'number') return NUMBER;
      return l === 'bigint' && r === 'bigint' ? BIGINT : UNKNOWN;
    }
    case '>>>':
      return NUMBER; // bigints throw
    case '|>':
      return UNKNOWN;
    default:
      return BOOLEAN; // comparisons, equality, `in`, `instanceof`
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

/** Runs a constant computation; `undefined` when it throws, widened when the result is huge. */
function fold(compute: () => unknown): ArgType | undefined {
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
function bigintTooBig(operator: string, a: ConstValue, b: ConstValue): boolean {
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

// ---------------------------------------------------------------------------------------------
// TypeScript annotations

/** `as const`: a type reference to the name `const`. */
function isConstAssertion(type: t.TSType): boolean {
  return type.type === 'TSTypeReference' && type.typeName.type === 'Identifier' && type.typeName.name === 'const';
}

/** The ArgType a TypeScript type promises, or `unknown`. */
function inferTSType(path: NodePath<t.Node>, state: State): ArgType {
  if (state.depth >= MAX_DEPTH) return UNKNOWN;
  state.depth++;
  try {
    return inferTSTypeNode(path, state);
  } finally {
    state.depth--;
  }
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
      if (node.typeParameters || (name !== 'RegExp' && name !== 'Function')) return UNKNOWN;
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
    if (params?.type === 'TSTypeParameterDeclaration' && params.params.some((tp) => tp.name === name)) return true;
    const body = p.isProgram() || p.isBlockStatement() || p.isTSModuleBlock() ? p.node.body : [];
    if (body.some((statement) => declaresType(statement, name))) return true;
  }
  return false;
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

// ---------------------------------------------------------------------------------------------
// Type algebra

function isConst(type: ArgType): type is { kind: 'const'; value: ConstValue } {
  return type.kind === 'const';
}

function kindOfValue(value: ConstValue): 'string' | 'number' | 'boolean' | 'bigint' | 'null' | 'undefined' {
  if (value === null) return 'null';
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint' || type === 'undefined') return type;
  throw new TypeError(`not a ConstValue: ${String(value)}`);
}

/** The kind of a type, with a `const` taken as the kind of its value. */
function baseKind(type: ArgType): Exclude<Kind, 'const'> {
  return type.kind === 'const' ? kindOfValue(type.value) : type.kind;
}

function isStringType(type: ArgType): boolean {
  return type.kind === 'string' || (isConst(type) && typeof type.value === 'string');
}

/** What ToNumeric makes of a known primitive other than a string, for `+`. */
function primitiveNumericKind(type: ArgType): 'number' | 'bigint' | undefined {
  if (isStringType(type)) return undefined;
  return numericKind(type);
}

/**
 * What ToNumeric makes of a value of this type: strings, booleans, null and undefined become
 * Numbers. Objects are `undefined`: their `valueOf` could return anything.
 */
function numericKind(type: ArgType): 'number' | 'bigint' | undefined {
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
function truthiness(type: ArgType): boolean | undefined {
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
function nullishness(type: ArgType): boolean | undefined {
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
function typeofName(type: ArgType): string | undefined {
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
function join(a: ArgType, b: ArgType): ArgType {
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

function mapProperties(
  properties: Readonly<Record<string, ArgType>>,
  fn: (type: ArgType) => ArgType,
): Record<string, ArgType> {
  // fromEntries defines own properties, so even a "__proto__" key stays a plain key.
  return Object.fromEntries(Object.keys(properties).map((k) => [k, fn(properties[k])]));
}

// ---------------------------------------------------------------------------------------------
// Keys

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
