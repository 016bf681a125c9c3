/**
 * Issue #12, faults: a store locked by another process (a real second process holding the
 * SQLite lock), a cache directory where mkdir misbehaves (/proc), read-only CLI commands on a
 * corrupt store, and the generator watchdog. Builds run in child processes through the compiled
 * plugin in dist/ (build first: `npx tsc -p .`).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { resolveOptions } from '../src/build/options';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist', 'index.js');
const CLI = path.join(ROOT, 'dist', 'cli', 'index.js');
const DRIVER = path.join(__dirname, 'helpers', 'build.js');
const SQLITE = require.resolve('better-sqlite3');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-faults-'));
let dirs = 0;

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const warningsIn = (stderr: string) => stderr.match(/\[cached-macros\] warning:[^\n]*/g) ?? [];

/** A project with a cached macro `c.macro.js` and `files` files, each with two calls of their own signatures. */
function project(files = 5, body = "return { hoist: '() => ' + JSON.stringify('c:' + sig.key), inline: '$hoisted()' };"): string {
  const dir = path.join(root, `p${++dirs}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'c.macro.js'),
    `const { CachedGenerator } = require(${JSON.stringify(DIST)});\nmodule.exports = class C extends CachedGenerator {\n  generate(sig) { ${body} }\n};\n`,
  );
  for (let i = 0; i < files; i++) {
    fs.writeFileSync(path.join(dir, `f${i}.js`), `import c from './c.macro';\nexport const v = [c(${2 * i}), c('${2 * i + 1}')];\n`);
  }
  return dir;
}

/** One build of `files` in a fresh process; its wall time, exit status, output codes and stderr. */
function build(dir: string, options: Record<string, unknown>, files: string[], timeout = 60_000) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [DRIVER, JSON.stringify(options), ...files.map((f) => path.join(dir, f))], {
    encoding: 'utf8',
    timeout,
  });
  const ms = Date.now() - started;
  const results = r.status === 0 ? (JSON.parse(r.stdout) as Record<string, { code: string }>) : {};
  return { ms, status: r.status, signal: r.signal, stderr: r.stderr, codes: Object.fromEntries(Object.entries(results).map(([f, x]) => [f, x.code])) };
}

const names = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `f${from + i}.js`);

/** Another process holding the store's lock (SQL run on open) until `release()`. */
async function holdLock(file: string, sql: string): Promise<{ release(): Promise<void> }> {
  const proc: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['-e', `const db = new (require(${JSON.stringify(SQLITE)}))(${JSON.stringify(file)}); db.exec(${JSON.stringify(sql)}); console.log('locked'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve) => {
    const rl = readline.createInterface({ input: proc.stdout });
    rl.once('line', resolve);
    proc.once('exit', () => resolve(`exited: ${stderr}`));
  });
  expect(line).toBe('locked');
  return {
    release: () =>
      new Promise((resolve) => {
        proc.once('exit', () => resolve());
        proc.stdin.end();
      }),
  };
}

describe('a store locked by another process', () => {
  test.each([
    ['BEGIN IMMEDIATE (a writer that never commits)', 'BEGIN IMMEDIATE; INSERT INTO meta (key, value) VALUES (\'held\', 1);'],
    ['locking_mode=EXCLUSIVE', "PRAGMA locking_mode = EXCLUSIVE; BEGIN IMMEDIATE; INSERT INTO meta (key, value) VALUES ('held', 1); COMMIT;"],
  ])('%s: a 5-file build finishes in < 10 s with correct output and one warning', async (_what, sql) => {
    const dir = project(6);
    const cacheDir = path.join(dir, 'cache');
    const reference = build(dir, { store: 'memory' }, names(5, 1)).codes;
    // The store exists and knows the macro (a previous build), then another process takes the lock.
    expect(build(dir, { cacheDir }, ['f0.js']).status).toBe(0);
    const lock = await holdLock(path.join(cacheDir, 'store.sqlite'), sql);
    let r: ReturnType<typeof build>;
    try {
      r = build(dir, { cacheDir }, names(5, 1), 60_000);
    } finally {
      await lock.release();
    }
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
    expect(r.codes).toEqual(reference);
    expect(warningsIn(r.stderr)).toHaveLength(1);
    expect(warningsIn(r.stderr)[0]).toMatch(/locked by another process/);
    expect(r.ms).toBeLessThan(10_000);
    if (process.env.CM_REPORT_MS) process.stdout.write(`locked build: ${r.ms} ms\n`);
    // Once the lock is gone the store is used again, without a warning.
    const after = build(dir, { cacheDir }, names(5, 1));
    expect(after.codes).toEqual(reference);
    expect(warningsIn(after.stderr)).toEqual([]);
  });
});

