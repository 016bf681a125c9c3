/**
 * Splicing an expansion into a file: hoisted bindings, helper imports, and call-site rewriting
 * with the `$0…$n` placeholders substituted so that every argument is evaluated exactly once,
 * left to right, whatever the inline code does with its placeholders.
 */
import type { NodePath, Scope } from '@babel/traverse';
import * as t from '@babel/types';
import { HOISTED, placeholderIndex, type ExpansionTemplate } from './expansion';
import type { HelperImport } from './types';

/** Per-file splice state: helper imports and hoisted bindings added so far. */
export class FileSplicer {
  private readonly helperIds = new Map<string, t.Identifier>();
  private readonly imports: t.Statement[] = [];
  private readonly hoisted: t.Statement[] = [];

  constructor(private readonly program: NodePath<t.Program>) {}

  /** Emits `const <name> = <hoist>` once for a group and returns its identifier. */
  hoist(template: ExpansionTemplate, nameHint: string, loc: t.SourceLocation | null | undefined): t.Identifier | null {
    if (!template.hoist) return null;
    const id = this.program.scope.generateUidIdentifier(nameHint);
    const init = this.instantiate(template.hoist, template.helpers, null);
    const decl = t.variableDeclaration('const', [t.variableDeclarator(id, init)]);
    // Source maps: the hoisted binding (all of it) maps to the first call site that produced it.
    stampLoc(decl, loc);
    this.hoisted.push(decl);
    return id;
  }

  /** Rewrites one call site with the group's inline expression. */
  rewrite(site: NodePath, template: ExpansionTemplate, hoistedId: t.Identifier | null, args: readonly t.Expression[]): void {
    const inline = this.instantiate(template.inline, template.helpers, hoistedId);
    const replacement = substituteArgs(inline, args, site);
    // Source maps: the created code maps to the call site; the arguments keep their own locations.
    stampLoc(replacement, site.node.loc);
    site.replaceWith(replacement);
  }

  /** Inserts helper imports and hoisted bindings after the file's imports. */
  finish(): void {
    const statements = [...this.imports, ...this.hoisted];
    if (statements.length === 0) return;
    const body = this.program.get('body');
    const lastImport = [...body].reverse().find((p) => p.isImportDeclaration());
    if (lastImport) lastImport.insertAfter(statements);
    else this.program.unshiftContainer('body', statements);
  }

  private helperId(h: HelperImport): t.Identifier {
    const key = `${h.source}\0${h.name}`;
    let id = this.helperIds.get(key);
    if (!id) {
      id = this.program.scope.generateUidIdentifier(h.name);
      this.helperIds.set(key, id);
      // An ESM import: a later CommonJS transform turns it into a require like any other.
      this.imports.push(
        t.importDeclaration([t.importSpecifier(t.cloneNode(id), t.identifier(h.name))], t.stringLiteral(h.source)),
      );
    }
    return id;
  }

  /** Deep-clones template code, binding `$hoisted` and helper placeholders. */
  private instantiate(code: t.Expression, helpers: readonly HelperImport[], hoistedId: t.Identifier | null): t.Expression {
    const byPlaceholder = new Map(helpers.map((h) => [h.placeholder, h]));
    return replaceIdentifiers(t.cloneNode(code, true, true), (name) => {
      // Without location: the declaration's maps to the first call site, not to this one.
      if (name === HOISTED && hoistedId) return t.cloneNode(hoistedId, false, true);
      const h = byPlaceholder.get(name);
      return h ? t.cloneNode(this.helperId(h), false, true) : null;
    });
  }
}

/**
 * Gives every node in `root` that has no location (code created from an expansion, which is
 * shared by every file and so carries none) the start of `site`: Babel's generator maps each
 * node to its `loc`, so a stack frame inside an expansion points at the call that produced it.
 * A point, not the call's whole range: in a multi-line call the created code maps to the line
 * that names the macro. Created identifiers get no source-map name (an empty `identifierName`;
 * otherwise Babel names every identifier after itself): they have no original name, and Node's
 * `--enable-source-maps` would show a parameter's name in place of the hoisted function's own.
 */
