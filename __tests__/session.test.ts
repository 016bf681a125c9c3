/**
 * The session (src/build/session.ts): one owner of the plugin's process-wide state. Importing
 * any entry point patches nothing and starts nothing; `dispose()` unhooks what a build hooked,
 * closes the stores and leaves a process that behaves as a fresh one, and exits on its own.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import Database from 'better-sqlite3';
import * as babel from '@babel/core';
import { disposeSession, session, Session } from '../src/build/session';
import plugin from '../src/plugin/plugin';
import { track } from '../src/generate/tracking';
import { warnOnce } from '../src/util/log';
import { memoryTier } from '../src/store/memory-tier';
import { projectFiles, loggingMacro } from './helpers/temp-project';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const DRIVER = path.join(__dirname, 'helpers', 'session-driver.js');
/** Long enough for a loaded machine; a process kept alive by a handle would hit it. */
const EXIT_TIMEOUT_MS = 30_000;

function node(args: string[]): { stdout: string; stderr: string; status: number | null; signal: string | null; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: EXIT_TIMEOUT_MS, env: { ...process.env, CACHED_MACROS_DEBUG: '' } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal, ms: Date.now() - t0 };
}

describe('importing an entry point', () => {
  /** Dependencies only some builds need (TypeScript macros, Redis, createMacro configs, the store). */
  const LAZY = ['jiti', 'synckit', 'ioredis', 'cosmiconfig', 'better-sqlite3'];
  const PROBE = `
const fs = require('fs');
const Module = require('module');
// Every fs function (the plugin wraps five; graceful-fs, which Jest's stack brings, would patch others).
const names = Object.keys(fs).filter((n) => typeof fs[n] === 'function');
const fsBefore = names.map((n) => fs[n]);
const hooks = [Module.prototype._compile, Module._load, Module._extensions['.json'], Module._extensions['.js']];
const env = process.env;
const envBefore = JSON.stringify(env);
void process.stdout, void process.stderr; // their pipes, opened on first use, are not the entry point's
const resourcesBefore = process.getActiveResourcesInfo();
const entry = require(process.argv[1]);
console.log(JSON.stringify({
  exports: typeof entry === 'function' ? 1 : Object.keys(entry).length,
  fsChecked: names.includes('readFileSync') && names.includes('openSync'),
  fs: names.filter((n, i) => fs[n] !== fsBefore[i]),
  hooks: [Module.prototype._compile, Module._load, Module._extensions['.json'], Module._extensions['.js']].map((h, i) => h === hooks[i]),
  envSame: process.env === env && JSON.stringify(process.env) === envBefore,
  resources: process.getActiveResourcesInfo().filter((r, i) => r !== resourcesBefore[i]),
  // Start-up (issue #13): what only some builds need is loaded on first use.
  lazy: ${JSON.stringify(LAZY)}.filter((m) => Object.keys(require.cache).some((f) => f.includes('/node_modules/' + m + '/'))),
}));
`;

  test.each(['index.js', 'jest.js', 'vite.js', 'metro.js', 'testing.js'])('dist/%s patches nothing and leaves nothing running', (entry) => {
    const r = node(['-e', PROBE, path.join(DIST, entry)]);
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const seen = JSON.parse(r.stdout) as { exports: number; fsChecked: boolean; fs: string[]; hooks: boolean[]; envSame: boolean; resources: string[]; lazy: string[] };
    expect(seen.exports).toBeGreaterThan(0);
    expect(seen.fsChecked).toBe(true);
    expect(seen.fs).toEqual([]);
    expect(seen.hooks).toEqual([true, true, true, true]);
    expect(seen.envSame).toBe(true);
    expect(seen.resources).toEqual([]);
    expect(seen.lazy).toEqual([]);
    // Exits on its own, promptly: nothing (worker, timer, socket) keeps it alive.
    expect(r.ms).toBeLessThan(EXIT_TIMEOUT_MS);
  });
});

