/**
 * Babel 7 and 8 (issue 11): the suites run on whichever core CACHED_MACROS_TEST_BABEL names
 * (.ci/run runs them on both); these check that the core in use is that one, and that what the
 * plugin splices into a tree has the running core's node shapes.
 */
import { spawnSync } from 'child_process';
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

test('the published .d.ts check with tsc, without skipLibCheck, in a project that installs only the declared dependencies (and the Babel core under test)', () => {
  const ROOT = path.resolve(__dirname, '..');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-types-'));
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const own = path.join(dir, 'node_modules', 'babel-plugin-cached-macros');
    fs.mkdirSync(own, { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(own, 'package.json'));
    fs.cpSync(path.join(ROOT, 'dist'), path.join(own, 'dist'), { recursive: true });
    // What npm would install beside it: its dependencies, the peer @babel/core, and the consumer's @types/node.
    // @babel/core: the one under test (Babel 8 ships its own types, under other names than @types/babel__core's).
    const core = process.env.CACHED_MACROS_TEST_BABEL ? path.resolve(process.env.CACHED_MACROS_TEST_BABEL) : path.join(ROOT, 'node_modules', '@babel/core');
    for (const name of [...Object.keys(pkg.dependencies), '@babel/core', '@types/node']) {
      const target = path.join(dir, 'node_modules', name);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.symlinkSync(name === '@babel/core' ? core : path.join(ROOT, 'node_modules', name), target, 'dir');
    }
    fs.writeFileSync(
      path.join(dir, 'index.ts'),
      `import plugin, { CachedGenerator, type Signature } from 'babel-plugin-cached-macros';\nimport { expand } from 'babel-plugin-cached-macros/testing';\n` +
        `export class M extends CachedGenerator { generate(sig: Signature) { return { inline: String(sig.args.length) }; } }\nexport const p = plugin;\nexport const e = expand;\n`,
    );
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', noEmit: true, skipLibCheck: false, types: ['node'] }, files: ['index.ts'] }),
    );
    const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
