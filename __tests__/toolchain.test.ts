/**
 * Babel 7 and 8 (issue 11): the suites run on whichever core CACHED_MACROS_TEST_BABEL names
 * (.ci/run runs them on both); these check that the core in use is that one, and that what the
 * plugin splices into a tree has the running core's node shapes.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { PluginObj } from '@babel/core';
import { expand, testBabel } from '../src/testing';

const DIST = path.resolve(__dirname, '..', 'dist', 'index.js');

test('the helpers run the Babel core named by CACHED_MACROS_TEST_BABEL (else the root one)', () => {
  const chosen = process.env.CACHED_MACROS_TEST_BABEL;
  const pkg = path.join(chosen ? path.resolve(chosen) : path.dirname(require.resolve('@babel/core/package.json')), 'package.json');
  expect(testBabel().core.version).toBe((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version);
});

test("an expansion's nodes have the running core's shapes: import() as the user's own import() parses", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-toolchain-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'lazy.macro.js'),
      `const { Generator } = require(${JSON.stringify(DIST)});\nmodule.exports = class extends Generator { generate() { return { inline: 'import("./x.js")' }; } };\n`,
    );
    const shapes: string[] = [];
    const record = (): PluginObj => ({
      visitor: {
        CallExpression(p) {
          if (p.node.callee.type === 'Import') shapes.push('CallExpression(Import)');
        },
        ImportExpression() {
          shapes.push('ImportExpression');
        },
      } as PluginObj['visitor'],
    });
    const { code } = expand(`import lazy from './lazy.macro';\nexport const a = lazy();\nexport const b = import("./x.js");\n`, {
      filename: path.join(dir, 'input.js'),
      babel: { plugins: [record] },
    });
    expect(code).toContain('const a = import("./x.js")');
    expect(shapes).toHaveLength(2);
    expect(shapes[0]).toBe(shapes[1]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
