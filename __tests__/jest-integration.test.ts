/**
 * The Jest transformer (issue 4, point 3): the real `jest` binary, run as a child process with
 * its cache on, over a temporary project that installs this package (a symlink in its
 * node_modules) with the set-up lines of the README: `plugins: ['babel-plugin-cached-macros']`
 * and `transform: { '\\.js$': 'babel-plugin-cached-macros/jest' }`.
 *
 * Each test file imports one module: `src/a.js` calls a cached macro, `src/b.js` a cached macro
 * reading `data/b.txt`, `src/d.js` a plain Generator reading `data/label.txt`, `src/e.js` a
 * cached macro reading an environment variable, `src/c.js` no macro. Files Babel really
 * transforms (not served from Jest's cache) are logged by helpers/count-transforms.js.
 */
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { loggingMacro, projectFiles } from './helpers/temp-project';

const ROOT = path.resolve(__dirname, '..');
const JEST = path.join(ROOT, 'node_modules', '.bin', 'jest');
const NAMES = ['a', 'b', 'c', 'd', 'e'] as const;

let dir: string;

const { write, edit } = projectFiles(() => dir);

function macro(name: string, base: 'Generator' | 'CachedGenerator', body: string): string {
  return loggingMacro(name, base, body, 'babel-plugin-cached-macros');
}

interface Run {
  /** Files Babel transformed in this run. */
  transformed: string[];
  /** What each test saw its module export. */
  values: Record<string, string>;
  /** Generator calls. */
  generated: string[];
  /** The plugin's warnings on Jest's stderr (workers' included). */
  warnings: string[];
}

