/**
 * Generation semantics across separate Node processes sharing one cache directory: how many
 * times generators run, what is stored, and what invalidates it (issue 2, point 6).
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import readline from 'readline';
import { openLedger } from '../src/store';
import { openStoreAdmin } from '../src/store/admin';

const DRIVER = path.join(__dirname, 'helpers', 'build.js');
const DIST = path.resolve(__dirname, '..', 'dist', 'index.js');

interface FileResult {
  code: string;
  report: { epoch: number | null; macros: Record<string, { generated: number; storeHits: number; memoryHits: number; invalidations: number }> } | null;
}

let dir: string;
let cacheDir: string;

/** A macro that logs each generator call to gen.log next to it (a side channel independent of our reports). */
function macroSource(base: 'Generator' | 'CachedGenerator', body: string, extra = ''): string {
  return `const fs = require('fs');
const path = require('path');
const { ${base} } = require(${JSON.stringify(DIST)});
${extra}
module.exports = class extends ${base} {
  generate(sig, ctx) {
    fs.appendFileSync(path.join(__dirname, 'gen.log'), path.basename(__filename) + ' ' + sig.key + '\\n');
    ${body}
  }
};
`;
}

function write(rel: string, content: string): void {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/** Runs one build in a fresh process; returns per-file results. */
function build(files: string[], env: Record<string, string> = {}): Record<string, FileResult> {
  const out = execFileSync(process.execPath, [DRIVER, JSON.stringify({ cacheDir }), ...files.map((f) => path.join(dir, f))], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

function genLog(): string[] {
  const file = path.join(dir, 'gen.log');
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
  fs.rmSync(file, { force: true });
  return lines;
}

function epoch(): number {
  const store = openLedger({ kind: 'fs', cacheDir });
  try {
    return store.currentEpoch();
  } finally {
    store.close();
  }
}

/** Bumps a file's mtime past the previous one even on coarse-grained file systems. */
function touchLater(rel: string): void {
  const file = path.join(dir, rel);
  const t = new Date(Date.now() + 5000);
  fs.utimesSync(file, t, t);
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-gen-'));
  cacheDir = path.join(dir, 'cache');
  write('lib/suffix.js', `module.exports = '-v1';\n`);
  write(
    'count.macro.js',
    macroSource(
      'CachedGenerator',
      `return { hoist: '() => ' + JSON.stringify(sig.key + suffix), inline: '$hoisted()' };`,
      `const suffix = require('./lib/suffix');`,
    ),
  );
  write('plain.macro.js', macroSource('Generator', `return { inline: JSON.stringify('plain ' + sig.key) };`));
  write(
    'file.macro.js',
    macroSource('CachedGenerator', `return { inline: JSON.stringify(ctx.readFile('./data/' + sig.args[0].value).trim()) };`),
  );
  write('env.macro.js', macroSource('CachedGenerator', `return { inline: JSON.stringify(String(ctx.env(sig.args[0].value))) };`));
  write('data/a.txt', 'alpha\n');
  write('data/b.txt', 'beta\n');
  write('a.js', `import count from './count.macro';\nimport plain from './plain.macro';\nexport const x = [count(1), count('s'), count(1), plain(1), plain(2), plain(1)];\n`);
  write('b.js', `import count from './count.macro';\nimport plain from './plain.macro';\nexport const y = [count(1), count(true), plain(1)];\n`);
  write('c.js', `import file from './file.macro';\nimport env from './env.macro';\nexport const z = [file('a.txt'), file('b.txt'), env('CM_TEST_A'), env('CM_TEST_B')];\n`);
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('plain Generator: once per distinct signature per file, in every build, never stored', () => {
  build(['a.js', 'b.js']);
  const first = genLog().filter((l) => l.startsWith('plain'));
  expect(first.sort()).toEqual(['plain.macro.js (1)', 'plain.macro.js (1)', 'plain.macro.js (2)']);
  build(['a.js', 'b.js']);
  expect(genLog().filter((l) => l.startsWith('plain'))).toHaveLength(3);
  const store = openStoreAdmin(cacheDir)!;
  try {
    expect(store.stats().macros.map((m) => m.macroId).filter((id) => id.includes('plain'))).toEqual([]);
  } finally {
    store.close();
  }
});

test('CachedGenerator: once per distinct signature across files and processes; a warm build generates nothing and is byte-identical', () => {
  const cold = build(['a.js', 'b.js']);
  expect(genLog().filter((l) => l.startsWith('count')).sort()).toEqual([
    'count.macro.js ("s")',
    'count.macro.js (1)',
    'count.macro.js (true)',
  ]);
  expect(cold['a.js'].report?.macros['./count.macro'].generated).toBe(2);
  expect(cold['b.js'].report?.macros['./count.macro'].generated).toBe(1);
  const warm = build(['a.js', 'b.js']);
  expect(genLog().filter((l) => l.startsWith('count'))).toEqual([]);
  expect(warm['a.js'].code).toBe(cold['a.js'].code);
  expect(warm['b.js'].code).toBe(cold['b.js'].code);
  expect(warm['a.js'].report?.macros['./count.macro'].storeHits).toBe(2);
  expect(warm['a.js'].report?.macros['./count.macro'].generated).toBe(0);
});

test.each([
  ['the macro module', 'count.macro.js', (s: string) => s.replace('+ suffix', "+ suffix + '!'")],
  ['a local module it requires', 'lib/suffix.js', () => `module.exports = '-v2';\n`],
  ['its static version', 'count.macro.js', (s: string) => s.replace('generate(sig, ctx) {', "static version = '2';\n  generate(sig, ctx) {")],
])('editing %s regenerates, and the epoch goes up by exactly one', (_what, file, edit) => {
  build(['a.js', 'b.js']);
  genLog();
  const before = epoch();
  write(file, edit(fs.readFileSync(path.join(dir, file), 'utf8')));
  touchLater(file);
  const after = build(['a.js', 'b.js']);
  expect(genLog().filter((l) => l.startsWith('count')).sort()).toEqual([
    'count.macro.js ("s")',
    'count.macro.js (1)',
    'count.macro.js (true)',
  ]);
  expect(epoch()).toBe(before + 1);
  // A third build is warm again, and the epoch stays.
  build(['a.js', 'b.js']);
  expect(genLog().filter((l) => l.startsWith('count'))).toEqual([]);
  expect(epoch()).toBe(before + 1);
  if (file === 'lib/suffix.js') expect(after['a.js'].code).toContain('-v2');
});

test('a changed dependency read by expansions used in many files bumps the epoch once', () => {
  write('c2.js', `import file from './file.macro';\nexport const w = file('a.txt');\n`);
  write('c3.js', `import file from './file.macro';\nexport const w = [file('a.txt'), file('b.txt')];\n`);
  build(['c.js', 'c2.js', 'c3.js']);
  genLog();
  const before = epoch();
  write('data/a.txt', 'changed\n');
  const next = build(['c.js', 'c2.js', 'c3.js']);
  expect(genLog()).toEqual(['file.macro.js ("a.txt")']);
  expect(epoch()).toBe(before + 1);
  for (const f of ['c.js', 'c2.js', 'c3.js']) expect(next[f].code).toContain('"changed"');
});

test('a file read through ctx.readFile invalidates exactly the expansions that read it', () => {
  const cold = build(['c.js']);
  expect(cold['c.js'].code).toContain('"alpha"');
  genLog();
  const before = epoch();
  write('data/a.txt', 'ALPHA\n');
  const next = build(['c.js']);
  expect(genLog()).toEqual(['file.macro.js ("a.txt")']);
  expect(next['c.js'].code).toContain('"ALPHA"');
  expect(next['c.js'].code).toContain('"beta"');
  expect(next['c.js'].report?.macros['./file.macro'].invalidations).toBe(1);
  expect(epoch()).toBe(before + 1);
  build(['c.js']);
  expect(genLog()).toEqual([]);
});

test('an environment variable read through ctx.env invalidates exactly the expansions that read it', () => {
  build(['c.js'], { CM_TEST_A: '1', CM_TEST_B: '2' });
  genLog();
  const next = build(['c.js'], { CM_TEST_A: 'changed', CM_TEST_B: '2' });
  expect(genLog()).toEqual(['env.macro.js ("CM_TEST_A")']);
  expect(next['c.js'].code).toContain('"changed"');
  const unset = build(['c.js'], { CM_TEST_B: '2' });
  expect(genLog()).toEqual(['env.macro.js ("CM_TEST_A")']);
  expect(unset['c.js'].code).toContain('"undefined"');
});

test('a build pins the epoch it started with while another process moves it', async () => {
  write('other.macro.js', macroSource('CachedGenerator', `return { inline: '1' };`));
  write('d.js', `import other from './other.macro';\nexport const o = other();\n`);
  const child = spawn(process.execPath, [DRIVER, JSON.stringify({ cacheDir }), '--stdin'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ask = async (files: string[]) => {
    child.stdin.write(JSON.stringify(files.map((f) => path.join(dir, f))) + '\n');
    const { value } = await lines.next();
    const reply = JSON.parse(value as string);
    if (!reply.ok) throw new Error(reply.error);
    return reply.results as Record<string, FileResult>;
  };
  try {
    build(['d.js']); // other.macro recorded at epoch 0
    const first = await ask(['a.js']);
    const pinned = first['a.js'].report?.epoch;
    expect(pinned).toBe(epoch());
    // Another process changes a different macro: the store's epoch moves on.
    write('other.macro.js', fs.readFileSync(path.join(dir, 'other.macro.js'), 'utf8').replace("'1'", "'2'"));
    touchLater('other.macro.js');
    build(['d.js']);
    expect(epoch()).toBe((pinned as number) + 1);
    // The long-lived build keeps its epoch and its definitions, and still hits the store.
    genLog();
    const second = await ask(['b.js']);
    expect(second['b.js'].report?.epoch).toBe(pinned);
    expect(genLog().filter((l) => l.startsWith('count'))).toEqual(['count.macro.js (true)']);
  } finally {
    child.kill();
  }
});

test('a long-lived process (watch mode) picks up an edited macro and changed dependencies without a restart', async () => {
  const child = spawn(process.execPath, [DRIVER, JSON.stringify({ cacheDir }), '--stdin'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ask = async (files: string[]) => {
    child.stdin.write(JSON.stringify(files.map((f) => path.join(dir, f))) + '\n');
    const reply = JSON.parse((await lines.next()).value as string);
    if (!reply.ok) throw new Error(reply.error);
    return reply.results as Record<string, FileResult>;
  };
  try {
    expect((await ask(['a.js']))['a.js'].code).toContain('-v1');
    write('lib/suffix.js', `module.exports = '-v2';\n`);
    touchLater('lib/suffix.js');
    const second = await ask(['a.js']);
    expect(second['a.js'].code).toContain('-v2');
    expect(second['a.js'].code).not.toContain('-v1');
    expect((await ask(['c.js']))['c.js'].code).toContain('"alpha"');
    write('data/a.txt', 'watched\n');
    touchLater('data/a.txt');
    expect((await ask(['c.js']))['c.js'].code).toContain('"watched"');
  } finally {
    child.kill();
  }
});

test('files and variables read with plain fs / process.env are tracked as dependencies, and the debug log names them', () => {
  write(
    'sneaky.macro.js',
    macroSource(
      'CachedGenerator',
      `return { inline: JSON.stringify(readFileSync(path.join(__dirname, 'data', sig.args[0].value), 'utf8').trim() + ':' + process.env.CM_SNEAKY) };`,
      `const { readFileSync } = require('fs');`,
    ),
  );
  write('s.js', `import sneaky from './sneaky.macro';\nexport const s = [sneaky('a.txt'), sneaky('b.txt')];\n`);
  const run = (env: Record<string, string>) =>
    execFileSync(process.execPath, [DRIVER, JSON.stringify({ cacheDir }), path.join(dir, 's.js')], {
      env: { ...process.env, CACHED_MACROS_DEBUG: '1', ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const first = spawnSync(process.execPath, [DRIVER, JSON.stringify({ cacheDir }), path.join(dir, 's.js')], {
    env: { ...process.env, CACHED_MACROS_DEBUG: '1', CM_SNEAKY: 'x' },
    encoding: 'utf8',
  });
  expect(first.status).toBe(0);
  expect(first.stderr).toMatch(/read .*a\.txt directly \(fs\.readFileSync\)/);
  expect(first.stderr).toMatch(/read \$CM_SNEAKY directly \(process\.env\)/);
  expect(JSON.parse(first.stdout)['s.js'].code).toContain('"alpha:x"');
  genLog();
  run({ CM_SNEAKY: 'x' });
  expect(genLog()).toEqual([]);
  write('data/b.txt', 'BETA\n');
  const second = JSON.parse(run({ CM_SNEAKY: 'x' }));
  expect(genLog()).toEqual(['sneaky.macro.js ("b.txt")']);
  expect(second['s.js'].code).toContain('"BETA:x"');
  const third = JSON.parse(run({ CM_SNEAKY: 'y' }));
  expect(genLog().sort()).toEqual(['sneaky.macro.js ("a.txt")', 'sneaky.macro.js ("b.txt")']);
  expect(third['s.js'].code).toContain('"alpha:y"');
});

test('a dependency that changes back revives the retained expansion instead of regenerating', () => {
  build(['c.js'], { CM_TEST_A: 'one', CM_TEST_B: '2' });
  build(['c.js'], { CM_TEST_A: 'two', CM_TEST_B: '2' });
  genLog();
  const back = build(['c.js'], { CM_TEST_A: 'one', CM_TEST_B: '2' });
  expect(genLog()).toEqual([]);
  expect(back['c.js'].code).toContain('"one"');
  expect(back['c.js'].report?.macros['./env.macro'].storeHits).toBe(2);
  // The revived entry is open again: the next build with the same value is a plain hit.
  build(['c.js'], { CM_TEST_A: 'one', CM_TEST_B: '2' });
  expect(genLog()).toEqual([]);
  // Files restored to earlier content work the same way.
  write('data/a.txt', 'edited\n');
  build(['c.js'], { CM_TEST_A: 'one', CM_TEST_B: '2' });
  expect(genLog()).toEqual(['file.macro.js ("a.txt")']);
  write('data/a.txt', 'alpha\n');
  const restored = build(['c.js'], { CM_TEST_A: 'one', CM_TEST_B: '2' });
  expect(genLog()).toEqual([]);
  expect(restored['c.js'].code).toContain('"alpha"');
});
