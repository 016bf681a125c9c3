/**
 * Splicing an expansion into a file: hoisted bindings, helper imports, and call-site rewriting
 * (the `$0…$n` placeholders are substituted by {@link substituteArgs}).
 */
import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import { HOISTED, type ExpansionTemplate } from './expansion';
import { analyzeInline, replaceIdentifiers, substituteArgs } from './substitute';
import type { HelperImport } from '../api/types';

/** Per-file splice state: helper imports and hoisted bindings added so far. */
export class FileSplicer {
  private readonly helperIds = new Map<string, t.Identifier>();
  private readonly imports: t.Statement[] = [];
  private readonly hoisted: t.Statement[] = [];

  /** `types`: the running core's, for every node made here (see babel-runtime.ts). */
  constructor(
    private readonly program: NodePath<t.Program>,
    private readonly types: typeof t,
  ) {}

  /** Emits `const <name> = <hoist>` once for a group and returns its identifier. */
  hoist(template: ExpansionTemplate, nameHint: string, loc: t.SourceLocation | null | undefined): t.Identifier | null {
    if (!template.hoist) return null;
    const id = this.program.scope.generateUidIdentifier(nameHint);
    // Source maps: the hoisted binding (all of it) maps to the first call site that produced it.
    const init = this.instantiate(template.hoist, template.helpers, null, loc);
    const types = this.types;
    const declarator = types.variableDeclarator(id, init);
    const decl = types.variableDeclaration('const', [declarator]);
    // `init` is already placed; only the nodes made around it need a location.
    if (loc) {
      const { point, unnamed } = points(loc);
      decl.loc = declarator.loc = point;
      id.loc ??= unnamed;
    }
    this.hoisted.push(decl);
    return id;
  }

  /** Rewrites one call site with the group's inline expression. */
  rewrite(site: NodePath, template: ExpansionTemplate, hoistedId: t.Identifier | null, args: readonly t.Expression[]): void {
    const inline = this.instantiate(template.inline, template.helpers, hoistedId);
    const replacement = substituteArgs(inline, args, site, this.types, analyzeInline(template.inline, this.types));
    // Source maps: the created code maps to the call site; the arguments keep their own locations.
    stampLoc(this.types, replacement, site.node.loc);
    // The traversal has not reached the call site yet (the plugin runs on Program entry), so
    // putting the node in place is enough: Babel and later plugins visit it in their normal
    // traversal. path.replaceWith would validate, requeue and re-traverse it (most of the cost
    // of a cache hit).
    const { container, key } = site;
    (container as unknown as Record<string | number, t.Node>)[key as string | number] = replacement;
    site.node = replacement;
  }

  /** Inserts helper imports and hoisted bindings after the file's imports. */
  finish(): void {
    const statements = [...this.imports, ...this.hoisted];
    if (statements.length === 0) return;
    // Straight into the body array, as in rewrite(): the traversal has not entered the body
    // yet, and insertAfter would build a path for every statement of the file first.
    const body = this.program.node.body;
    let at = 0;
    for (let i = 0; i < body.length; i++) if (body[i].type === 'ImportDeclaration') at = i + 1;
    body.splice(at, 0, ...statements);
  }

  private helperId(h: HelperImport): t.Identifier {
    const key = `${h.source}\0${h.name}`;
    let id = this.helperIds.get(key);
    if (!id) {
      id = this.program.scope.generateUidIdentifier(h.name);
      this.helperIds.set(key, id);
      const types = this.types;
      // An ESM import: a later CommonJS transform turns it into a require like any other.
      this.imports.push(
        types.importDeclaration([types.importSpecifier(types.cloneNode(id), types.identifier(h.name))], types.stringLiteral(h.source)),
      );
    }
    return id;
  }

  /** Deep-clones template code, binding `$hoisted` and helper placeholders. */
  private instantiate(
    code: t.Expression,
    helpers: readonly HelperImport[],
    hoistedId: t.Identifier | null,
    loc?: t.SourceLocation | null,
  ): t.Expression {
    const types = this.types;
    const copy = loc ? cloneAt(code, loc) : types.cloneNode(code, true, true);
    // Most hoisted code (a compiled validator, a specialised function) names no placeholder:
    // skip the walk over it, which costs as much as the copy.
    if (!namesPlaceholders(code, types)) return copy;
    const byPlaceholder = new Map(helpers.map((h) => [h.placeholder, h]));
    return replaceIdentifiers(types, copy, (name) => {
      // Without location: the declaration's maps to the first call site, not to this one.
      if (name === HOISTED && hoistedId) return types.cloneNode(hoistedId, false, true);
      const h = byPlaceholder.get(name);
      return h ? types.cloneNode(this.helperId(h), false, true) : null;
    });
  }
}

const namesPlaceholdersMemo = new WeakMap<t.Node, boolean>();

/** Whether template code mentions `$hoisted` or a helper placeholder (memoised per template). */
function namesPlaceholders(code: t.Node, types: typeof t): boolean {
  let r = namesPlaceholdersMemo.get(code);
  if (r === undefined) {
    r = false;
    types.traverseFast(code, (n) => {
      if (n.type === 'Identifier' && (n.name === HOISTED || n.name.startsWith('$helper'))) r = true;
    });
    namesPlaceholdersMemo.set(code, r);
  }
  return r;
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
export function stampLoc(types: typeof t, root: t.Node, site: t.SourceLocation | null | undefined): void {
  if (!site) return;
  const { point, unnamed } = points(site);
  types.traverseFast(root, (n) => {
    if (!n.loc) n.loc = n.type === 'Identifier' ? unnamed : point;
  });
}

function points(site: t.SourceLocation): { point: t.SourceLocation; unnamed: t.SourceLocation } {
  const point: t.SourceLocation = { start: site.start, end: site.start, filename: site.filename, identifierName: undefined };
  return { point, unnamed: { ...point, identifierName: '' } };
}

/**
 * A deep copy of template code with every node placed at `site` (see {@link stampLoc}): one
 * pass instead of `t.cloneNode` and a second walk, which matters for large hoisted code (a
 * compiled validator) copied into every file that uses it. Template code comes from our own
 * parser, so plain data (literal `extra`, template element `value`) is copied shallowly.
 */
function cloneAt<T extends t.Node>(node: T, site: t.SourceLocation): T {
  const { point, unnamed } = points(site);
  const copy = (n: t.Node): t.Node => {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(n)) {
      if (key === 'loc' || key === 'start' || key === 'end' || key === 'range') continue;
      const v = (n as unknown as Record<string, unknown>)[key];
      if (Array.isArray(v)) out[key] = v.map((c) => (c && typeof c === 'object' ? (typeof c.type === 'string' ? copy(c) : { ...c }) : c));
      else if (v && typeof v === 'object') out[key] = typeof (v as t.Node).type === 'string' ? copy(v as t.Node) : { ...v };
      else out[key] = v;
    }
    out.loc = n.type === 'Identifier' ? unnamed : point;
    return out as unknown as t.Node;
  };
  return copy(node) as T;
}