describe('dispose() in a real process', () => {
  let dir: string;
  const { write } = projectFiles(() => dir);
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-session-'));
    write('macros/tag.macro.js', loggingMacro('tag', 'CachedGenerator', 'return { inline: JSON.stringify(sig.key + SUFFIX) };', path.join(DIST, 'index.js')));
    write('input.js', `import tag from './macros/tag.macro';\nexport const a = tag(1), b = tag('x'), c = tag(2);\n`);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  interface DriverOut {
    builds: string[];
    hookedDuringBuild: string[];
    storeFdsBeforeDispose: number;
    hookedAfterDispose: string[];
    storeFdsAfterDispose: number;
    hookedAfterSecondDispose?: string[];
    resources: string[];
  }
  const run = (cacheDir: string, mode: 'edit' | 'same' | 'clean'): DriverOut => {
    const r = node([DRIVER, dir, path.join(dir, cacheDir), mode]);
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull(); // not killed by the timeout: it exited on its own
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as DriverOut;
  };
  const genLog = () => {
    const file = path.join(dir, 'gen.log');
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
    fs.rmSync(file, { force: true });
    return lines;
  };
  const storedEntries = (cacheDir: string) => {
    const db = new Database(path.join(dir, cacheDir, 'store.sqlite'), { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM entries').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  test('build, dispose, macro edited, build: the output of a clean build; hooks removed, store closed, process exits', () => {
    const warm = run('cache', 'edit');
    expect(genLog()).toHaveLength(6); // three signatures, generated again after the edit
    // The build hooked fs, Node's loader and process.env only while it needed them...
    expect(warm.hookedDuringBuild).toEqual(expect.arrayContaining(['readFileSync', 'compile', 'load', 'json']));
    expect(warm.storeFdsBeforeDispose).toBeGreaterThan(0);
    // ...and dispose() undid all of it and closed the SQLite file.
    expect(warm.hookedAfterDispose).toEqual([]);
    expect(warm.hookedAfterSecondDispose).toEqual([]);
    expect(warm.storeFdsAfterDispose).toBe(0);
    expect(warm.resources).toEqual([]);
    // The store file deleted after dispose() was created afresh by the second build.
    expect(storedEntries('cache')).toBe(3);
    expect(warm.builds[0]).toContain('"(1)-v1"');
    expect(warm.builds[1]).toContain('"(1)-v2"');

    // A clean build (empty store, fresh process) of the edited macro: the same bytes.
    const clean = run('clean-cache', 'clean');
    expect(genLog()).toHaveLength(3);
    expect(clean.builds[0]).toBe(warm.builds[1]);
  });

  test('build, dispose, build with nothing edited: the generators run again, as in a fresh process, with the same output', () => {
    const out = run('cache', 'same');
    // The store was deleted after dispose(): the disposed session's parsed templates must not serve the second build.
    expect(genLog()).toHaveLength(6);
    expect(out.builds[1]).toBe(out.builds[0]);
    expect(storedEntries('cache')).toBe(3);
    expect(out.resources).toEqual([]);
  });
});

describe('Session', () => {
  afterEach(() => disposeSession());

  test('session() is created on first use and replaced after dispose(); disposing twice is harmless', () => {
    const first = session();
    expect(session()).toBe(first);
    disposeSession();
    expect(first.isDisposed).toBe(true);
    first.dispose();
    const second = session();
    expect(second).not.toBe(first);
    expect(second.isDisposed).toBe(false);
  });

  test('dispose() runs releases newest first, all of them even when one throws, then reports the failure', () => {
    const s = new Session();
    const order: string[] = [];
    s.onDispose(() => order.push('first'));
    s.onDispose(() => {
      order.push('second');
      throw new Error('boom');
    });
    s.onDispose(() => order.push('third'));
    expect(() => s.dispose()).toThrow(AggregateError);
    expect(order).toEqual(['third', 'second', 'first']);
  });

  test('dispose() forgets what the session learnt: warnings print again, the template tier is empty', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(warnOnce('session-test', 'once')).toBe(true);
      expect(warnOnce('session-test', 'once')).toBe(false);
      memoryTier.set('k', { template: { hoist: null, inline: null } as never, deps: [] });
      expect(memoryTier.get('k')).toBeDefined();
      disposeSession();
      expect(memoryTier.get('k')).toBeUndefined();
      expect(warnOnce('session-test', 'once')).toBe(true);
    } finally {
      write.mockRestore();
    }
  });

  test("a plugin instance of a disposed session is outdated: Babel runs the factory again", () => {
    let factoryRuns = 0;
    const counted = (api: object, options: object) => (factoryRuns++, (plugin as (api: object, options: object) => object)(api, options));
    const plugins = [[counted, { store: 'memory' }]]; // one identity, as a config file gives: Babel caches the instance
    const transform = () => babel.transformSync('export const x = 1;\n', { filename: path.join(ROOT, 'input.js'), babelrc: false, configFile: false, plugins });
    transform();
    transform();
    expect(factoryRuns).toBe(1);
    disposeSession();
    transform();
    expect(factoryRuns).toBe(2);
  });

  test('fs is wrapped on the first tracked call and unwrapped by dispose()', () => {
    const before = fs.readFileSync;
    const files: string[] = [];
    track({ fileRead: (f) => files.push(f), envRead: () => undefined, envListed: () => undefined }, () => fs.readFileSync(__filename));
    expect(new Set(files)).toEqual(new Set([__filename]));
    expect(fs.readFileSync).not.toBe(before);
    disposeSession();
    expect(fs.readFileSync).toBe(before);
  });
});

