/**
 * The plugin's fast path for files without macros (`mayUseMacros`): it may say "maybe" for a
 * file without macros (a string in a comment), never "no" for a file that uses one.
 */
import * as babel from '@babel/core';
import traverse from '@babel/traverse';
import fc from 'fast-check';
import type * as t from '@babel/types';
import { mayUseMacros } from '../src/expand/import-sources';
import { expand } from '../src/testing';

const isMacro = (s: string) => /[./]macro$/.test(s);

function parse(code: string): t.File {
  return babel.parseSync(code, { configFile: false, babelrc: false, sourceType: 'module' }) as t.File;
}

/** What the full pipeline would treat as a macro use: an import, a re-export, or a `require` of a string literal naming a macro. */
function usesMacro(ast: t.File): boolean {
  let found = false;
  traverse(ast, {
    ImportDeclaration(p) {
      if (isMacro(p.node.source.value)) found = true;
    },
    ExportNamedDeclaration(p) {
      if (p.node.source && isMacro(p.node.source.value)) found = true;
    },
    ExportAllDeclaration(p) {
      if (isMacro(p.node.source.value)) found = true;
    },
    CallExpression(p) {
      const [arg] = p.node.arguments;
      if (p.get('callee').isIdentifier({ name: 'require' }) && arg?.type === 'StringLiteral' && isMacro(arg.value)) found = true;
    },
  });
  return found;
}

const source = fc.constantFrom('lodash', 'x.macro', 'printf.macro', 'a/macro', 'macro-ish', './local', 'x.macro/runtime');
const quoted = fc.tuple(source, fc.constantFrom("'", '"'), fc.boolean()).map(([s, q, escape]) => `${q}${escape ? s.replace('.', '\\x2e') : s}${q}`);
/** A statement, as a function of a number that makes its bindings unique in the file. */
const statement: fc.Arbitrary<(i: number) => string> = fc.oneof(
  quoted.map((s) => (i: number) => `import a${i} from ${s};`),
  quoted.map((s) => (i: number) => `export { b as b${i} } from ${s};`),
  quoted.map((s) => () => `export * from ${s};`),
  quoted.map((s) => (i: number) => `const r${i} = require(${s});`),
  quoted.map((s) => (i: number) => `const r${i} = require (\n  ${s});`),
  quoted.map((s) => () => `// require(${s})`),
  quoted.map((s) => (i: number) => `const s${i} = ${s};`),
  fc.constant((i: number) => `function f${i}(x) { return x + 1; }`),
  fc.constant(() => 'if (a) { b(require); }'),
);

describe('mayUseMacros', () => {
  test('property: never "no" for a file that imports, re-exports or requires a macro', () => {
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 8 }), (statements) => {
        const code = statements.map((s, i) => s(i)).join('\n');
        const ast = parse(code);
        if (usesMacro(ast)) expect(mayUseMacros(ast.program, code, isMacro, true)).toBe(true);
      }),
    );
  });

  test('"no" for ordinary files, whatever they import or require', () => {
    const code = "import React from 'react';\nconst fs = require('fs');\nexport { x } from './x';\nfs.readFileSync('a.macro');\n";
    expect(mayUseMacros(parse(code).program, code, isMacro, true)).toBe(false);
  });

  test('without the compat pass, requires are not looked at; unknown source text counts as a possible use', () => {
    const code = "const m = require('x.macro');\n";
    const program = parse(code).program;
    expect(mayUseMacros(program, code, isMacro, false)).toBe(false);
    expect(mayUseMacros(program, undefined, isMacro, true)).toBe(true);
    const plain = parse('const a = 1;').program;
    expect(mayUseMacros(plain, undefined, isMacro, true)).toBe(true);
  });

  test('the plugin leaves a file without macros exactly as Babel alone prints it, with no report', () => {
    const code = "import fs from 'fs';\nconst path = require('path');\nexport const read = (f) => fs.readFileSync(path.resolve(f), 'utf8');\n";
    const plain = babel.transformSync(code, { configFile: false, babelrc: false, filename: 'plain.js' });
    const result = expand(code, { filename: 'plain.js' });
    expect(result.code).toBe(plain?.code);
    expect(result.report).toBeNull();
  });
});
