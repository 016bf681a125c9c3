/**
 * babel-plugin-macros compatibility (issue 4, point 1): `createMacro` macros — real registry
 * packages (ms.macro, preval.macro) and local ones in fixtures/compat/macros — run unchanged,
 * and the same input gives the same output under babel-plugin-macros 3.1 and under this plugin.
 * Also: config files, errors, the mixed-file report, and that nothing of theirs is stored.
 *
 * Generator macros in fixtures/macros `require('babel-plugin-cached-macros')` (dist/): run
 * `npx tsc -p .` before this suite.
 */
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import * as babel from '@babel/core';
import { disposeSession } from '../src/build/session';
import plugin, { METADATA_KEY } from '../src/plugin/plugin';
import { openStoreAdmin } from '../src/store/admin';
import { STORE_FILE } from '../src/store/sqlite-open';
import { expand, loadFixtures, type FixtureOptions } from '../src/testing';
import type { FileReport } from '../src/api/types';
import { stripAnsi } from './helpers/ansi';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const babelPluginMacros = require('babel-plugin-macros') as babel.PluginItem;

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const COMPAT = path.join(FIXTURES, 'compat');
const MACROS = path.join(COMPAT, 'macros');

interface Outcome {
  code?: string;
  error?: string;
  report?: FileReport | null;
}

function transform(code: string, filename: string, plugins: babel.PluginItem[]): Outcome {
  try {
    const r = babel.transformSync(code, { filename, cwd: path.dirname(filename), configFile: false, babelrc: false, highlightCode: false, plugins });
    const meta = r?.metadata as unknown as Record<string, unknown> | undefined;
    return { code: r?.code ?? '', report: (meta?.[METADATA_KEY] as FileReport | undefined) ?? null };
  } catch (e) {
    return { error: stripAnsi((e as Error).message) };
  }
}

