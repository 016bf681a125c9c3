/**
 * Substituting a call's arguments for the `$0…$n` placeholders of an expansion's inline code, so
 * that every argument is evaluated exactly once, left to right, whatever the inline code does
 * with its placeholders.
 */
import type { NodePath, Scope } from '@babel/traverse';
import type * as t from '@babel/types';
import { evaluatesInOrder } from './evaluation-order';
import { placeholderIndex } from './expansion';

/**
 * Replaces referenced identifiers (not property keys or declarations' own names) in `root`,
 * in place; returns the (possibly replaced) root.
 */
export function replaceIdentifiers(types: typeof t, root: t.Expression, replace: (name: string) => t.Expression | null): t.Expression {
  if (root.type === 'Identifier') return replace(root.name) ?? root;
  const walk = (node: t.Node, grandparent: t.Node | undefined): void => {
    for (const key of types.VISITOR_KEYS[node.type] ?? []) {
      const value = (node as unknown as Record<string, unknown>)[key];
      const children = Array.isArray(value) ? value : [value];
      children.forEach((child, i) => {
        if (!child || typeof child !== 'object') return;
        const c = child as t.Node;
        if (c.type === 'Identifier' && types.isReferenced(c, node, grandparent)) {
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
function purity(node: t.Expression, scope: Scope, types: typeof t): Purity {
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
      return (node.operator === '-' || node.operator === '+') && types.isNumericLiteral(node.argument)
        ? Purity.Stable
        : Purity.Effectful;
    case 'RegExpLiteral':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return Purity.Pure;
    case 'ArrayExpression':
      return node.elements.every((e) => e === null || (types.isExpression(e) && purity(e, scope, types) !== Purity.Effectful))
        ? Purity.Pure
        : Purity.Effectful;
    case 'ObjectExpression':
      return node.properties.every(
        (p) =>
          (types.isObjectProperty(p) && !p.computed && types.isExpression(p.value) && purity(p.value, scope, types) !== Purity.Effectful) ||
          (types.isObjectMethod(p) && !p.computed),
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
export function substituteArgs(
  inline: t.Expression,
  args: readonly t.Expression[],
  site: NodePath,
  types: typeof t,
  analysis: InlineAnalysis = analyzeInline(inline, types),
): t.Expression {
  const scope = site.scope;
  const uses = args.map((_, i) => analysis.uses.get(i) ?? 0);
  // An argument naming a binding declared inside the expansion would be captured by it
  // (`xs.map((x) => x * $0)` with the argument `x`): such arguments go through temporaries.
  const declared = analysis.declared;
  const captured = args.map((a) => declared.size > 0 && mentions(a, declared, types));
  const kinds = args.map((a, i) => (captured[i] ? Purity.Effectful : purity(a, scope, types)));
  const movable = (i: number) => kinds[i] === Purity.Stable || (kinds[i] === Purity.Pure && uses[i] <= 1);
  const effectful = args.map((_, i) => i).filter((i) => !movable(i));
  const used = effectful.filter((i) => uses[i] > 0);
  const unused = effectful.filter((i) => uses[i] === 0);
  const inPlace =
    used.every((i) => uses[i] === 1 && !captured[i]) &&
    unused.every((u) => used.every((i) => u < i)) &&
    analysis.inOrder(used);

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
        params.push(types.cloneNode(tmp));
        iifeArgs.push(args[i]);
      } else {
        scope.push({ id: tmp });
        prefix.push(types.assignmentExpression('=', types.cloneNode(tmp), args[i]));
      }
    }
  }
  const seen = new Array<number>(args.length).fill(0);
  const body = replaceIdentifiers(types, inline, (name) => {
    const i = placeholderIndex(name);
    if (i === null) return null;
    const v = value[i] as t.Expression;
    // The first use takes the node itself; further uses (stable values and temporaries only) clone it.
    return seen[i]++ === 0 ? v : types.cloneNode(v, true);
  });
  if (iife) return types.callExpression(types.arrowFunctionExpression(params, body), iifeArgs);
  return prefix.length === 0 ? body : types.sequenceExpression([...prefix, body]);
}

/** What substitution needs to know about an inline template, computed once per template. */
export interface InlineAnalysis {
  /** Uses of each placeholder `$i`. */
  readonly uses: ReadonlyMap<number, number>;
  /** Names bound inside the template. */
  readonly declared: ReadonlySet<string>;
  /** Whether the template evaluates these placeholders once each, in order, before any effect (memoised). */
  inOrder(watched: readonly number[]): boolean;
}

const analyses = new WeakMap<t.Expression, InlineAnalysis>();

/**
 * Analyses an inline template once (the plugin keeps templates in memory across files and
 * builds), so that a cache hit only classifies its arguments and copies the template.
 */
export function analyzeInline(template: t.Expression, types: typeof t): InlineAnalysis {
  let a = analyses.get(template);
  if (!a) {
    const uses = new Map<number, number>();
    replaceIdentifiers(types, types.cloneNode(template, true), (name) => {
      const i = placeholderIndex(name);
      if (i !== null) uses.set(i, (uses.get(i) ?? 0) + 1);
      return null;
    });
    const order = new Map<string, boolean>();
    a = {
      uses,
      declared: declaredNames(template, types),
      inOrder(watched) {
        const key = watched.join(',');
        let r = order.get(key);
        if (r === undefined) order.set(key, (r = evaluatesInOrder(template, new Set(watched), types)));
        return r;
      },
    };
    analyses.set(template, a);
  }
  return a;
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
export function declaredNames(node: t.Node, types: typeof t): Set<string> {
  const names = new Set<string>();
  types.traverseFast(node, (n) => {
    if (types.isFunction(n) || types.isVariableDeclarator(n) || types.isCatchClause(n) || types.isClass(n)) {
      const bound = types.isFunction(n) ? [...n.params, ...(types.isFunctionExpression(n) && n.id ? [n.id] : [])] : types.isCatchClause(n) ? (n.param ? [n.param] : []) : [n.id];
      for (const b of bound) if (b) for (const name of Object.keys(types.getBindingIdentifiers(b as t.Node))) names.add(name);
    }
  });
  return names;
}

function mentions(node: t.Node, names: ReadonlySet<string>, types: typeof t): boolean {
  let found = false;
  types.traverseFast(node, (n) => {
    if (n.type === 'Identifier' && names.has(n.name)) found = true;
  });
  return found;
}
