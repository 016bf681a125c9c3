/**
 * Issue #9 part A: a macro's definition is what Node actually loaded for it. Each scenario is a
 * temp project: a cold build, an edit, then a warm build in the same long-lived process and in a
 * new process, both compared byte for byte with a clean build (empty cache dir, fresh process).
 * Requires `npx tsc -p .` first (the child processes run dist/).
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import readline from 'readline';
import { openLedger } from '../src/store';
import { moduleGraph } from '../src/load/fingerprint';
import { macroCacheKey } from '../src/jest';
import { projectFiles } from './helpers/temp-project';

const DRIVER = path.join(__dirname, 'helpers', 'build.js');
const DIST = path.resolve(__dirname, '..', 'dist', 'index.js');

let dir: string;
let cacheDir: string;
const { write, edit } = projectFiles(() => dir);
const children: ChildProcessWithoutNullStreams[] = [];

interface FileResult {
  code: string;
}

/** A CachedGenerator macro module: `prelude` at module level, `body` in generate(sig, ctx). */
function cachedMacro(prelude: string, body: string): string {
  return `const fs = require('fs');
const path = require('path');
const { CachedGenerator } = require(${JSON.stringify(DIST)});
${prelude}
module.exports = class extends CachedGenerator {
  generate(sig, ctx) {
    ${body}
  }
};
`;
}

/** One build of app.js in a fresh process. */
function oneShot(cache: string, env: Record<string, string> = {}): string {
  const out = execFileSync(process.execPath, [DRIVER, JSON.stringify({ cacheDir: cache }), path.join(dir, 'app.js')], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return (JSON.parse(out) as Record<string, FileResult>)['app.js'].code;
}

/** A clean build: empty cache directory, fresh process. */
function clean(env: Record<string, string> = {}): string {
  return oneShot(fs.mkdtempSync(path.join(dir, 'clean-cache-')), env);
}

/** A long-lived build process (watch mode): each call builds app.js again. */
function longLived(env: Record<string, string> = {}): () => Promise<string> {
  const child = spawn(process.execPath, [DRIVER, JSON.stringify({ cacheDir }), '--stdin'], { env: { ...process.env, ...env } });
  children.push(child);
  child.stderr.resume();
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return async () => {
    child.stdin.write(JSON.stringify([path.join(dir, 'app.js')]) + '\n');
    const reply = JSON.parse((await lines.next()).value as string) as { ok: boolean; error?: string; results: Record<string, FileResult> };
    if (!reply.ok) throw new Error(reply.error);
    return reply.results['app.js'].code;
  };
}

/**
 * Cold build in a long-lived process, `change()`, then warm builds in that process and in a new
 * one must equal a clean build, which must differ from the cold one (the edit matters).
 */
async function scenario(change: () => void): Promise<void> {
  const build = longLived();
  const cold = await build();
  change();
  const warmSame = await build();
  const warmNew = oneShot(cacheDir);
  const fresh = clean();
  expect(fresh).not.toBe(cold);
  expect(warmSame).toBe(fresh);
  expect(warmNew).toBe(fresh);
  // And the poisoned-store check: one more new process after both warm builds.
  expect(oneShot(cacheDir)).toBe(fresh);
}

/** The same for a change of environment, which only a new process sees. */
function envScenario(before: Record<string, string>, after: Record<string, string>): void {
  const cold = oneShot(cacheDir, before);
  const warm = oneShot(cacheDir, after);
  const fresh = clean(after);
  expect(fresh).not.toBe(cold);
  expect(warm).toBe(fresh);
  expect(oneShot(cacheDir, before)).toBe(cold);
}

function app(source: string): void {
  write('app.js', `import m from ${JSON.stringify(source)};\nexport const v = m();\n`);
}

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-sound-')));
  cacheDir = path.join(dir, 'cache');
});

