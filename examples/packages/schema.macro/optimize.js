'use strict';
/**
 * A small optimisation pass over the generated validator source, on a Babel AST:
 *
 * - folds string concatenations, also through `+`'s left associativity
 *   (`p + "[" + i + "]" + ".sku"` → `p + "[" + i + "].sku"`);
 * - drops `+ ""` from expressions that are already strings;
 * - removes `if (true)` / `if (false)` (codegen writes options such as strict mode that way),
 *   and empty `else {}` blocks, and turns `else { if … }` into `else if …`;
 * - after `if (c) { …; return false; } else { B }` drops the `else`, so guards read as a flat
 *   sequence of early returns;
 * - removes closure constants and helper functions nobody references;
 * - turns `(() => { return f; })()` into `f` when the closure ends up empty.
 *
 * Parsing also proves the generated code is syntactically valid before it is stored and
 * shared, and printing gives every validator the same layout.
 */
const { parse } = require('@babel/parser');
const traverse = require('@babel/traverse').default;
const generate = require('@babel/generator').default;
const t = require('@babel/types');

/** True when `statement` can never complete normally (ends in return or throw). */
function alwaysExits(statement) {
  if (t.isReturnStatement(statement) || t.isThrowStatement(statement)) return true;
  if (t.isBlockStatement(statement)) return statement.body.length > 0 && alwaysExits(statement.body[statement.body.length - 1]);
  if (t.isIfStatement(statement)) return !!statement.alternate && alwaysExits(statement.consequent) && alwaysExits(statement.alternate);
  return false;
}

/** True when `node` certainly evaluates to a string. */
function isString(node) {
  if (t.isStringLiteral(node) || t.isTemplateLiteral(node)) return true;
  return t.isBinaryExpression(node, { operator: '+' }) && (isString(node.left) || isString(node.right));
}

/** A closure-level declaration that may be dropped when unused (no side effects to keep). */
function isDroppable(statement) {
  if (t.isFunctionDeclaration(statement)) return true;
  if (!t.isVariableDeclaration(statement) || statement.declarations.length !== 1) return false;
  const { init } = statement.declarations[0];
  if (!init || t.isLiteral(init)) return true;
  // new Set([...literals]): Set is the global here (codegen declares no binding of that name).
  return (
    t.isNewExpression(init) &&
    t.isIdentifier(init.callee, { name: 'Set' }) &&
    init.arguments.every((a) => t.isArrayExpression(a) && a.elements.every((e) => t.isLiteral(e)))
  );
}

/** Name declared by a closure-level statement. */
const declaredName = (statement) => (t.isFunctionDeclaration(statement) ? statement.id.name : statement.declarations[0].id.name);

const simplifier = {
  BinaryExpression: {
    exit(path) {
      const { node } = path;
      if (node.operator !== '+') return;
      // x + "" and "" + x are x when x is already a string.
      if (t.isStringLiteral(node.right, { value: '' }) && isString(node.left)) {
        path.replaceWith(node.left);
      } else if (t.isStringLiteral(node.left, { value: '' }) && isString(node.right)) {
        path.replaceWith(node.right);
      } else if (!t.isStringLiteral(node.right)) {
        // nothing to fold
      } else if (t.isStringLiteral(node.left)) {
        path.replaceWith(t.stringLiteral(node.left.value + node.right.value));
      } else if (t.isBinaryExpression(node.left, { operator: '+' }) && t.isStringLiteral(node.left.right)) {
        // (x + "a") + "b": x + "a" is a string whatever x is, so this is x + "ab".
        node.left.right = t.stringLiteral(node.left.right.value + node.right.value);
        path.replaceWith(node.left);
      }
    },
  },
  IfStatement: {
    exit(path) {
      const { node } = path;
      if (t.isBooleanLiteral(node.test)) {
        const taken = node.test.value ? node.consequent : node.alternate;
        if (!taken) path.remove();
        else if (t.isBlockStatement(taken)) path.replaceWithMultiple(taken.body);
        else path.replaceWith(taken);
        return;
      }
      if (t.isBlockStatement(node.alternate) && node.alternate.body.length === 0) node.alternate = null;
      // else { if (…) … } → else if (…) …
      if (t.isBlockStatement(node.alternate) && node.alternate.body.length === 1 && t.isIfStatement(node.alternate.body[0])) {
        node.alternate = node.alternate.body[0];
      }
      if (node.alternate && path.inList && alwaysExits(node.consequent)) {
        const rest = t.isBlockStatement(node.alternate) ? node.alternate.body : [node.alternate];
        node.alternate = null;
        if (rest.length > 0) path.insertAfter(rest);
      }
    },
  },
};

/**
 * Removes the closure's unreferenced constants and helper functions, repeatedly (dropping a
 * sub-guard may orphan the constants it used). Codegen gives every binding a unique name, so
 * counting identifiers by name is exact here, and much cheaper than a Babel scope crawl.
 *
 * @param {object[]} body the statements of the closure
 */
function removeUnused(body) {
  for (let changed = true; changed; ) {
    changed = false;
    const uses = new Map();
    for (const statement of body) {
      t.traverseFast(statement, (node) => {
        if (t.isIdentifier(node)) uses.set(node.name, (uses.get(node.name) ?? 0) + 1);
      });
    }
    for (let i = body.length - 1; i >= 0; i--) {
      // One use is the declaration itself.
      if (isDroppable(body[i]) && uses.get(declaredName(body[i])) === 1) {
        body.splice(i, 1);
        changed = true;
      }
    }
  }
}

/** `(() => { return x; })()` → `x`. */
function unwrapEmptyClosure(expression) {
  if (
    t.isCallExpression(expression) &&
    expression.arguments.length === 0 &&
    t.isArrowFunctionExpression(expression.callee) &&
    t.isBlockStatement(expression.callee.body) &&
    expression.callee.body.body.length === 1 &&
    t.isReturnStatement(expression.callee.body.body[0])
  ) {
    return expression.callee.body.body[0].argument;
  }
  return expression;
}

/**
 * Optimises and reprints the source of one function expression.
 * @param {string} source an expression
 * @returns {string} the same expression, simplified
 * @throws {SyntaxError} if codegen produced invalid code (a bug in this package)
 */
function optimize(source) {
  const ast = parse(`(${source});`, { sourceType: 'script' });
  // No scope tracking: the rules above are syntactic, and building scopes would cost more
  // than the rest of the pass.
  traverse(ast, { noScope: true, ...simplifier });
  let expression = ast.program.body[0].expression;
  if (t.isCallExpression(expression) && t.isArrowFunctionExpression(expression.callee) && t.isBlockStatement(expression.callee.body)) {
    removeUnused(expression.callee.body.body);
    expression = unwrapEmptyClosure(expression);
  }
  return generate(expression, { comments: false, jsescOption: { minimal: true } }).code;
}

module.exports = { optimize };
