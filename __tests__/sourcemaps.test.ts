/**
 * Source maps and readable output for expanded code (issue 6, points 2 and 3): with Babel's
 * `sourceMaps` on, an inline expansion maps to its call site and a hoisted binding to the first
 * call site that produced it, also for an expansion served from the store to another file in
 * another process, and through an input source map. Stack traces are checked the way users see
 * them: the built code runs in a child `node --enable-source-maps`.
 *
 * The child processes load the compiled plugin: run `npx tsc -p .` before this suite.
 */
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import * as babel from '@babel/core';
import { TraceMap, eachMapping, originalPositionFor, type EncodedSourceMap } from '@jridgewell/trace-mapping';
import { expand, testBabel } from '../src/testing';

/** Babel 8's generator writes no identifier names into source maps (7 names each identifier). */
const MAPS_NAMES = Number(testBabel().core.version.split('.')[0]) < 8;

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist', 'index.js');

let dir: string;

function write(rel: string, content: string): string {
  const file = path.join(dir, rel);
  fs.writeFileSync(file, content);
  return file;
}

/** Line (1-based) of the first line of `file` containing `marker`. */
function lineOf(file: string, marker: string): number {
  const index = fs.readFileSync(path.join(dir, file), 'utf8').split('\n').findIndex((l) => l.includes(marker));
  if (index < 0) throw new Error(`${marker} not in ${file}`);
  return index + 1;
}

// Both macros throw at run time on bad input: one inside a hoisted function whose `throw` is on
// its third line, the other inside inline code.
const MACROS = `const { CachedGenerator, Generator } = require(${JSON.stringify(DIST)});
class Checked extends CachedGenerator {
  generate() {
    return {
      hoist: '(x) => {\\n  if (x < 0) {\\n    throw new RangeError("negative: " + x);\\n  }\\n  return x * 2;\\n}',
      inline: '$hoisted($0)',
    };
  }
}
class Up extends Generator {
  generate() {
    return { inline: '$0.toUpperCase() + "!"' };
  }
}
module.exports = { checked: Checked, up: Up };
`;

const APP = `import { checked, up } from './boom.macro';

export function first(n) {
  return checked(n); // first call
}

export function second(n) {
  const unused = 1;
  return checked(n); // second call
}

export function shout(s) {
  return up(
    s,
  );
}
`;

const OTHER = `// Another file: the same expansion, served from the store by another process.
import { checked } from './boom.macro';

const offset = 10;

export function viaStore(n) {
  return checked(n) + offset; // store call
}
`;

const TS_APP = `import { up } from './boom.macro';

type Name = string | null;

export function shoutTs(name: Name): string {
  return up(name as string); // ts call
}
`;

/**
 * The build driver: a separate process, as a build tool runs the plugin. Transforms each job's
 * file to CommonJS with an inline source map (through its input map, if any) and prints the reports.
 */
const DRIVER = `const fs = require('fs');
const babel = require(${JSON.stringify(require.resolve('@babel/core'))});
const [cacheDir, jobsJson] = process.argv.slice(2);
const reports = {};
for (const job of JSON.parse(jobsJson)) {
  const r = babel.transformSync(fs.readFileSync(job.file, 'utf8'), {
    filename: job.file,
    configFile: false,
    babelrc: false,
    sourceMaps: 'inline',
    inputSourceMap: job.inputMap ? JSON.parse(fs.readFileSync(job.inputMap, 'utf8')) : undefined,
    plugins: [[${JSON.stringify(DIST)}, { cacheDir }], ${JSON.stringify(require.resolve('@babel/plugin-transform-modules-commonjs'))}],
  });
  fs.writeFileSync(job.out, r.code);
  reports[job.out] = r.metadata.cachedMacros;
}
process.stdout.write(JSON.stringify(reports));
`;

/** Calls `fn(...args)` exported by each module in a child `node --enable-source-maps`; returns the error stacks. */
const RUNNER = `const calls = JSON.parse(process.argv[2]);
const stacks = calls.map(([file, fn, arg]) => {
  try {
    require(file)[fn](arg);
    return null;
  } catch (e) {
    return e.stack;
  }
});
process.stdout.write(JSON.stringify(stacks));
`;

