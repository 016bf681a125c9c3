/**
 * Hygiene: free identifiers in expansion code (`String`, `Math`, `JSON`…) mean the globals the
 * macro author meant, whatever the call site binds. Expansions are shared across files and call
 * sites, so the code cannot adapt to each site; instead a local binding that would capture one
 * of its free names is renamed (`scope.rename`, as Babel does for its helpers), together with
 * every reference to it, before the expansion is spliced in.
 * @packageDocumentation
 */
import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import { HOISTED, placeholderIndex, type ExpansionTemplate } from './expansion';
import { declaredNames } from './substitute';

const memo = new WeakMap<t.Expression, readonly string[]>();

/**
 * Names `code` refers to without binding them, placeholders and helper identifiers excepted
 * (memoised per template). A name bound anywhere in the code counts as bound (conservative).
 */
export function freeNames(code: t.Expression, template: ExpansionTemplate, types: typeof t): readonly string[] {
  let names = memo.get(code);
  if (!names) {
    const declared = declaredNames(code, types);
    const helpers = new Set(template.helpers.map((h) => h.placeholder));
    const out = new Set<string>();
    const walk = (node: t.Node, parent: t.Node | undefined, grand: t.Node | undefined): void => {
      if (node.type === 'Identifier' && (!parent || types.isReferenced(node, parent, grand))) out.add(node.name);
      for (const key of types.VISITOR_KEYS[node.type] ?? []) {
        const value = (node as unknown as Record<string, unknown>)[key];
        for (const child of Array.isArray(value) ? value : [value]) {
          if (child && typeof (child as t.Node).type === 'string') walk(child as t.Node, node, parent);
        }
      }
    };
    walk(code, undefined, undefined);
    names = [...out].filter((n) => !declared.has(n) && n !== HOISTED && placeholderIndex(n) === null && !helpers.has(n));
    memo.set(code, names);
  }
  return names;
}

/**
 * Renames the bindings that would capture a free name of the expansion at `site`: for inline
 * code, any binding visible there; for hoisted code (placed at the top of the program), a
 * program-level one. `isMacro` tells whether a free name stands for a macro (a macro import's
 * binding, or an export of the expanding macro's module): an expansion naming one cannot work
 * (macro imports are removed), so `onMacro` is called for it instead (it throws).
 */
export function protectFreeNames(
  site: NodePath,
  program: NodePath<t.Program>,
  template: ExpansionTemplate,
  isMacro: (name: string, binding: { path: NodePath } | undefined) => boolean,
  onMacro: (name: string) => never,
  /** The running Babel core's types (the template's nodes are of its shapes). */
  types: typeof t,
): void {
  const check = (code: t.Expression | null, scope: NodePath['scope']) => {
    if (!code) return;
    for (const name of freeNames(code, template, types)) {
      const binding = scope.getBinding(name);
      if (isMacro(name, binding)) onMacro(name);
      binding?.scope.rename(name);
    }
  };
  check(template.inline, site.scope);
  check(template.hoist, program.scope);
}