/** The same input through babel-plugin-macros (with its `[configName]` options) and through ours. */
function both(code: string, filename: string, configs: Record<string, object> = {}, options: object = {}): { theirs: Outcome; ours: Outcome } {
  return {
    theirs: transform(code, filename, [[babelPluginMacros, configs]]),
    ours: transform(code, filename, [[plugin, { store: 'memory', babelMacros: configs, ...options }]]),
  };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cached-macros-compat-'));
afterAll(() => {
  disposeSession();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Writes files under a fresh project folder in the temp dir; returns its path. */
let projects = 0;
function project(files: Record<string, string>): string {
  const dir = path.join(tmp, `project-${++projects}`);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

const REFS = JSON.stringify(path.join(MACROS, 'refs.macro.js'));

describe('same output as babel-plugin-macros', () => {
  // Every compat fixture that babel-plugin-macros can run (it has no Generators, no namespace import).
  const comparable = loadFixtures(COMPAT).filter(
    (c) => !/generator|namespace|error-require/.test(c.name) && !fs.readFileSync(c.inputFile, 'utf8').includes('fixtures/macros'),
  );

  it('covers the registry packages and the local macros', () => {
    expect(comparable.map((c) => c.name)).toEqual(
      expect.arrayContaining(['ms-macro', 'ms-macro-require', 'preval-macro', 'references', 'keep-imports', 'config-from-plugin-options', 'error-macro-error-framed']),
    );
  });

  it.each(comparable.map((c) => [c.name, c] as const))('fixtures/compat/%s', (_name, fixture) => {
    const options = fixture.options as FixtureOptions;
    const configs = (options.pluginOptions?.babelMacros ?? {}) as Record<string, object>;
    const { theirs, ours } = both(fs.readFileSync(fixture.inputFile, 'utf8'), fixture.inputFile, configs);
    if (options.throws !== undefined) {
      expect(theirs.error).toContain(options.throws);
      // Same message; a frame at the import is added only when the macro gave none.
      expect(ours.error?.startsWith(theirs.error as string)).toBe(true);
      return;
    }
    expect(theirs.error).toBeUndefined();
    expect(ours.code).toBe(theirs.code);
  });

  it('ms.macro: every form, in nested scopes, several imports of one package', () => {
    const code = `import ms from 'ms.macro';
import toMs from 'ms.macro';
export const a = ms('1 day'), b = ms\`2.5 hrs\`, c = toMs('-3m');
function f(x) { const ms = require('ms.macro'); return x + ms('1y'); }
class C { static t = toMs('100'); m() { return () => ms\`1w\`; } }
`;
    const { theirs, ours } = both(code, path.join(COMPAT, 'ms.js')); // a virtual file where ms.macro resolves
    expect(ours.code).toBe(theirs.code);
    expect(ours.code).not.toMatch(/ms\(|ms`|require/);
    expect(ours.report?.macros['ms.macro']).toMatchObject({ calls: 6, generated: 3, cached: false, compat: true });
  });

  it('preval.macro: evaluates relative to the transformed file (require of a sibling module)', () => {
    const dir = project({
      'data.js': `module.exports = { answer: 42, list: ['a', 'b'] };`,
      'input.js': `import preval from 'preval.macro';
export const data = preval\`module.exports = require('./data.js')\`;
export const sum = preval\`module.exports = \${'1'} + 2\`;
export const fn = preval\`module.exports = { f: 1, nested: { deep: [true, null] } }\`;
`,
    });
    const file = path.join(dir, 'input.js');
    // preval.macro resolves from this repository's node_modules, the temp project has none.
    const code = fs.readFileSync(file, 'utf8').replace("'preval.macro'", JSON.stringify(path.dirname(require.resolve('preval.macro/package.json'))));
    const { theirs, ours } = both(code, file);
    expect(theirs.error).toBeUndefined();
    expect(ours.code).toBe(theirs.code);
    expect(ours.code).toContain('"answer": 42');
  });

  it('a namespace import (which babel-plugin-macros 3.1 cannot take) gives the output of the named imports', () => {
    const file = path.join(tmp, 'ns.js');
    const named = both(`import refs, { one } from ${REFS};\nexport const x = [refs('a'), one(1), one(2)];`, file);
    const ns = both(`import * as r from ${REFS};\nexport const x = [r.default('a'), r.one(1), r['one'](2)];`, file);
    expect(ns.theirs.error).toContain("Cannot read properties of undefined (reading 'name')");
    expect(ns.ours.code).toBe(named.theirs.code);
    expect(ns.ours.report?.macros[JSON.parse(REFS)]).toMatchObject({ calls: 3, generated: 1, compat: true });
  });

  it('a name imported twice: the macro gets both bindings\' references (babel-plugin-macros keeps the last)', () => {
    const { theirs, ours } = both(`import { one as x, one as y } from ${REFS};\nexport const v = [x(1), y(2)];`, path.join(tmp, 'twice.js'));
    expect(theirs.code).toContain('x(1)');
    expect(ours.code).toContain('export const v = ["one(1)", "one(2)"];');
  });

  it('keepImports keeps a require declarator too', () => {
    const code = `const keep = require(${JSON.stringify(path.join(MACROS, 'keep.macro.js'))}), other = 1;\nexport const k = keep();`;
    const { theirs, ours } = both(code, path.join(tmp, 'keep.js'));
    expect(ours.code).toBe(theirs.code);
    expect(ours.code).toContain('require(');
  });
});

describe('config (cosmiconfig "babel-plugin-macros", as babel-plugin-macros reads it)', () => {
  const input = `import refs from ${REFS};\nexport const x = refs('a');`;
  const run = (dir: string, rel: string, configs: Record<string, object> = {}) => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, input);
    return both(input, file, configs);
  };
  const value = (o: Outcome) => /export const x = (".*");/.exec(o.code ?? '')?.[1];

  it('.babel-plugin-macrosrc.json, searched up past a package.json without babelMacros', () => {
    const dir = project({
      '.babel-plugin-macrosrc.json': JSON.stringify({ refs: { prefix: 'rc:' } }),
      'src/package.json': JSON.stringify({ name: 'inner' }),
    });
    const { theirs, ours } = run(dir, 'src/deep/input.js');
    expect(value(ours)).toBe('"rc:default(a)"');
    expect(ours.code).toBe(theirs.code);
  });

  it('package.json "babelMacros"; the nearest config file wins', () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'app', babelMacros: { refs: { suffix: '!pkg' } } }),
      'nested/.babel-plugin-macrosrc.yaml': 'refs:\n  suffix: "!yaml"\n',
    });
    const top = run(dir, 'input.js');
    expect(value(top.ours)).toBe('"default(a)!pkg"');
    expect(top.ours.code).toBe(top.theirs.code);
    const nested = run(dir, 'nested/input.js');
    expect(value(nested.ours)).toBe('"default(a)!yaml"');
    expect(nested.ours.code).toBe(nested.theirs.code);
  });

  it('babel-plugin-macros.config.js, merged over the plugin options key by key (the file wins)', () => {
    const dir = project({ 'babel-plugin-macros.config.js': `module.exports = { refs: { prefix: 'file:' } };` });
    const { theirs, ours } = run(dir, 'input.js', { refs: { prefix: 'opt:', suffix: ':opt' } });
    expect(value(ours)).toBe('"file:default(a):opt"');
    expect(ours.code).toBe(theirs.code);
  });

  it('config is {} for a configName with no config anywhere, undefined without a configName', () => {
    const { theirs, ours } = run(project({}), 'input.js');
    expect(value(ours)).toBe('"default(a)"');
    expect(ours.code).toBe(theirs.code);
    const bpm = JSON.stringify(require.resolve('babel-plugin-macros'));
    const dir = project({
      'typeof.macro.js': `module.exports = require(${bpm}).createMacro(({ references, config, babel: { types: t } }) => {
  for (const ref of references.default) ref.parentPath.replaceWith(t.stringLiteral(typeof config));
});`,
      '.babel-plugin-macrosrc.json': JSON.stringify({ typeof: { a: 1 } }),
    });
    const file = path.join(dir, 'input.js');
    const untyped = both(`import t from './typeof.macro';\nexport const x = t();`, file, { typeof: { b: 2 } });
    expect(value(untyped.ours)).toBe('"undefined"');
    expect(untyped.ours.code).toBe(untyped.theirs.code);
  });

  it('a broken config file fails with the file named and a code frame at the import', () => {
    const dir = project({ '.babel-plugin-macrosrc.json': '{ "refs": ' });
    const { theirs, ours } = run(dir, 'input.js');
    expect(theirs.error).toBeDefined();
    expect(ours.error).toContain('Cannot load the babel-plugin-macros config "refs"');
    expect(ours.error).toContain('.babel-plugin-macrosrc.json');
    expect(ours.error).toMatch(/^> 1 \| import refs from/m);
    // As babel-plugin-macros: the plugin options alone still do.
    const withOptions = run(dir, 'input.js', { refs: { prefix: 'o:' } });
    expect(value(withOptions.ours)).toBe('"o:default(a)"');
    expect(withOptions.ours.code).toBe(withOptions.theirs.code);
  });

  it('editing the config file starts a new build that reads it (same plugin instance, one process)', () => {
    const dir = project({ '.babel-plugin-macrosrc.json': JSON.stringify({ refs: { prefix: 'v1:' } }) });
    const file = path.join(dir, 'input.js');
    const plugins: babel.PluginItem[] = [[plugin, { store: 'memory' }]];
    expect(value(transform(input, file, plugins))).toBe('"v1:default(a)"');
    fs.writeFileSync(path.join(dir, '.babel-plugin-macrosrc.json'), JSON.stringify({ refs: { prefix: 'v2:' } }));
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(dir, '.babel-plugin-macrosrc.json'), later, later);
    expect(value(transform(input, file, plugins))).toBe('"v2:default(a)"');
  });

  it('the plugin option is validated', () => {
    const file = path.join(tmp, 'opts.js');
    expect(transform(input, file, [[plugin, { babelMacros: 'refs' }]]).error).toContain('option "babelMacros" must be an object');
    expect(transform(input, file, [[plugin, { babelMacros: { refs: 3 } }]]).error).toContain('option "babelMacros.refs" must be an object or null, got number 3');
    expect(transform(input, file, [[plugin, { babelMacros: { refs: [] } }]]).error).toContain('option "babelMacros.refs" must be an object or null, got an array');
  });
});

