/**
 * The plugin's own code is part of every key (util/package.ts `pluginIdentity`): a plugin edited
 * without a version bump (a local build, a patched node_modules copy, `npm link`) must not be
 * served expansions stored by other plugin code, while the same code installed at another path
 * still hits a shared cache. Each build runs in a fresh process against a copy of dist/.
 * Requires `npx tsc -p .` first.
 */
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

const ROOT = path.resolve(__dirname, '..');

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-identity-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * A checkout at `<dir>/<name>`: the built package installed as `node_modules/babel-plugin-cached-macros`
 * (a copy; its own dependencies resolve from the root's node_modules), a cached macro requiring it by
 * name, and app.js calling the macro. Returns the checkout and its copy of the package.
 */
function checkout(name: string): { project: string; pkg: string } {
  const project = path.join(dir, name);
  const pkg = path.join(project, 'node_modules', 'babel-plugin-cached-macros');
  fs.cpSync(path.join(ROOT, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
  fs.mkdirSync(path.join(project, 'macros'));
  fs.writeFileSync(
    path.join(project, 'macros', 'twice.macro.js'),
    `const { CachedGenerator } = require('babel-plugin-cached-macros');
module.exports = class extends CachedGenerator {
  generate(sig) { return { inline: '(' + JSON.stringify(sig.args[0].kind) + ', $0 + $0)' }; }
};
`,
  );
  fs.writeFileSync(path.join(project, 'app.js'), "import twice from './macros/twice.macro';\nexport const a = twice(21);\n");
  return { project, pkg };
}

/** One build of the project's app.js in a fresh process with the plugin copy at `pkg`; the file's report and code. */
function build(pkg: string, project: string, cacheDir: string): { code: string; generated: number; storeHits: number } {
  const script = `
const babel = require(${JSON.stringify(require.resolve('@babel/core'))});
const r = babel.transformFileSync(process.argv[1], { configFile: false, babelrc: false, cwd: process.argv[2],
  plugins: [[process.argv[3], { cacheDir: process.argv[4] }]] });
const m = Object.values(r.metadata.cachedMacros.macros)[0];
process.stdout.write(JSON.stringify({ code: r.code, generated: m.generated, storeHits: m.storeHits }));`;
  const out = execFileSync(process.execPath, ['-e', script, path.join(project, 'app.js'), project, path.join(pkg, 'dist', 'index.js'), cacheDir], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as { code: string; generated: number; storeHits: number };
}

test('an edit to the plugin code without a version bump regenerates instead of reusing the stored entry', () => {
  const { project, pkg } = checkout('a');
  const cache = path.join(dir, 'cache');
  const cold = build(pkg, project, cache);
  expect(cold).toMatchObject({ generated: 1, storeHits: 0 });
  expect(build(pkg, project, cache)).toMatchObject({ generated: 0, storeHits: 1, code: cold.code });

  // Any change to the plugin's code, even one that looks harmless, is other code.
  fs.appendFileSync(path.join(pkg, 'dist', 'template', 'splice.js'), '\n// patched in place\n');
  const patched = build(pkg, project, cache);
  expect(patched).toMatchObject({ generated: 1, storeHits: 0 });
  expect(patched.code).toBe(build(pkg, project, path.join(dir, 'clean-cache')).code);
});

test('the same plugin code installed in another checkout still hits a shared cache', () => {
  const cache = path.join(dir, 'cache');
  const a = checkout('a');
  expect(build(a.pkg, a.project, cache)).toMatchObject({ generated: 1 });
  const b = checkout('b');
  expect(build(b.pkg, b.project, cache)).toMatchObject({ generated: 0, storeHits: 1 });
});