/** One `jest` run in a fresh process, with its cache in the project (`transformer`: the `transform` entry). */
function jest(transformer = 'babel-plugin-cached-macros/jest', env: Record<string, string> = {}): Run {
  const config = { transform: { '\\.js$': transformer }, testEnvironment: 'node' };
  fs.writeFileSync(path.join(dir, 'jest.config.json'), JSON.stringify(config));
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CM_JEST_FLAVOUR: 'plain', ...env };
  delete childEnv.JEST_WORKER_ID;
  delete childEnv.CACHED_MACROS_DEBUG;
  const r = spawnSync(
    process.execPath,
    [JEST, '--ci=false', '--watchman=false', '--cacheDirectory', path.join(dir, '.jest-cache'), '--config', path.join(dir, 'jest.config.json'), '--rootDir', dir],
    { cwd: dir, env: childEnv, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`jest failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const take = (rel: string) => {
    const file = path.join(dir, rel);
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    fs.rmSync(file, { force: true });
    return lines.sort();
  };
  const values: Record<string, string> = {};
  for (const n of NAMES) values[n] = JSON.parse(fs.readFileSync(path.join(dir, 'out', `${n}.json`), 'utf8')) as string;
  const warnings = r.stderr.split('\n').filter((l) => l.includes('[cached-macros] warning'));
  return { transformed: take('transforms.log'), values, generated: take('gen.log'), warnings };
}

const START = { a: 'A-v1', b: 'bee', c: 'c', d: 'label:dee', e: 'plain' };

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-jest-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'babel-plugin-cached-macros'), 'dir');
  fs.mkdirSync(path.join(dir, 'out'));
  write('package.json', JSON.stringify({ name: 'jest-project', private: true }));
  write(
    'babel.config.js',
    `module.exports = {
  plugins: [
    'babel-plugin-cached-macros',
    ${JSON.stringify(require.resolve('@babel/plugin-transform-modules-commonjs'))},
    [${JSON.stringify(path.join(__dirname, 'helpers', 'count-transforms.js'))}, { log: __dirname + '/transforms.log' }],
  ],
};
`,
  );
  write('macros/upper.macro.js', macro('upper', 'CachedGenerator', `return { inline: JSON.stringify(String(sig.args[0].value).toUpperCase() + SUFFIX) };`));
  write('macros/data.macro.js', macro('data', 'CachedGenerator', `return { inline: JSON.stringify(ctx.readFile('../data/' + sig.args[0].value).trim()) };`));
  write('macros/label.macro.js', macro('label', 'Generator', `return { inline: JSON.stringify('label:' + ctx.readFile('../data/' + sig.args[0].value).trim()) };`));
  write('macros/env.macro.js', macro('env', 'CachedGenerator', `return { inline: JSON.stringify(String(ctx.env(sig.args[0].value))) };`));
  write('data/b.txt', 'bee\n');
  write('data/label.txt', 'dee\n');
  write('src/a.js', `import upper from '../macros/upper.macro';\nexport const a = upper('a');\n`);
  write('src/b.js', `import data from '../macros/data.macro';\nexport const b = data('b.txt');\n`);
  write('src/c.js', `export const c = 'c';\n`);
  write('src/d.js', `import label from '../macros/label.macro';\nexport const d = label('label.txt');\n`);
  write('src/e.js', `import env from '../macros/env.macro';\nexport const e = env('CM_JEST_FLAVOUR');\n`);
  for (const n of NAMES) {
    write(
      `${n}.test.js`,
      `import fs from 'fs';\nimport { ${n} } from './src/${n}';\ntest('${n}', () => { fs.writeFileSync(__dirname + '/out/${n}.json', JSON.stringify(${n})); });\n`,
    );
  }
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('after a macro, a file it read or a variable it read changes, a cached jest run re-transforms exactly the files using it', () => {
  const cold = jest();
  expect(cold.values).toEqual(START);
  expect(cold.transformed).toEqual([...NAMES.map((n) => `${n}.js`), ...NAMES.map((n) => `${n}.test.js`)].sort());
  // Keys computed before a macro's first run could not cover what it read: those files are
  // transformed once more, then everything comes from Jest's cache.
  expect(jest().transformed).toEqual(['b.js', 'd.js', 'e.js']);
  const warm = jest();
  expect(cold.warnings).toEqual([]); // our transformer: no babel-jest warning
  expect(warm.transformed).toEqual([]);
  expect(warm.generated).toEqual([]);
  expect(warm.values).toEqual(START);

  edit('macros/upper.macro.js', "'-v1'", "'-v2'");
  const afterMacro = jest();
  expect(afterMacro.transformed).toEqual(['a.js']);
  expect(afterMacro.generated).toEqual(['upper ("a")']);
  expect(afterMacro.values).toEqual({ ...START, a: 'A-v2' });

  write('data/b.txt', 'changed\n');
  const afterData = jest();
  expect(afterData.transformed).toEqual(['b.js']);
  expect(afterData.values).toEqual({ ...START, a: 'A-v2', b: 'changed' });

  write('data/label.txt', 'plain read\n');
  const afterLabel = jest();
  expect(afterLabel.transformed).toEqual(['d.js']);
  expect(afterLabel.values.d).toBe('label:plain read');

  const afterEnv = jest(undefined, { CM_JEST_FLAVOUR: 'spicy' });
  expect(afterEnv.transformed).toEqual(['e.js']);
  expect(afterEnv.values.e).toBe('spicy');

  expect(jest(undefined, { CM_JEST_FLAVOUR: 'spicy' }).transformed).toEqual([]);
});

test('control: babel-jest alone serves stale output after a macro edit (jest issue 8932)', () => {
  const transformer = require.resolve('babel-jest');
  const first = jest(transformer);
  expect(first.values).toEqual(START);
  // The plugin notices plain babel-jest (Babel's caller name) and says so, once per process,
  // naming the fix.
  expect(first.warnings.length).toBeGreaterThanOrEqual(1);
  expect(first.warnings[0]).toContain("'babel-plugin-cached-macros/jest'");
  expect(first.warnings[0]).toContain('babel-jest');
  edit('macros/upper.macro.js', "'-v1'", "'-v2'");
  const stale = jest(transformer);
  expect(stale.transformed).toEqual([]);
  expect(stale.values.a).toBe('A-v1');
});

test('the package entry points ./jest and ./testing resolve, with their types, from a project that installs the package', () => {
  for (const [entry, file] of [
    ['babel-plugin-cached-macros/jest', 'jest'],
    ['babel-plugin-cached-macros/testing', 'testing'],
  ]) {
    expect(fs.realpathSync(require.resolve(entry, { paths: [dir] }))).toBe(path.join(ROOT, 'dist', `${file}.js`));
    expect(fs.existsSync(path.join(ROOT, 'dist', `${file}.d.ts`))).toBe(true);
  }
  const exports = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types: string }> }).exports;
  expect(exports['./jest'].types).toBe('./dist/jest.d.ts');
  expect(exports['./testing'].types).toBe('./dist/testing.d.ts');
  // What Jest loads: a module with createTransformer, through the default-export interop too.
  const jestEntry = require(require.resolve('babel-plugin-cached-macros/jest', { paths: [dir] })) as { createTransformer: unknown; default: { createTransformer: unknown } };
  expect(typeof jestEntry.createTransformer).toBe('function');
  expect(typeof jestEntry.default.createTransformer).toBe('function');
});

describe('the dependency manifest the transformer keys on', () => {
  const MANIFEST = path.join(ROOT, 'dist', 'deps', 'dependency-manifest.js');

  test('concurrent writers (Jest workers, parallel builds) lose nothing, and a line torn by a killed writer is skipped', async () => {
    const cacheDir = path.join(dir, 'cache');
    fs.mkdirSync(cacheDir);
    // A writer killed mid-line.
    fs.writeFileSync(path.join(cacheDir, 'dependencies.jsonl'), '{"m":"/torn.macro.js","f":["/half');
    const writer = `
      const { DependencyManifest } = require(${JSON.stringify(MANIFEST)});
      const m = DependencyManifest.at(process.argv[1]);
      for (let i = 0; i < 50; i++) {
        m.record([['/m' + process.argv[2] + '.macro.js', { graph: new Set(['/m' + process.argv[2] + '.macro.js']), files: new Set(['/data/' + process.argv[2] + '-' + i]), env: new Set(['V' + i]) }]]);
      }`;
    await Promise.all(
      [0, 1, 2, 3].map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const p = spawn(process.execPath, ['-e', writer, cacheDir, String(w)], { stdio: 'inherit' });
            p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${w} exited with ${code}`))));
          }),
      ),
    );
    const { DependencyManifest } = require(MANIFEST) as typeof import('../src/deps/dependency-manifest');
    const read = DependencyManifest.at(cacheDir).current();
    for (const w of [0, 1, 2, 3]) {
      const deps = read.get(`/m${w}.macro.js`);
      expect(deps?.files.size).toBe(50);
      expect(deps?.env.size).toBe(50);
    }
    expect(read.has('/torn.macro.js')).toBe(false);
  });
});

