/**
 * babel-plugin-cached-macros/metro with the real `metro` package: each build is a new Metro
 * start in its own process (__tests__/helpers/metro-driver.js), sharing Metro's file cache, as
 * users run it. Needs `npx tsc -p .` first.
 */
import { spawnSync } from 'node:child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { DependencyManifest } from '../src/deps/dependency-manifest';
import { createTransformer } from '../src/metro';
import { projectFiles } from './helpers/temp-project';

const DRIVER = path.join(__dirname, 'helpers', 'metro-driver.js');
const DIST = path.resolve(__dirname, '..', 'dist');
// Several bundler starts per test, on a shared 2-core machine.
jest.setTimeout(180_000);

let dir = '';
const { write, edit } = projectFiles(() => dir);

/** The project's Babel config (default plugin options) and transformer: this package's default export, or the upstream alone. */
function writeProject(root: string, transformer: 'wrapper' | 'upstream'): void {
  const w = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  w('package.json', JSON.stringify({ name: 'metro-app', version: '1.0.0' }));
  w(
    'babel.config.js',
    `module.exports = { plugins: [${JSON.stringify(path.join(DIST, 'index.js'))}, ${JSON.stringify(require.resolve('@babel/plugin-transform-modules-commonjs'))}] };\n`,
  );
  w(
    'transformer.js',
    transformer === 'wrapper'
      ? `module.exports = require(${JSON.stringify(path.join(DIST, 'metro.js'))});\n`
      : `module.exports = require(${JSON.stringify(require.resolve('metro-babel-transformer'))});\n`,
  );
}

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-metro-')));
  write('data/msg.txt', 'hello');
  write(
    'macros/message.macro.js',
    `const { CachedGenerator } = require(${JSON.stringify(path.join(DIST, 'index.js'))});
module.exports = class Message extends CachedGenerator {
  generate(sig, ctx) { return { inline: JSON.stringify(ctx.readFile('../data/msg.txt').trim() + ' v1') }; }
};
`,
  );
  write('main.js', `import message from './macros/message.macro';\nconsole.log(message());\n`);
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** One Metro start over `root` with Metro's cache in `metroCache`; the bundle. */
function metroBuild(root: string, metroCache: string): string {
  const r = spawnSync(process.execPath, [DRIVER, root, path.join(root, 'transformer.js'), metroCache], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`metro failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { code: string }).code;
}

/** A clean build: a copy of the project, empty Metro cache and macro store. */
function cleanBuild(): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-metro-clean-')));
  try {
    for (const rel of ['data/msg.txt', 'macros/message.macro.js', 'main.js']) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.copyFileSync(path.join(dir, rel), path.join(root, rel));
    }
    writeProject(root, 'wrapper');
    // The project folder's name appears in nothing Metro emits for these files.
    return metroBuild(root, path.join(root, '.metro-cache'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const textOf = (code: string) => /console\.log\((".*?")\)/.exec(code)?.[1];

describe('babel-plugin-cached-macros/metro', () => {
  it('a new Metro start after an edit to a file the macro read, or to the macro, transforms again: the clean-build output', () => {
    writeProject(dir, 'wrapper');
    const cache = path.join(dir, '.metro-cache');
    const first = metroBuild(dir, cache);
    expect(textOf(first)).toBe('"hello v1"');
    expect(first).toBe(cleanBuild());
    edit('data/msg.txt', 'hello', 'bonjour');
    const second = metroBuild(dir, cache);
    expect(textOf(second)).toBe('"bonjour v1"');
    expect(second).toBe(cleanBuild());
    edit('macros/message.macro.js', "' v1'", "' v2'");
    const third = metroBuild(dir, cache);
    expect(textOf(third)).toBe('"bonjour v2"');
    expect(third).toBe(cleanBuild());
    // Nothing changed: served from Metro's cache, same output.
    expect(metroBuild(dir, cache)).toBe(third);
  });

  it("the upstream transformer alone serves stale output after such an edit (why the wrapper exists)", () => {
    writeProject(dir, 'upstream');
    const cache = path.join(dir, '.metro-cache');
    expect(textOf(metroBuild(dir, cache))).toBe('"hello v1"');
    edit('data/msg.txt', 'hello', 'bonjour');
    expect(textOf(metroBuild(dir, cache))).toBe('"hello v1"');
  });
});

describe('createTransformer', () => {
  it('keys on the content of recorded definition files and dependencies and on recorded env values, not on their stats', () => {
    const cacheDir = path.join(dir, '.cache');
    const macro = path.join(dir, 'macros/message.macro.js');
    const data = path.join(dir, 'data/msg.txt');
    DependencyManifest.at(cacheDir).record([[macro, { graph: new Set([macro]), files: new Set([data]), env: new Set(['CM_METRO_TEST']) }]]);
    const t = createTransformer({ upstream: require.resolve('metro-babel-transformer'), pluginOptions: { cacheDir } });
    const key = () => t.getCacheKey({ projectRoot: dir });
    const original = key();
    edit('data/msg.txt', 'hello', 'bonjour');
    const edited = key();
    expect(edited).not.toBe(original);
    edit('data/msg.txt', 'bonjour', 'hello'); // same content, newer mtime
    expect(key()).toBe(original);
    edit('macros/message.macro.js', "' v1'", "' v2'");
    expect(key()).not.toBe(original);
    edit('macros/message.macro.js', "' v2'", "' v1'");
    process.env.CM_METRO_TEST = 'on';
    try {
      expect(key()).not.toBe(original);
    } finally {
      delete process.env.CM_METRO_TEST;
    }
    expect(key()).toBe(original);
  });
});