interface Report {
  macros: Record<string, { generated: number; storeHits: number; memoryHits: number }>;
}

function build(jobs: Array<{ file: string; out: string; inputMap?: string }>): Record<string, Report> {
  const abs = jobs.map((j) => ({ file: path.join(dir, j.file), out: path.join(dir, j.out), inputMap: j.inputMap && path.join(dir, j.inputMap) }));
  const out = execFileSync(process.execPath, [path.join(dir, 'driver.js'), path.join(dir, 'cache'), JSON.stringify(abs)], { encoding: 'utf8' });
  const reports = JSON.parse(out) as Record<string, Report>;
  return Object.fromEntries(Object.entries(reports).map(([k, v]) => [path.basename(k), v]));
}

interface Frame {
  name: string;
  file: string;
  line: number;
}

/** Runs the calls in one child process with source maps enabled; returns each call's top frames. */
function run(calls: Array<[string, string, unknown]>): Frame[][] {
  const abs = calls.map(([file, fn, arg]) => [path.join(dir, file), fn, arg]);
  const out = execFileSync(process.execPath, ['--enable-source-maps', path.join(dir, 'runner.js'), JSON.stringify(abs)], { encoding: 'utf8' });
  return (JSON.parse(out) as Array<string | null>).map((stack) => {
    if (stack === null) throw new Error('the call did not throw');
    return stack
      .split('\n')
      .map((l) => /^\s+at (?:(.*?) \()?(.*):(\d+):\d+\)?$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[1] ?? '', file: m[2], line: Number(m[3]) }));
  });
}

beforeAll(() => {
  if (!fs.existsSync(DIST)) throw new Error('dist/ is missing: run `npx tsc -p .` first');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-maps-'));
  write('boom.macro.js', MACROS);
  write('app.js', APP);
  write('other.js', OTHER);
  write('app.ts', TS_APP);
  write('driver.js', DRIVER);
  write('runner.js', RUNNER);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the maps Babel writes (in process)', () => {
  let map: TraceMap;
  let code: string[];
  beforeAll(() => {
    const result = expand(APP, { filename: path.join(dir, 'app.js'), babel: { sourceMaps: true } });
    map = new TraceMap(result.map as unknown as EncodedSourceMap);
    code = result.code.split('\n');
  });

  /** Original line of the first generated occurrence of `text` (on the generated line containing `lineMarker`). */
  const originalLine = (text: string, lineMarker = text): number | null => {
    const line = code.findIndex((l) => l.includes(lineMarker));
    const column = code[line].indexOf(text);
    return originalPositionFor(map, { line: line + 1, column }).line;
  };

  it('maps every line of a hoisted binding to the first call site that produced it', () => {
    const first = lineOf('app.js', 'first call');
    const start = code.findIndex((l) => l.startsWith('const _checked$any = '));
    const end = code.findIndex((l, i) => i > start && l.startsWith('};'));
    expect(start).toBeGreaterThanOrEqual(0);
    for (let i = start; i <= end; i++) {
      expect([i + 1, originalPositionFor(map, { line: i + 1, column: code[i].search(/\S/) }).line]).toEqual([i + 1, first]);
    }
  });

  it('maps each rewritten call to its own call site, and the arguments to themselves', () => {
    expect(originalLine('_checked$any(n)', 'first call')).toBe(lineOf('app.js', 'first call'));
    expect(originalLine('_checked$any(n)', 'second call')).toBe(lineOf('app.js', 'second call'));
    const line = code.findIndex((l) => l.includes('toUpperCase'));
    const arg = originalPositionFor(map, { line: line + 1, column: code[line].indexOf('s.toUpperCase') });
    expect(arg).toMatchObject({ line: lineOf('app.js', '    s,'), column: 4, ...(MAPS_NAMES && { name: 's' }) });
  });

  it('maps created code in a multi-line call to the line that names the macro', () => {
    expect(originalLine('toUpperCase()')).toBe(lineOf('app.js', 'return up('));
    expect(originalLine('+ "!"', 'toUpperCase')).toBe(lineOf('app.js', 'return up('));
  });

  it('gives created identifiers no original name (only the source file’s own identifiers have one)', () => {
    const names = new Set<string>();
    eachMapping(map, (m) => void (m.name && names.add(m.name)));
    expect([...names].sort()).toEqual(MAPS_NAMES ? ['first', 'n', 's', 'second', 'shout', 'unused'] : []);
  });
});