afterEach(() => {
  for (const c of children.splice(0)) c.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

jest.setTimeout(60_000);

describe('1. a macro package inside node_modules', () => {
  test('editing its local helper without a version bump regenerates', async () => {
    write('node_modules/nm-pkg/package.json', JSON.stringify({ name: 'nm-pkg', version: '1.0.0' }));
    write('node_modules/nm-pkg/macro.js', cachedMacro(`const helper = require('./helper');`, `return { inline: JSON.stringify(helper) };`));
    write('node_modules/nm-pkg/helper.js', `module.exports = 'v1';\n`);
    app('nm-pkg/macro');
    await scenario(() => edit('node_modules/nm-pkg/helper.js', 'v1', 'v2'));
  });
});

describe('2. helpers the static walk cannot see', () => {
  test('a template-literal require', async () => {
    write('t.macro.js', cachedMacro('const helper = require(`./helper`);', `return { inline: JSON.stringify(helper) };`));
    write('helper.js', `module.exports = 'v1';\n`);
    app('./t.macro');
    await scenario(() => edit('helper.js', 'v1', 'v2'));
  });

  test('a computed path (path.join(__dirname, ...))', async () => {
    write('c.macro.js', cachedMacro(`const helper = require(path.join(__dirname, 'lib', 'h.js'));`, `return { inline: JSON.stringify(helper) };`));
    write('lib/h.js', `module.exports = 'v1';\n`);
    app('./c.macro');
    await scenario(() => edit('lib/h.js', 'v1', 'v2'));
  });

  test('an index re-exporting the macro with require(__dirname + "/impl.js")', async () => {
    write('idx.macro.js', `module.exports = require(__dirname + '/impl.js');\n`);
    write('impl.js', cachedMacro('', `return { inline: JSON.stringify('v1') };`));
    app('./idx.macro');
    await scenario(() => edit('impl.js', "'v1'", "'v2'"));
  });

  test('a directory module whose package.json has main', async () => {
    write('d.macro.js', cachedMacro(`const helper = require('./dirmod');`, `return { inline: JSON.stringify(helper) };`));
    write('dirmod/package.json', JSON.stringify({ main: 'lib/entry.js' }));
    write('dirmod/lib/entry.js', `module.exports = 'v1';\n`);
    app('./d.macro');
    await scenario(() => edit('dirmod/lib/entry.js', 'v1', 'v2'));
  });

  test('a sibling workspace package required by bare name (symlinked into node_modules)', async () => {
    write('packages/shared/package.json', JSON.stringify({ name: 'shared', version: '1.0.0' }));
    write('packages/shared/index.js', `module.exports = 'v1';\n`);
    fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    fs.symlinkSync(path.join(dir, 'packages', 'shared'), path.join(dir, 'node_modules', 'shared'), 'dir');
    write('w.macro.js', cachedMacro(`const helper = require('shared');`, `return { inline: JSON.stringify(helper) };`));
    app('./w.macro');
    await scenario(() => edit('packages/shared/index.js', 'v1', 'v2'));
  });
});

describe('3. what the macro module reads when it loads', () => {
  test('a file read at module level (readFileSync)', async () => {
    write('r.macro.js', cachedMacro(`const DATA = fs.readFileSync(path.join(__dirname, 'data.txt'), 'utf8').trim();`, `return { inline: JSON.stringify(DATA) };`));
    write('data.txt', 'v1\n');
    app('./r.macro');
    await scenario(() => write('data.txt', 'v2\n'));
  });

  test('an environment variable read at module level (const MODE = process.env.X)', () => {
    write('e.macro.js', cachedMacro(`const MODE = process.env.CM_SOUND_MODE;`, `return { inline: JSON.stringify(String(MODE)) };`));
    app('./e.macro');
    envScenario({ CM_SOUND_MODE: 'one' }, { CM_SOUND_MODE: 'two' });
  });

  test('process.env captured at module level and read later by the generator', () => {
    write('l.macro.js', cachedMacro(`const env = process.env;`, `return { inline: JSON.stringify(String(env.CM_SOUND_LATER)) };`));
    app('./l.macro');
    envScenario({ CM_SOUND_LATER: 'one' }, { CM_SOUND_LATER: 'two' });
  });
});

describe('4. race between hashing and compiling', () => {
  test('a helper edited while the macro module loads is fingerprinted as compiled', async () => {
    // The macro rewrites its helper once (while a marker exists) just before requiring it: the
    // bytes compiled are not the bytes a separate earlier read would have hashed.
    write(
      'race.macro.js',
      cachedMacro(
        `const marker = path.join(__dirname, 'marker');
if (fs.existsSync(marker)) { fs.unlinkSync(marker); fs.writeFileSync(path.join(__dirname, 'helper.js'), "module.exports = 'raced';\\n"); }
const helper = require('./helper');`,
        `return { inline: JSON.stringify(helper) };`,
      ),
    );
    write('helper.js', `module.exports = 'v1';\n`);
    write('marker', 'x');
    app('./race.macro');
    // The race produced 'raced'; the author then restores the helper's original text.
    await scenario(() => write('helper.js', `module.exports = 'v1';\n`));
  });
});

describe('5. environment enumeration and directory dependencies', () => {
  test.each([
    ['Object.keys(process.env)', `const names = Object.keys(process.env);`],
    ['for…in over process.env', `const names = []; for (const k in process.env) names.push(k);`],
  ])('%s records the listing of names, and no variable values', (_what, enumerate) => {
    write(
      'k.macro.js',
      cachedMacro('', `${enumerate}\n    return { inline: JSON.stringify(names.filter((k) => k.startsWith('CM_ENUM_')).sort()) };`),
    );
    app('./k.macro');
    envScenario({ CM_ENUM_A: '1' }, { CM_ENUM_A: '1', CM_ENUM_B: '1' });
    // Security review: enumeration records a digest of the names, never each variable's value.
    const store = openLedger({ kind: 'fs', cacheDir });
    try {
      const deps = store.definitions().flatMap((d) => store.dependents(d.macroId, d.fingerprint).flatMap((e) => e.deps));
      expect(deps.some((d) => d.kind === 'env-list')).toBe(true);
      expect(deps.filter((d) => d.kind === 'env')).toEqual([]);
    } finally {
      store.close();
    }
  });

  test('ctx.dependsOnFile(directory) covers its listing (names and kinds)', async () => {
    write(
      'dir.macro.js',
      cachedMacro('', `ctx.dependsOnFile('./items');\n    return { inline: JSON.stringify(fs.readdirSync(path.join(__dirname, 'items')).sort()) };`),
    );
    write('items/a.txt', 'a');
    app('./dir.macro');
    await scenario(() => write('items/b.txt', 'b'));
  });

});

describe('6. modules a generator requires lazily, in a long-lived process', () => {
  test.each([
    ['a JSON data file', 'data.json', `{ "v": "v1" }`, `return { inline: JSON.stringify(require(path.join(__dirname, 'data.json')).v) };`],
    ['a JS helper', 'lazy.js', `exports.v = 'v1';\n`, `return { inline: JSON.stringify(require(path.join(__dirname, 'lazy.js')).v) };`],
  ])('%s required in generate()', async (_what, file, content, body) => {
    write('lazy.macro.js', cachedMacro('', body));
    write(file, content);
    app('./lazy.macro');
    await scenario(() => edit(file, 'v1', 'v2'));
  });
});

describe('6b. a lazily required file that does not exist yet (found by the differential property test)', () => {
  test('creating it regenerates, in the long-lived process and in a new one', async () => {
    const body = `let v = 'missing';\n    try { v = require(path.join(__dirname, 'late.json')).v; } catch {}\n    return { inline: JSON.stringify(v) };`;
    write('late.macro.js', cachedMacro('', body));
    app('./late.macro');
    await scenario(() => write('late.json', `{ "v": "created" }`));
  });
});

describe('reloading an edited macro in a long-lived process', () => {
  test('evaluates afresh only what depends on the edit: a module shared with Babel stays shared', async () => {
    const types = require.resolve('@babel/types');
    write(
      's.macro.js',
      cachedMacro(
        `const t = require(${JSON.stringify(types)});\nconst helper = require('./helper');\nglobal.__cmTypes = global.__cmTypes || t;`,
        `return { inline: JSON.stringify(helper + ':' + (t === global.__cmTypes)) };`,
      ),
    );
    write('helper.js', `module.exports = 'v1';\n`);
    app('./s.macro');
    await scenario(() => edit('helper.js', 'v1', 'v2'));
  });
});

describe('the static walk (the Jest key for a macro not loaded yet)', () => {
  test('follows template literals without expressions and the macro package’s own files under node_modules', () => {
    write('node_modules/p/package.json', JSON.stringify({ name: 'p', version: '1.0.0' }));
    write('node_modules/p/macro.js', 'const a = require(`./a`);\nconst b = require("./b");\nconst dep = require("../q/x");\n');
    write('node_modules/p/a.js', '');
    write('node_modules/p/b.js', '');
    write('node_modules/q/package.json', JSON.stringify({ name: 'q', version: '1.0.0' }));
    write('node_modules/q/x.js', '');
    const files = moduleGraph(path.join(dir, 'node_modules/p/macro.js')).files.map((f) => path.relative(dir, f));
    expect(files).toEqual(['node_modules/p/macro.js', 'node_modules/p/a.js', 'node_modules/p/b.js']);
  });
});

describe('the Jest transformer key', () => {
  test('covers the files a build recorded Node loading for the macro (a computed require), not only the static walk', () => {
    write('c.macro.js', cachedMacro(`const helper = require(path.join(__dirname, 'lib', 'h.js'));`, `return { inline: JSON.stringify(helper) };`));
    write('lib/h.js', `module.exports = 'v1';\n`);
    app('./c.macro');
    oneShot(cacheDir); // records what was loaded in the dependency manifest
    const appFile = path.join(dir, 'app.js');
    const code = fs.readFileSync(appFile, 'utf8');
    const options = { config: { cwd: dir, rootDir: dir }, supportsStaticESM: false } as unknown as Parameters<typeof macroCacheKey>[2];
    const config = { configFile: false, babelrc: false, plugins: [[DIST, { cacheDir }]] } as Parameters<typeof macroCacheKey>[3];
    const before = macroCacheKey(code, appFile, options, config);
    expect(before).not.toBe('');
    edit('lib/h.js', 'v1', 'v2');
    expect(macroCacheKey(code, appFile, options, config)).not.toBe(before);
  });
});
