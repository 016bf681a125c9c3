/**
 * The one way a generator is run (generate/run.ts), shared by builds and `cached-macros verify`,
 * and the one "same expansion" rule both use: the stored form, helpers included.
 */
import { disposeSession } from '../src/build/session';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as babelCore from '@babel/core';
import { babelRuntime } from '../src/build/babel-runtime';
import { defineMacro, loadMacroModule, type MacroDefinition } from '../src/load/macro-loader';
import { makeSignature, parseSignatureKey } from '../src/signature';
import { GeneratorFailure, runGenerator, sameExpansion, type GeneratorRun } from '../src/generate/run';
import { expand } from '../src/testing';
import type { SerializedExpansion } from '../src/api/types';

const DIST = path.resolve(__dirname, '..', 'dist', 'index.js');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-run-generator-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const babel = babelRuntime(babelCore as never);

function macro(name: string, body: string): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, `const { CachedGenerator } = require(${JSON.stringify(DIST)});\nmodule.exports = class extends CachedGenerator {\n  generate(sig, ctx) { ${body} }\n};\n`);
  return file;
}

function definition(file: string): MacroDefinition {
  const def = defineMacro(loadMacroModule(file, root), 'default', babel.major);
  if (!def) throw new Error(`${file} is not a generator`);
  return def;
}

function run(file: string, sigKey = '(number)', overrides: Partial<GeneratorRun> = {}) {
  const def = definition(file);
  return runGenerator({
    def,
    generator: () => new def.cls(),
    sig: makeSignature(parseSignatureKey(sigKey)),
    displayName: 'm',
    filename: undefined,
    root,
    envKey: Buffer.alloc(32, 1),
    babel,
    watchdogMs: null,
    where: 'in a test',
    ...overrides,
  });
}

function failure(f: () => unknown): GeneratorFailure {
  try {
    f();
  } catch (e) {
    if (e instanceof GeneratorFailure) return e;
    throw e;
  }
  throw new Error('expected a GeneratorFailure');
}

describe('sameExpansion: the stored form, field by field', () => {
  const base: SerializedExpansion = { hoist: null, inline: '$helper0_f($0)', helpers: [{ placeholder: '$helper0_f', source: 'lib-a', name: 'f' }] };

  test('equal stored forms are the same', () => {
    expect(sameExpansion(base, { ...base, helpers: base.helpers.map((h) => ({ ...h })) })).toBe(true);
  });

  // The old build-time rule compared the parsed hoist and inline only: these passed it.
  test('the same code importing its helper from another module is a different expansion', () => {
    expect(sameExpansion(base, { ...base, helpers: [{ ...base.helpers[0], source: 'lib-b' }] })).toBe(false);
    expect(sameExpansion(base, { ...base, helpers: [{ ...base.helpers[0], name: 'g' }] })).toBe(false);
    expect(sameExpansion(base, { ...base, helpers: [...base.helpers, { placeholder: '$helper1_g', source: 'lib-a', name: 'g' }] })).toBe(false);
  });

  test('any change to the code is a different expansion, a missing hoist included', () => {
    expect(sameExpansion(base, { ...base, inline: '$helper0_f($0) ' })).toBe(false);
    expect(sameExpansion({ ...base, hoist: 'x => x' }, base)).toBe(false);
    expect(sameExpansion({ ...base, hoist: 'x => x' }, { ...base, hoist: 'x => x' })).toBe(true);
  });
});

describe('runGenerator', () => {
  test('serialises the expansion and records what the generator read, through ctx and plain fs', () => {
    fs.writeFileSync(path.join(root, 'data.txt'), 'hello');
    const file = macro('reads.macro.js', `const a = ctx.readFile('data.txt'); require('fs').existsSync(__dirname + '/absent'); return { inline: JSON.stringify(a + sig.key) };`);
    const out = run(file);
    expect(out.serialized).toEqual({ hoist: null, inline: '"hello(number)"', helpers: [] });
    expect(out.deps.map((d) => (d.kind === 'file' ? d.path : d.kind))).toEqual(['data.txt', 'absent']);
  });

  test('every failure is a GeneratorFailure naming the macro and the signature', () => {
    const threw = failure(() => run(macro('throws.macro.js', `throw new Error('boom');`)));
    expect(threw.message).toMatch(/^The macro m threw while generating the signature \(number\): boom/);
    expect((threw.thrown as Error).message).toBe('boom');
    expect(threw.argIndex).toBeUndefined();

    const named = failure(() => run(macro('ctx-error.macro.js', `ctx.error('not a number', 0);`)));
    expect(named.message).toBe('m: not a number');
    expect(named.argIndex).toBe(0);

    expect(failure(() => run(macro('promise.macro.js', `return Promise.resolve('1');`))).message).toBe(
      'The macro m returned a Promise for (number): generators must be synchronous.',
    );
    expect(failure(() => run(macro('junk.macro.js', `return 42;`))).message).toMatch(
      /^The macro m returned an invalid expansion for the signature \(number\): got /,
    );
    // A throwing constructor is the macro's failure too.
    const def = definition(macro('ctor.macro.js', `return '1';`));
    const ctor = failure(() => run(def.module.file, '(number)', { generator: () => { throw new Error('no instance'); } }));
    expect(ctor.message).toMatch(/threw while generating the signature \(number\): no instance/);
  });
});

describe('verify mode uses the same rule', () => {
  beforeEach(() => {
    disposeSession();
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  test('a generator whose helper import changes between runs is impure, though its code is the same', () => {
    const file = path.join(root, 'helper.macro.js');
    fs.writeFileSync(
      file,
      `const { CachedGenerator } = require(${JSON.stringify(DIST)});\nlet n = 0;\n` +
        `module.exports = class extends CachedGenerator { generate(sig, ctx) { n++; return { inline: ctx.helper(n === 1 ? 'lib-a' : 'lib-b', 'f') + '()' }; } };\n`,
    );
    const cacheDir = path.join(root, 'verify-cache');
    const filename = path.join(root, 'input.js');
    const code = `import m from './helper.macro';\nexport const v = m();\n`;
    expect(expand(code, { filename, pluginOptions: { store: 'fs', cacheDir } }).code).toContain('lib-a');
    expect(() => expand(code, { filename, pluginOptions: { store: 'fs', cacheDir, verify: true } })).toThrow(
      /The macro m is impure: re-running it for the signature \(\) produced a different expansion/,
    );
  });
});