describe('readable output', () => {
  it('names hoisted bindings after the macro and signature, and the debug log says which is which', () => {
    const lines: string[] = [];
    const saved = process.env.CACHED_MACROS_DEBUG;
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      process.env.CACHED_MACROS_DEBUG = '1';
      const { code } = expand(APP, { filename: path.join(dir, 'app.js') });
      expect(code).toMatch(/^const _checked\$any = /m);
    } finally {
      spy.mockRestore();
      if (saved === undefined) delete process.env.CACHED_MACROS_DEBUG;
      else process.env.CACHED_MACROS_DEBUG = saved;
    }
    expect(lines.join('')).toContain(`app.js:${lineOf('app.js', 'first call')}: _checked$any = checked(unknown)`);
  });
});

describe('stack traces under node --enable-source-maps', () => {
  let reports: Record<string, Report>;
  beforeAll(() => {
    reports = build([{ file: 'app.js', out: 'app.out.js' }]);
  });

  it('a throw inside a hoisted expansion names the original file, the first call site and the binding', () => {
    const [first, second] = run([
      ['app.out.js', 'first', -1],
      ['app.out.js', 'second', -2],
    ]);
    const app = path.join(dir, 'app.js');
    // The hoisted function is named after the macro and signature, and maps to the first call site…
    expect(first[0]).toEqual({ name: '_checked$any', file: app, line: lineOf('app.js', 'first call') });
    expect(second[0]).toEqual({ name: '_checked$any', file: app, line: lineOf('app.js', 'first call') });
    // …and the frame below it is the call site that ran it.
    expect(first[1]).toMatchObject({ file: app, line: lineOf('app.js', 'first call') });
    expect(first[1].name).toMatch(/first$/);
    expect(second[1]).toMatchObject({ file: app, line: lineOf('app.js', 'second call') });
    expect(second[1].name).toMatch(/second$/);
    expect(reports['app.out.js'].macros['./boom.macro#checked'].generated).toBe(1);
  });

  it('a throw inside an inline expansion names the original file and the call site line', () => {
    const [[top]] = run([['app.out.js', 'shout', null]]);
    expect(top).toMatchObject({ file: path.join(dir, 'app.js'), line: lineOf('app.js', 'return up(') });
    expect(top.name).toMatch(/shout$/);
  });

  it('an expansion served from the store maps to the call sites of the file reusing it', () => {
    // A second process: nothing in memory, the expansion comes from the store.
    const other = build([{ file: 'other.js', out: 'other.out.js' }])['other.out.js'].macros['./boom.macro#checked'];
    expect(other).toMatchObject({ generated: 0, storeHits: 1 });
    const [frames] = run([['other.out.js', 'viaStore', -1]]);
    const file = path.join(dir, 'other.js');
    const line = lineOf('other.js', 'store call');
    expect(frames[0]).toEqual({ name: '_checked$any', file, line });
    expect(frames[1]).toMatchObject({ file, line });
  });

  it('chains through an input source map (TypeScript stripped by an earlier pass)', () => {
    const stripped = babel.transformSync(TS_APP, {
      filename: path.join(dir, 'app.ts'),
      configFile: false,
      babelrc: false,
      sourceMaps: true,
      presets: [require.resolve('@babel/preset-typescript')],
    });
    write('app.stripped.js', stripped?.code ?? '');
    write('app.stripped.map.json', JSON.stringify(stripped?.map));
    build([{ file: 'app.stripped.js', out: 'app.ts.out.js', inputMap: 'app.stripped.map.json' }]);
    const [[top]] = run([['app.ts.out.js', 'shoutTs', null]]);
    expect(top).toMatchObject({ file: path.join(dir, 'app.ts'), line: lineOf('app.ts', 'ts call') });
  });
});
