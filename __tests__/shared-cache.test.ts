/**
 * Two checkouts of one project (git worktrees, CI agents) sharing one cache directory, or one
 * Redis namespace: each must always get the output a clean build of its own files gives, while
 * entries whose dependencies match are still shared. Builds run in separate Node processes
 * through the compiled plugin (build first: `npx tsc -p .`).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { disposeSession } from '../src/build/session';
import { dependencyFile, dependencyPath } from '../src/deps/dependency-check';
import { startRedis, type RedisServer } from './helpers/redis-server';

jest.setTimeout(60_000);

const DRIVER = path.join(__dirname, 'helpers', 'build.js');
const DIST = path.resolve(__dirname, '..', 'dist', 'index.js');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-checkouts-'));
let checkouts = 0;

interface FileResult {
  code: string;
  report: { macros: Record<string, { generated: number; storeHits: number; memoryHits: number }> } | null;
}

/**
 * A checkout: a cached macro reading one file through ctx.readFile and one with plain fs, and
 * an input file calling it. `pkg` is package.json's content (the macro id comes from its name).
 */
function checkout(declared: string, plain: string, pkg: Record<string, unknown> = { name: 'app', version: '1.0.0' }): string {
  const dir = path.join(root, `checkout${++checkouts}`);
  fs.mkdirSync(path.join(dir, 'macros'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg));
  fs.writeFileSync(
    path.join(dir, 'macros', 'data.macro.js'),
    `const fs = require('fs');
const path = require('path');
const { CachedGenerator } = require(${JSON.stringify(DIST)});
module.exports = class extends CachedGenerator {
  generate(sig, ctx) {
    const declared = ctx.readFile('../data/declared.txt').trim();
    const plain = fs.readFileSync(path.join(__dirname, '..', 'data', 'plain.txt'), 'utf8').trim();
    return { inline: JSON.stringify(declared + '/' + plain) };
  }
};
`,
  );
  fs.writeFileSync(path.join(dir, 'input.js'), `import data from './macros/data.macro';\nexport const v = data();\n`);
  setData(dir, declared, plain);
  return dir;
}

function setData(dir: string, declared: string, plain: string): void {
  const t = new Date(Date.now() + 2000 * checkouts++);
  for (const [f, v] of [['declared.txt', declared], ['plain.txt', plain]]) {
    const file = path.join(dir, 'data', f);
    fs.writeFileSync(file, v);
    fs.utimesSync(file, t, t);
  }
}

/** One build in a fresh process, with the checkout as Babel's cwd (the driver uses the file's folder). */
function build(dir: string, options: Record<string, unknown>): FileResult {
  const r = spawnSync(process.execPath, [DRIVER, JSON.stringify(options), path.join(dir, 'input.js')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed (${r.status}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as Record<string, FileResult>)['input.js'];
}

/** What a clean build of the checkout gives now: an empty store in a fresh process. */
const clean = (dir: string) => build(dir, { store: 'memory' }).code;
const generated = (r: FileResult) => r.report?.macros['./macros/data.macro']?.generated ?? NaN;

afterAll(() => {
  disposeSession();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('stored dependency paths', () => {
  const segment = fc.stringMatching(/^[a-z.][a-z0-9._-]{0,6}$/).filter((s) => s !== '.' && s !== '..');
  const segments = fc.array(segment, { minLength: 1, maxLength: 4 });

  it('name the same file again from the root; relative (posix) inside the root, absolute outside', () => {
    fc.assert(
      fc.property(segments, segments, fc.boolean(), (rootParts, fileParts, inside) => {
        const rootDir = path.join(path.sep, 'r', ...rootParts);
        const abs = inside ? path.join(rootDir, ...fileParts) : path.join(path.sep, 'elsewhere', ...fileParts);
        const stored = dependencyPath(rootDir, abs);
        expect(dependencyFile(rootDir, stored)).toBe(abs);
        expect(path.isAbsolute(stored)).toBe(!inside);
        if (inside) expect(stored).toBe(fileParts.join('/'));
      }),
    );
  });

  it('another checkout resolves a stored path to its own file', () => {
    expect(dependencyFile('/work/b', dependencyPath('/work/a', '/work/a/data/x.json'))).toBe('/work/b/data/x.json');
    expect(dependencyPath('/work/a', '/work/a/..data/x')).toBe('..data/x');
    expect(dependencyPath('/work/a', '/work/x')).toBe('/work/x');
  });
});

describe('two checkouts sharing one cache directory', () => {
  it('alternating builds each get their own clean output, whichever file they read differs', () => {
    const cacheDir = path.join(root, 'shared-cache');
    const a = checkout('A1', 'a');
    const b = checkout('B1', 'b');
    const expectClean = (dir: string) => expect(build(dir, { cacheDir }).code).toBe(clean(dir));
    expect(clean(a)).toContain('"A1/a"');
    for (let round = 0; round < 2; round++) {
      expectClean(a);
      expectClean(b);
    }
    setData(b, 'B2', 'b');
    expectClean(b);
    expectClean(a);
    setData(b, 'B2', 'b2');
    expectClean(b);
    expectClean(a);
    expectClean(b);
  });

  it('still shares an expansion when the files it read have the same content in both checkouts', () => {
    const cacheDir = path.join(root, 'shared-cache-2');
    const a = checkout('same', 'same');
    const b = checkout('same', 'same');
    expect(generated(build(a, { cacheDir }))).toBe(1);
    const second = build(b, { cacheDir });
    expect(second.code).toBe(clean(b));
    expect(generated(second)).toBe(0);
    expect(second.report?.macros['./macros/data.macro']?.storeHits).toBe(1);
  });

  it('two versions of the same package (one macro id, different definitions) alternate soundly', () => {
    const cacheDir = path.join(root, 'shared-cache-3');
    const a = checkout('A', 'a', { name: 'app', version: '1.0.0' });
    const b = checkout('B', 'b', { name: 'app', version: '2.0.0' });
    fs.appendFileSync(path.join(b, 'macros', 'data.macro.js'), '// v2\n');
    for (let round = 0; round < 2; round++) {
      expect(build(a, { cacheDir }).code).toBe(clean(a));
      expect(build(b, { cacheDir }).code).toBe(clean(b));
    }
  });
});

describe('two checkouts sharing one Redis namespace (separate cache directories)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.kill();
  });

  it('each checkout gets its own clean output; equal files still share', () => {
    const remote = { url: server.url, namespace: 'checkouts', signingKey: 'test-signing-key-0123456789-abcdefghijklmn' };
    const a = checkout('A1', 'a');
    const b = checkout('B1', 'b');
    const c = checkout('A1', 'a');
    const opts = (dir: string) => ({ cacheDir: path.join(dir, 'cache'), remote });
    expect(build(a, opts(a)).code).toBe(clean(a));
    const second = build(c, opts(c));
    expect(second.code).toBe(clean(c));
    expect(generated(second)).toBe(0); // served by the server: A's files equal C's
    // The server holds one entry per key: B replaces it with its own, and A's comes back after.
    expect(build(b, opts(b)).code).toBe(clean(b));
    expect(build(c, opts(c)).code).toBe(clean(c));
    setData(a, 'A2', 'a');
    expect(build(a, opts(a)).code).toBe(clean(a));
    expect(build(b, opts(b)).code).toBe(clean(b));
  });
});