describe('errors', () => {
  const fail = JSON.stringify(path.join(MACROS, 'fail.macro.js'));
  const file = path.join(tmp, 'errors.js');

  it('a MacroError with a code frame is rethrown exactly as babel-plugin-macros rethrows it', () => {
    const { theirs, ours } = both(`import { framed } from ${fail};\n\nconst x = framed(1);`, file);
    expect(ours.error).toBe(theirs.error);
    expect(ours.error).toMatch(/^> 3 \| const x = framed\(1\);$/m);
  });

  it('a MacroError without one keeps its message and gets a frame at the import', () => {
    const { theirs, ours } = both(`import { plain } from ${fail};\nplain();`, file);
    expect(theirs.error).toBe(`${file}: plain: something is wrong`);
    expect(ours.error).toBe(`${theirs.error}\n> 1 | import { plain } from ${fail};\n    | ${'^'.repeat(`import { plain } from ${fail};`.length)}\n  2 | plain();`);
  });

  it("other errors get babel-plugin-macros' source prefix (and its npm link for packages)", () => {
    const crash = both(`import { crash } from ${fail};\ncrash();`, file);
    expect(crash.theirs.error).toBe(`${file}: ${JSON.parse(fail)}: Cannot read properties of null (reading 'crash') Learn more: https://www.npmjs.com/package/${JSON.parse(fail)}`);
    expect(crash.ours.error?.startsWith(`${crash.theirs.error}\n> 1 | import { crash }`)).toBe(true);
    const ms = both(`import ms from 'ms.macro';\nconst t = ms('soon');`, path.join(COMPAT, 'ms-error.js'));
    expect(ms.theirs.error).toBe(`${path.join(COMPAT, 'ms-error.js')}: Invalid input given to ms.macro at line 2`);
    expect(ms.ours.error?.startsWith(`${ms.theirs.error}\n> 1 | import ms from 'ms.macro';`)).toBe(true);
  });

  it('compat fixture errors point at the offending line', () => {
    for (const fixture of loadFixtures(COMPAT).filter((c) => c.options.throws !== undefined)) {
      const frame = (fixture.options as { codeFrame?: string }).codeFrame;
      const { error } = transform(fs.readFileSync(fixture.inputFile, 'utf8'), fixture.inputFile, [[plugin, { store: 'memory' }]]);
      const marked = (error ?? '').split('\n').filter((l) => /^>\s*\d+ \|/.test(l)).map((l) => l.replace(/^>\s*\d+ \| ?/, ''));
      expect([fixture.name, marked]).toEqual([fixture.name, [frame]]);
    }
  });
});