describe('a cache directory where mkdir never succeeds', () => {
  test('cacheDir under /proc: the build finishes from memory (no hang), output correct', () => {
    const dir = project(2);
    const reference = build(dir, { store: 'memory' }, names(2)).codes;
    const r = build(dir, { cacheDir: `/proc/cm-${process.pid}/cache` }, names(2), 20_000);
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
    expect(r.codes).toEqual(reference);
    // (As in reliability.test.ts, the dependency manifest's own warning is not a store warning.)
    const store = warningsIn(r.stderr).filter((w) => !/could not record macro dependencies/.test(w));
    expect(store).toHaveLength(1);
    expect(store[0]).toMatch(/cannot use the macro cache/);
  });
});

describe('read-only CLI commands on a corrupt store', () => {
  test.each([['stats'], ['inspect', 'c'], ['verify']])('%s reports the corruption, exits 1 and creates nothing', (...args) => {
    const cacheDir = path.join(root, `corrupt-${args[0]}`);
    fs.mkdirSync(cacheDir);
    const file = path.join(cacheDir, 'store.sqlite');
    fs.writeFileSync(file, 'this is not a database, just text '.repeat(200));
    const before = fs.readdirSync(cacheDir);
    const r = spawnSync(process.execPath, [CLI, ...args, '--cache-dir', cacheDir], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cached-macros: error: the store ${file} is damaged (SQLITE_NOTADB: file is not a database); nothing was changed`);
    // No "ok" or empty report on stdout.
    expect(r.stdout).toBe('');
    expect(fs.readdirSync(cacheDir)).toEqual(before);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^this is not a database/);
  });

  test('stats on a missing cache directory creates nothing', () => {
    const cacheDir = path.join(root, 'absent', 'cache');
    const r = spawnSync(process.execPath, [CLI, 'stats', '--cache-dir', cacheDir], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(root, 'absent'))).toBe(false);
  });
});

describe('the generator watchdog', () => {
  const slow = (ms: number) => `const end = Date.now() + ${ms}; while (Date.now() < end); return { inline: JSON.stringify(sig.key) };`;

  test('an endless loop is named (macro, signature, call site) on stderr while the build is stuck', async () => {
    const dir = project(1, 'while (true);');
    const proc = spawn(process.execPath, [DRIVER, JSON.stringify({ store: 'memory', watchdogMs: 300 }), path.join(dir, 'f0.js')]);
    let stderr = '';
    const seen = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 15_000);
      proc.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('\n')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
    });
    proc.kill('SIGKILL');
    expect(seen).toBe(true);
    expect(stderr).toContain(
      `[cached-macros] warning: the macro c has been generating the signature (0) for over 0.3 s (called at ${path.join(dir, 'f0.js')}:2:19)`,
    );
  });

  test('a slow generator past the limit: one warning, correct output; watchdogMs: false is silent', () => {
    const dir = project(1, slow(1200));
    const reference = { 'f0.js': 'export const v = ["(0)", "(\\"1\\")"];' };
    const warned = build(dir, { store: 'memory', watchdogMs: 500 }, ['f0.js']);
    expect(warned.codes).toEqual(reference);
    expect(warningsIn(warned.stderr)).toHaveLength(2); // two signatures, each past the limit
    expect(warningsIn(warned.stderr)[1]).toMatch(/the macro c has been generating the signature \("1"\) for over 0.5 s/);
    const off = build(dir, { store: 'memory', watchdogMs: false }, ['f0.js']);
    expect(off.codes).toEqual(reference);
    expect(warningsIn(off.stderr)).toEqual([]);
  });

  test('the option is validated', () => {
    for (const bad of [0, -5, 1.5, '10s', true]) {
      expect(() => resolveOptions({ watchdogMs: bad }, root)).toThrow(/option "watchdogMs" must be a whole number of milliseconds \(at least 1\) or false/);
    }
    expect(resolveOptions({}, root).watchdogMs).toBe(10_000);
    expect(resolveOptions({ watchdogMs: false }, root).watchdogMs).toBeNull();
  });
});