// Jest hands test code its own `module`, so Node's loader hooks are checked in a real process.
describe("Node's loader hooks", () => {
  const SCRIPT = `
const fs = require('fs');
const Module = require('module');
const os = require('os');
const path = require('path');
const { recordLoads } = require(${JSON.stringify(path.join(DIST, 'load', 'module-recorder.js'))});
const { disposeSession } = require(${JSON.stringify(path.join(DIST, 'build', 'session.js'))});
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-session-'));
const file = (name) => (fs.writeFileSync(path.join(dir, name), 'module.exports = ' + JSON.stringify(name) + ';'), path.join(dir, name));
const recorder = (seen) => ({ has: (f) => seen.includes(f), moduleLoaded: (f) => seen.push(f) });
const original = { load: Module._load, compile: Module.prototype._compile, json: Module._extensions['.json'] };
const same = () => [Module._load === original.load, Module.prototype._compile === original.compile, Module._extensions['.json'] === original.json];
const out = {};
const a = [];
recordLoads(recorder(a), () => require(file('a.js')));
out.recordedA = a.map((f) => path.basename(f));
out.hookedA = same();
disposeSession();
out.afterDispose = same();
// A hook another tool installs over ours stays when the session ends; ours then passes through.
recordLoads(recorder([]), () => undefined);
const ours = Module._load;
const theirs = function (...args) { return ours.apply(this, args); };
Module._load = theirs;
disposeSession();
out.theirsKept = Module._load === theirs;
const b = [];
recordLoads(recorder(b), () => require(file('b.js')));
out.recordedB = b.map((f) => path.basename(f));
disposeSession();
out.theirsKeptAgain = Module._load === theirs;
out.compileAndJsonRestored = same().slice(1);
fs.rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(out));
`;

  test('installed on the first recording, removed by dispose(); a hook installed over ours is kept and ours goes inert', () => {
    const r = node(['-e', SCRIPT]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      recordedA: ['a.js'],
      hookedA: [false, false, false],
      afterDispose: [true, true, true],
      theirsKept: true,
      recordedB: ['b.js'], // once: the inert hook under theirs records nothing
      theirsKeptAgain: true,
      compileAndJsonRestored: [true, true],
    });
  });
});