export function stampLoc(root: t.Node, site: t.SourceLocation | null | undefined): void {
  if (!site) return;
  const point: t.SourceLocation = { start: site.start, end: site.start, filename: site.filename, identifierName: undefined };
  const unnamed: t.SourceLocation = { ...point, identifierName: '' };
  t.traverseFast(root, (n) => {
    if (!n.loc) n.loc = n.type === 'Identifier' ? unnamed : point;
  });
}

/**
 * Replaces referenced identifiers (not property keys or declarations' own names) in `root`,
 * in place; returns the (possibly replaced) root.
 */
export function replaceIdentifiers(root: t.Expression, replace: (name: string) => t.Expression | null): t.Expression {
  if (root.type === 'Identifier') return replace(root.name) ?? root;
  const walk = (node: t.Node, grandparent: t.Node | undefined): void => {
    for (const key of t.VISITOR_KEYS[node.type] ?? []) {
      const value = (node as unknown as Record<string, unknown>)[key];
      const children = Array.isArray(value) ? value : [value];
      children.forEach((child, i) => {
        if (!child || typeof child !== 'object') return;
        const c = child as t.Node;
        if (c.type === 'Identifier' && t.isReferenced(c, node, grandparent)) {
          const r = replace(c.name);
          if (r) {
            if (Array.isArray(value)) value[i] = r;
            else (node as unknown as Record<string, unknown>)[key] = r;
            return;
          }
        }
        walk(c, node);
      });
    }
  };
  walk(root, undefined);
  return root;
}

/** How an argument may be moved by substitution. */
const enum Purity {
  /** Side effects on evaluation, or a value other code could change: evaluate once, in order. */
  Effectful,
  /** No side effects, fresh value (object literal, function): may move, but not be duplicated. */
  Pure,
  /** No side effects and an unchanging value (literal, never-reassigned binding): may be copied. */
  Stable,
}

/** Classifies an argument expression. */
function purity(node: t.Expression, scope: Scope): Purity {
  switch (node.type) {
    case 'StringLiteral':
    case 'NumericLiteral':
    case 'BooleanLiteral':
    case 'NullLiteral':
    case 'BigIntLiteral':
      return Purity.Stable;
    case 'Identifier': {
      if (node.name === 'undefined' && !scope.getBinding('undefined')) return Purity.Stable;
      const binding = scope.getBinding(node.name);
      return binding && binding.constant && binding.kind !== 'module' ? Purity.Stable : Purity.Effectful;
    }
    case 'TemplateLiteral':
      return node.expressions.length === 0 ? Purity.Stable : Purity.Effectful;
    case 'UnaryExpression':
      return (node.operator === '-' || node.operator === '+') && t.isNumericLiteral(node.argument)
        ? Purity.Stable
        : Purity.Effectful;
    case 'RegExpLiteral':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return Purity.Pure;
    case 'ArrayExpression':
      return node.elements.every((e) => e === null || (t.isExpression(e) && purity(e, scope) !== Purity.Effectful))
        ? Purity.Pure
        : Purity.Effectful;
    case 'ObjectExpression':
      return node.properties.every(
        (p) =>
          (t.isObjectProperty(p) && !p.computed && t.isExpression(p.value) && purity(p.value, scope) !== Purity.Effectful) ||
          (t.isObjectMethod(p) && !p.computed),
      )
        ? Purity.Pure
        : Purity.Effectful;
    default:
      return Purity.Effectful;
  }
}

/**
 * Substitutes `$k` in `inline` with the arguments. Effectful arguments are substituted in place
 * only when the inline code provably evaluates each of them exactly once, in argument order,
 * before anything observable happens; otherwise they are evaluated into temporaries first:
 * `(_a = f(), _b = g(), <inline using _a, _b>)`.
 */
