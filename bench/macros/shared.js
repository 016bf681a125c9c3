'use strict';
/**
 * What both babel-plugin-macros ports share: where the example macros' compile modules live,
 * the argument typing, a generate context, and splicing an expansion into the call site.
 *
 * Fairness notes (see bench/README.md):
 * - The ports call the SAME compile functions as examples/packages/*: parse/emit for printf,
 *   normalize/simplify/codegen/optimize/defaults for schema. They require those modules from
 *   BENCH_MACRO_PACKAGES (the bench's copy of examples/packages, identical to what the
 *   cached-macros side loads), falling back to examples/packages.
 * - Argument types come from the plugin's own `inferArgType` (dist/signature), so that both
 *   sides hand the compile functions exactly the same input and emit the same code. A typical
 *   babel-plugin-macros author would use `path.evaluate()` instead: similar cost, and less exact.
 * - Like any babel-plugin-macros macro, nothing is memoised: every call site is compiled.
 *   Each compiled expansion is spliced the way a typical author does it: `$0…$n` replaced by
 *   the argument nodes, a `hoist` emitted as a module-level const (one per call site) and
 *   helper imports added once per file.
 */
const fs = require('fs');
const path = require('path');
const { parseExpression } = require('@babel/parser');
const t = require('@babel/types');

const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGES = process.env.BENCH_MACRO_PACKAGES || path.join(ROOT, 'examples', 'packages');
const PLUGIN = process.env.BENCH_PLUGIN || ROOT;
const { inferArgType, tagArgTypes, applyConstArgs, makeSignature } = require(path.join(PLUGIN, 'dist', 'signature'));

/** Requires a module of an example macro package (`pkg/file`). */
function example(rel) {
  return require(path.join(PACKAGES, rel));
}

/** Compile counters, read by bench/child.js. */
const counters = (globalThis.__benchMacroCounters ??= { compiles: {}, compileMs: 0 });

function count(name, ms) {
  counters.compiles[name] = (counters.compiles[name] ?? 0) + 1;
  counters.compileMs += ms;
}

/** The signature of a call site (same inference as the cached-macros plugin). */
function signatureOf(callPath, tagged, constArgs) {
  const args = tagged ? tagArgTypes(callPath.get('quasi')) : callPath.get('arguments').map((a) => inferArgType(a));
  return makeSignature(applyConstArgs(args, constArgs));
}

/** The argument nodes of a call site (a tagged template passes its strings first). */
function argumentNodes(callPath, tagged) {
  if (!tagged) return callPath.node.arguments;
  const quasi = callPath.node.quasi;
  return [t.arrayExpression(quasi.quasis.map((q) => t.stringLiteral(q.value.cooked))), ...quasi.expressions];
}

/**
 * A GenerateContext for the compile functions: readFile/env read directly (nothing is recorded:
 * babel-plugin-macros has no cache to invalidate), error throws a MacroError, helper adds an
 * import once per file.
 */
class Context {
  constructor(MacroError, file) {
    this.MacroError = MacroError;
    this.file = file;
    this.helpers = [];
  }
  readFile(p) {
    return fs.readFileSync(p, 'utf8');
  }
  dependsOnFile() {}
  env(name) {
    return process.env[name];
  }
  error(message) {
    throw new this.MacroError(message);
  }
  helper(source, name) {
    const placeholder = `$helper_${name}`;
    if (!this.helpers.some((h) => h.placeholder === placeholder)) this.helpers.push({ placeholder, source, name });
    return placeholder;
  }
}

/** Per-file state: helper imports already added, hoisted declarations to insert. */
function fileState(state) {
  return (state.file.__benchMacros ??= { helperIds: new Map(), imports: [], hoisted: [] });
}

/** Replaces identifiers named in `map` (a function name → node) inside `root`; returns the new root. */
function substitute(root, lookup) {
  if (root.type === 'Identifier') return lookup(root.name) ?? root;
  const walk = (node, parent) => {
    for (const key of t.VISITOR_KEYS[node.type] ?? []) {
      const value = node[key];
      const list = Array.isArray(value) ? value : [value];
      list.forEach((child, i) => {
        if (!child || typeof child.type !== 'string') return;
        if (child.type === 'Identifier' && t.isReferenced(child, node, parent)) {
          const r = lookup(child.name);
          if (r) {
            if (Array.isArray(value)) value[i] = r;
            else node[key] = r;
            return;
          }
        }
        walk(child, node);
      });
    }
  };
  walk(root, undefined);
  return root;
}

/** Splices one compiled expansion `{ hoist?, inline }` (code strings) into the call site. */
function splice(callPath, tagged, expansion, ctx, state) {
  const fs_ = fileState(state);
  const program = state.file.path;
  const helperId = (h) => {
    let id = fs_.helperIds.get(h.placeholder);
    if (!id) {
      id = program.scope.generateUidIdentifier(h.name);
      fs_.helperIds.set(h.placeholder, id);
      fs_.imports.push(t.importDeclaration([t.importSpecifier(id, t.identifier(h.name))], t.stringLiteral(h.source)));
    }
    return t.identifier(id.name);
  };
  const helperOf = (name) => {
    const h = ctx.helpers.find((x) => x.placeholder === name);
    return h ? helperId(h) : null;
  };
  let hoistedId = null;
  if (expansion.hoist) {
    hoistedId = program.scope.generateUidIdentifier('macro');
    const init = substitute(parseExpression(expansion.hoist), helperOf);
    fs_.hoisted.push(t.variableDeclaration('const', [t.variableDeclarator(hoistedId, init)]));
  }
  const args = argumentNodes(callPath, tagged);
  const used = new Set();
  const inline = substitute(parseExpression(expansion.inline), (name) => {
    if (name === '$hoisted') return t.identifier(hoistedId.name);
    const m = /^\$(\d+)$/.exec(name);
    if (m) {
      const i = Number(m[1]);
      const node = used.has(i) ? t.cloneNode(args[i], true) : args[i];
      used.add(i);
      return node;
    }
    return helperOf(name);
  });
  callPath.replaceWith(inline);
}

/** Inserts the file's helper imports and hoisted consts once all call sites of a macro import are done. */
function finish(state) {
  const fs_ = fileState(state);
  const statements = [...fs_.imports, ...fs_.hoisted];
  fs_.imports = [];
  fs_.hoisted = [];
  if (statements.length === 0) return;
  const program = state.file.path;
  const body = program.get('body');
  const lastImport = [...body].reverse().find((p) => p.isImportDeclaration());
  if (lastImport) lastImport.insertAfter(statements);
  else program.unshiftContainer('body', statements);
}

/** Runs `fn` for every call site (call or tag) of the references of one imported name. */
function forEachCall(paths, name, fn) {
  for (const ref of paths ?? []) {
    const parent = ref.parentPath;
    if (parent.isCallExpression() && parent.node.callee === ref.node) fn(parent, false);
    else if (parent.isTaggedTemplateExpression() && parent.node.tag === ref.node) fn(parent, true);
    else throw parent.buildCodeFrameError(`${name} can only be called`);
  }
}

module.exports = { example, count, signatureOf, Context, splice, finish, forEachCall };
