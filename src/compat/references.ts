/**
 * The declarations that bring in a babel-plugin-macros macro, and the `references` argument
 * built from them, as babel-plugin-macros 3.1 builds it: `import` declarations and
 * `const x = require('…macro')` / `const { a, b: c } = require('…macro')` declarators, with
 * `references[importedName]` = the binding's reference paths.
 *
 * Beyond babel-plugin-macros: a namespace import (`import * as m`), on which it crashes, gives
 * each `m.name` member expression as a reference under `name` (so `ref.parentPath` is the call,
 * as for a named import); a name imported twice keeps both bindings' references.
 */
import type { NodePath } from '@babel/traverse';
import * as t from '@babel/types';

/** One import or `require` declaration of a macro module. */
export interface MacroDeclaration {
  readonly source: string;
  /** Where errors about this declaration point: the import declaration or the `require` call. */
  readonly at: NodePath;
  /** Removed after the macro ran, unless it returned `{ keepImports: true }`. */
  readonly declaration: NodePath;
  readonly bindings: ReadonlyArray<{ readonly localName: string; readonly importedName: string | null }>;
}

/** An import declaration; `importedName` null marks a namespace import. */
export function importDeclaration(decl: NodePath<t.ImportDeclaration>): MacroDeclaration {
  const bindings = decl.node.specifiers.map((s) => ({
    localName: s.local.name,
    importedName: t.isImportDefaultSpecifier(s)
      ? 'default'
      : t.isImportNamespaceSpecifier(s)
        ? null
        : t.isIdentifier(s.imported)
          ? s.imported.name
          : s.imported.value,
  }));
  return { source: decl.node.source.value, at: decl, declaration: decl, bindings };
}

/** The source of `x = require('…')` when it names a macro module (babel-plugin-macros' test), else null. */
export function requiredMacroSource(declarator: NodePath<t.VariableDeclarator>, isMacroSource: (s: string) => boolean): string | null {
  const init = declarator.node.init;
  if (!t.isCallExpression(init) || !t.isIdentifier(init.callee, { name: 'require' }) || init.arguments.length !== 1) return null;
  const arg = init.arguments[0];
  return t.isStringLiteral(arg) && isMacroSource(arg.value) ? arg.value : null;
}

/** A `require` declarator (see {@link requiredMacroSource}); unsupported patterns are code-framed errors. */
export function requireDeclaration(declarator: NodePath<t.VariableDeclarator>, source: string): MacroDeclaration {
  const id = declarator.node.id;
  const at = declarator.get('init') as NodePath<t.CallExpression>;
  if (t.isIdentifier(id)) return { source, at, declaration: declarator, bindings: [{ localName: id.name, importedName: 'default' }] };
  const unsupported = () =>
    declarator.get('id').buildCodeFrameError(
      `Only \`const name = require('${source}')\` and \`const { a, b: c } = require('${source}')\` can load a macro.`,
    );
  if (!t.isObjectPattern(id)) throw unsupported();
  const bindings = id.properties.map((p) => {
    if (!t.isObjectProperty(p) || p.computed || !t.isIdentifier(p.value)) throw unsupported();
    const key = t.isIdentifier(p.key) ? p.key.name : t.isStringLiteral(p.key) ? p.key.value : null;
    if (key === null) throw unsupported();
    return { localName: p.value.name, importedName: key };
  });
  return { source, at, declaration: declarator, bindings };
}

/** The `references` argument for one declaration, and how many references it holds. */
export function collectReferences(decl: MacroDeclaration): { references: Record<string, NodePath[]>; count: number } {
  const references: Record<string, NodePath[]> = {};
  const add = (name: string, paths: NodePath[]) => {
    // The binding's own array when there is one binding per name, as babel-plugin-macros passes it.
    references[name] = references[name] ? [...references[name], ...paths] : paths;
  };
  let count = 0;
  for (const { localName, importedName } of decl.bindings) {
    const binding = decl.at.scope.getBinding(localName);
    if (!binding) continue;
    if (importedName !== null) {
      add(importedName, binding.referencePaths);
      count += binding.referencePaths.length;
      continue;
    }
    for (const ref of binding.referencePaths) {
      const member = ref.parentPath;
      const name =
        member?.isMemberExpression() && member.node.object === ref.node
          ? !member.node.computed && t.isIdentifier(member.node.property)
            ? member.node.property.name
            : t.isStringLiteral(member.node.property)
              ? member.node.property.value
              : null
          : null;
      if (name === null) {
        throw ref.buildCodeFrameError(
          `The macro namespace "${localName}" from '${decl.source}' can only be used as ${localName}.name: each member is passed to the macro as a reference to "name".`,
        );
      }
      add(name, [member as NodePath]);
      count++;
    }
  }
  return { references, count };
}