test('a babel-plugin-macros createMacro macro that reads a file and a variable: changing either re-transforms its caller', () => {
  const createMacro = JSON.stringify(require.resolve('babel-plugin-macros'));
  write(
    'macros/raw.macro.js',
    `const { createMacro } = require(${createMacro});
const fs = require('fs');
const path = require('path');
module.exports = createMacro(({ references, babel }) => {
  const text = fs.readFileSync(path.join(__dirname, '..', 'data', 'raw.txt'), 'utf8').trim() + ':' + (process.env.CM_RAW_SUFFIX || 'none');
  for (const ref of references.default) ref.parentPath.replaceWith(babel.types.stringLiteral(text));
});
`,
  );
  write('data/raw.txt', 'raw1\n');
  write('src/f.js', `import raw from '../macros/raw.macro';\nexport const f = raw();\n`);
  write('f.test.js', `import fs from 'fs';\nimport { f } from './src/f';\ntest('f', () => { fs.writeFileSync(__dirname + '/out/f.json', JSON.stringify(f)); });\n`);
  const f = () => JSON.parse(fs.readFileSync(path.join(dir, 'out', 'f.json'), 'utf8')) as string;
  jest();
  expect(f()).toBe('raw1:none');
  expect(jest().transformed).toEqual(['b.js', 'd.js', 'e.js', 'f.js']); // reads first seen by the run before
  expect(jest().transformed).toEqual([]);
  write('data/raw.txt', 'raw2\n');
  expect(jest().transformed).toEqual(['f.js']);
  expect(f()).toBe('raw2:none');
  const withEnv = jest(undefined, { CM_RAW_SUFFIX: 'env' });
  expect(withEnv.transformed).toEqual(['f.js']);
  expect(f()).toBe('raw2:env');
});