describe('mixed with Generator macros', () => {
  const mixed = path.join(COMPAT, 'mixed-with-generators', 'input.js');

  it("the file report lists both kinds: createMacro macros as compat, never cached", () => {
    const { report } = expand(fs.readFileSync(mixed, 'utf8'), { filename: mixed });
    expect(report?.macros).toEqual({
      'ms.macro': expect.objectContaining({ calls: 2, generated: 1, signatures: 0, memoryHits: 0, storeHits: 0, cached: false, compat: true }),
      '../macros/refs.macro': expect.objectContaining({ calls: 1, generated: 1, cached: false, compat: true }),
      '../../macros/shout.macro': expect.objectContaining({ calls: 3, signatures: 3, generated: 3, cached: false }),
      '../../macros/fmt.macro': expect.objectContaining({ calls: 1, signatures: 1, cached: true }),
    });
    expect(report?.macros['../../macros/shout.macro'].compat).toBeUndefined();
    expect(typeof report?.epoch).toBe('number'); // fmt is a CachedGenerator
  });

  it('a Generator call inside code a createMacro macro removed is not expanded', () => {
    const file = path.join(COMPAT, 'generator-call-removed', 'input.js');
    const { report } = expand(fs.readFileSync(file, 'utf8'), { filename: file });
    expect(report?.macros['../../macros/shout.macro']).toMatchObject({ calls: 1, signatures: 1, generated: 1 });
  });

  it('createMacro macros are never written to the store; the CachedGenerator is', () => {
    const cacheDir = path.join(tmp, 'store');
    const code = fs.readFileSync(mixed, 'utf8');
    disposeSession(); // fmt's expansion from earlier tests would be a memory hit, never written
    for (let i = 0; i < 2; i++) {
      const { report } = expand(code, { filename: mixed, pluginOptions: { store: 'fs', cacheDir } });
      expect(report?.macros['ms.macro']).toMatchObject({ generated: 1, storeHits: 0, memoryHits: 0 });
    }
    const store = openStoreAdmin(cacheDir)!;
    try {
      const stats = store.stats();
      expect(stats.macros.map((m) => m.macroId)).toEqual([expect.stringMatching(/fmt\.macro\.js#default$/)]);
      expect(stats.entries).toBe(1);
      expect(store.definitions().map((d) => d.macroId)).toEqual([expect.stringMatching(/fmt\.macro\.js#default$/)]);
    } finally {
      store.close();
    }
  });

  it('a file with only createMacro macros does not even open the store', () => {
    const cacheDir = path.join(tmp, 'never-opened');
    const file = path.join(COMPAT, 'ms-macro', 'input.js');
    const { report } = expand(fs.readFileSync(file, 'utf8'), { filename: file, pluginOptions: { store: 'fs', cacheDir } });
    expect(report).toMatchObject({ epoch: null, macros: { 'ms.macro': { compat: true } } });
    expect(fs.existsSync(path.join(cacheDir, STORE_FILE))).toBe(false);
  });
});

describe('never cached, always current', () => {
  it('runs the macro on every transform of the same file (preval side effect counted)', () => {
    const counter = path.join(tmp, 'preval-runs.txt');
    const file = path.join(COMPAT, 'count.js'); // virtual: where preval.macro resolves
    const code = `import preval from 'preval.macro';\nexport const n = preval\`require('fs').appendFileSync(${JSON.stringify(counter).replace(/\\/g, '\\\\')}, 'x'); module.exports = 1\`;`;
    const plugins: babel.PluginItem[] = [[plugin, { store: 'memory' }]];
    for (let i = 0; i < 3; i++) expect(transform(code, file, plugins).code).toContain('export const n = 1;');
    expect(fs.readFileSync(counter, 'utf8')).toBe('xxx');
  });

  it('an edited createMacro macro is reloaded by the next build in the same process', () => {
    // A plain Node process (Jest's module registry would keep the first copy of the macro).
    const bpm = JSON.stringify(require.resolve('babel-plugin-macros'));
    const macro = (v: string) => `module.exports = require(${bpm}).createMacro(({ references, babel: { types: t } }) => {
  for (const ref of references.default) ref.parentPath.replaceWith(t.stringLiteral(${JSON.stringify(v)}));
});`;
    const dir = project({ 'version.macro.js': macro('v1'), 'input.js': `import version from './version.macro';\nexport const v = version();` });
    const script = `
const babel = require('@babel/core'), fs = require('fs'), path = require('path');
const [dist, dir, next] = process.argv.slice(1);
const plugins = [[require(dist).default, { store: 'memory' }]];
const file = path.join(dir, 'input.js');
const run = () => babel.transformFileSync(file, { cwd: dir, configFile: false, babelrc: false, plugins }).code;
const first = run();
fs.writeFileSync(path.join(dir, 'version.macro.js'), next);
console.log(JSON.stringify([first, run()]));`;
    const out = execFileSync(process.execPath, ['-e', script, path.join(__dirname, '..', 'dist', 'index.js'), dir, macro('v2-longer')], {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual(['export const v = "v1";', 'export const v = "v2-longer";']);
  });
});