export function substituteArgs(inline: t.Expression, args: readonly t.Expression[], site: NodePath): t.Expression {
  const scope = site.scope;
  const uses = new Array<number>(args.length).fill(0);
  replaceIdentifiers(t.cloneNode(inline, true), (name) => {
    const i = placeholderIndex(name);
    if (i !== null) uses[i]++;
    return null;
  });
  // An argument naming a binding declared inside the expansion would be captured by it
  // (`xs.map((x) => x * $0)` with the argument `x`): such arguments go through temporaries.
  const declared = declaredNames(inline);
  const captured = args.map((a) => declared.size > 0 && mentions(a, declared));
  const kinds = args.map((a, i) => (captured[i] ? Purity.Effectful : purity(a, scope)));
  const movable = (i: number) => kinds[i] === Purity.Stable || (kinds[i] === Purity.Pure && uses[i] <= 1);
  const effectful = args.map((_, i) => i).filter((i) => !movable(i));
  const used = effectful.filter((i) => uses[i] > 0);
  const unused = effectful.filter((i) => uses[i] === 0);
  const inPlace =
    used.every((i) => uses[i] === 1 && !captured[i]) &&
    unused.every((u) => used.every((i) => u < i)) &&
    evaluatesInOrder(inline, new Set(used));

  const prefix: t.Expression[] = [];
  const value: (t.Expression | null)[] = args.map((a, i) => (movable(i) || (inPlace && !captured[i]) ? a : null));
  // Temporaries are function-scoped `var`s; where that scope is not one per evaluation
  // (parameter defaults, class fields, static blocks) an arrow IIFE gives each call its own.
  const iife = !inPlace && needsIife(site);
  const params: t.Identifier[] = [];
  const iifeArgs: t.Expression[] = [];
  if (inPlace) {
    for (const i of unused) prefix.push(args[i]);
  } else {
    for (const i of effectful) {
      if (uses[i] === 0 && !iife) {
        prefix.push(args[i]);
        continue;
      }
      const tmp = scope.generateUidIdentifier('arg');
      value[i] = tmp;
      if (iife) {
        params.push(t.cloneNode(tmp));
        iifeArgs.push(args[i]);
      } else {
        scope.push({ id: tmp });
        prefix.push(t.assignmentExpression('=', t.cloneNode(tmp), args[i]));
      }
    }
  }
  const seen = new Array<number>(args.length).fill(0);
  const body = replaceIdentifiers(inline, (name) => {
    const i = placeholderIndex(name);
    if (i === null) return null;
    const v = value[i] as t.Expression;
    // The first use takes the node itself; further uses (stable values and temporaries only) clone it.
    return seen[i]++ === 0 ? v : t.cloneNode(v, true);
  });
  if (iife) return t.callExpression(t.arrowFunctionExpression(params, body), iifeArgs);
  return prefix.length === 0 ? body : t.sequenceExpression([...prefix, body]);
}

/** True where `var` temporaries would be shared between evaluations of the call site. */
function needsIife(site: NodePath): boolean {
  for (let p: NodePath | null = site; p; p = p.parentPath) {
    const parent = p.parentPath;
    if (!parent) return false;
    if (parent.isFunction()) return p.listKey === 'params';
    if (parent.isClassProperty() || parent.isClassPrivateProperty() || parent.isStaticBlock() || parent.isClassAccessorProperty()) return true;
  }
  return false;
}

/** Names bound anywhere inside `node` (parameters, declarations, catch clauses). */
function declaredNames(node: t.Node): Set<string> {
  const names = new Set<string>();
  t.traverseFast(node, (n) => {
    if (t.isFunction(n) || t.isVariableDeclarator(n) || t.isCatchClause(n) || t.isClass(n)) {
      const bound = t.isFunction(n) ? [...n.params, ...(t.isFunctionExpression(n) && n.id ? [n.id] : [])] : t.isCatchClause(n) ? (n.param ? [n.param] : []) : [n.id];
      for (const b of bound) if (b) for (const name of Object.keys(t.getBindingIdentifiers(b as t.Node))) names.add(name);
    }
  });
  return names;
}

function mentions(node: t.Node, names: ReadonlySet<string>): boolean {
  let found = false;
  t.traverseFast(node, (n) => {
    if (n.type === 'Identifier' && names.has(n.name)) found = true;
  });
  return found;
}

/**
 * True when, evaluating `node`, the placeholders in `watched` are each reached unconditionally,
 * in increasing order, and no observable operation (call, property access, conversion, …)
 * happens before the last of them.
 */
function evaluatesInOrder(node: t.Expression, watched: ReadonlySet<number>): boolean {
  if (watched.size === 0) return true;
  const order: number[] = [];
  let effectBeforeLast = false;
  let unsafe = false;
  const effect = () => {
    if (order.length < watched.size) effectBeforeLast = true;
  };
  const contains = (n: t.Node) => {
    let found = false;
    t.traverseFast(n, (c) => {
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
          if (a.type === 'SpreadElement' || !t.isExpression(a)) return opaque(n);
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
