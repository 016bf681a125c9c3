/**
 * Finding macro imports and their call sites in one file. Every reference to a macro binding
 * must be a call (`m(a)`, `ns.m(a)`) or a tag (m`…`); anything else is a code-framed error.
 */
import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';

/** One call site of a macro binding. */
export interface CallSite {
  /** The node replaced by the expansion: the call or tagged template. */
  readonly path: NodePath<t.CallExpression | t.TaggedTemplateExpression>;
  /** Import source and imported name (`default`, a named export, or the member of a namespace). */
  readonly source: string;
  readonly importedName: string;
  /** The name as written at the call site (`printf`, `fmt.printf`), for messages and binding names. */
  readonly displayName: string;
  /** Argument paths (for calls) — for tagged templates the quasi. */
  readonly argPaths: NodePath[];
  readonly tagged: boolean;
}

/** A macro import declaration and the call sites of its bindings. */
export interface MacroImport {
  readonly path: NodePath<t.ImportDeclaration>;
  readonly source: string;
  readonly sites: CallSite[];
}

/** Collects the call sites of every binding imported by `decl`. */
export function collectSites(decl: NodePath<t.ImportDeclaration>): MacroImport {
  const source = decl.node.source.value;
  const sites: CallSite[] = [];
  if (decl.node.importKind === 'type') return { path: decl, source, sites };
  for (const spec of decl.get('specifiers')) {
    if (spec.isImportSpecifier() && spec.node.importKind === 'type') continue;
    const local = spec.node.local.name;
    const binding = decl.scope.getBinding(local);
    if (!binding) continue;
    for (const ref of binding.referencePaths) {
      if (spec.isImportNamespaceSpecifier()) {
        sites.push(namespaceSite(ref, source, local));
      } else {
        const imported = spec.isImportDefaultSpecifier()
          ? 'default'
          : (spec.node as t.ImportSpecifier).imported.type === 'Identifier'
            ? ((spec.node as t.ImportSpecifier).imported as t.Identifier).name
            : ((spec.node as t.ImportSpecifier).imported as t.StringLiteral).value;
        sites.push(directSite(ref, ref, source, imported, local));
      }
    }
  }
  return { path: decl, source, sites };
}

function namespaceSite(ref: NodePath, source: string, local: string): CallSite {
  const member = ref.parentPath;
  if (member?.isMemberExpression() && member.node.object === ref.node) {
    const prop = member.node.property;
    const name = !member.node.computed && prop.type === 'Identifier' ? prop.name : prop.type === 'StringLiteral' ? prop.value : null;
    if (name !== null) return directSite(member, ref, source, name, `${local}.${name}`);
  }
  throw ref.buildCodeFrameError(
    `The macro namespace "${local}" from '${source}' can only be used as ${local}.name(…) or ${local}.name\`…\`.`,
  );
}

function directSite(callee: NodePath, ref: NodePath, source: string, importedName: string, displayName: string): CallSite {
  const parent = callee.parentPath;
  if (parent?.isCallExpression() && parent.node.callee === callee.node) {
    const args = parent.get('arguments');
    for (const a of args) {
      if (a.isSpreadElement()) throw a.buildCodeFrameError(`Spread arguments cannot be passed to the macro ${displayName}(): its signature must be known at build time.`);
      if (!a.isExpression()) throw a.buildCodeFrameError(`Unsupported argument to the macro ${displayName}().`);
    }
    return { path: parent, source, importedName, displayName, argPaths: args, tagged: false };
  }
  if (parent?.isTaggedTemplateExpression() && parent.node.tag === callee.node) {
    for (const q of parent.node.quasi.quasis) {
      if (q.value.cooked == null) throw parent.buildCodeFrameError(`The template passed to the macro ${displayName} has an invalid escape sequence.`);
    }
    return { path: parent, source, importedName, displayName, argPaths: [parent.get('quasi')], tagged: true };
  }
  const how = parent?.isNewExpression()
    ? `cannot be constructed with new`
    : parent?.isOptionalCallExpression()
      ? 'cannot be called optionally (?.())'
      : 'can only be called: it is expanded at build time and does not exist at run time, so it cannot be passed around as a value';
  throw ref.buildCodeFrameError(`The macro ${displayName} from '${source}' ${how}.`);
}

/** The argument expressions at a call site (tagged templates become `[strings], ...values`, built with the running core's `types`). */
export function siteArguments(site: CallSite, types: typeof t): t.Expression[] {
  // Read the arguments from the call node: an inner macro call among them may have been
  // replaced in place since the paths were collected.
  if (!site.tagged) return (site.path.node as t.CallExpression).arguments as t.Expression[];
  const quasi = (site.path.node as t.TaggedTemplateExpression).quasi;
  return [
    types.arrayExpression(quasi.quasis.map((q) => types.stringLiteral(q.value.cooked as string))),
    ...(quasi.expressions as t.Expression[]),
  ];
}
