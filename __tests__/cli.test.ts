/**
 * The `cached-macros` CLI (issue 4, point 4): the compiled binary run as a child process against
 * stores filled by real transforms of a temporary project (its own babel.config.js, macros and
 * sources), plus property tests of the signature-key parser `verify` relies on.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import fc from 'fast-check';
import { parseSignatureKey, SignatureKeyError } from '../src/signature/parse-key';
import { makeSignature, signatureKey } from '../src/signature';
import type { ArgType, ConstValue } from '../src/api/types';
import { stripAnsi } from './helpers/ansi';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'index.js');

let tmp: string;
let project: string;
let defaultStore: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI in `cwd` (default: the project). */
function cli(args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env.CACHED_MACROS_DEBUG;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: options.cwd ?? project, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs with `--json`, expects `code`, returns the parsed document. */
function cliJson(args: readonly string[], code = 0, options: { env?: Record<string, string>; cwd?: string } = {}): any {
  const r = cli([...args, '--json'], options);
  if (r.code !== code) throw new Error(`exit ${r.code} (expected ${code}) for ${args.join(' ')}\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout);
}

function write(rel: string, content: string): void {
  const file = path.join(project, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

function cachedMacro(body: string, extra = ''): string {
  return `const { CachedGenerator } = require('babel-plugin-cached-macros');
${extra}
module.exports = class extends CachedGenerator {
  generate(sig, ctx) {
    ${body}
  }
};
`;
}

const ID = (name: string) => `cli-fixture/macros/${name}.macro.js#default`;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cached-macros-cli-'));
  project = path.join(tmp, 'project');
  defaultStore = path.join(project, 'node_modules', '.cache', 'cached-macros');
  write('package.json', JSON.stringify({ name: 'cli-fixture', version: '1.0.0', private: true }));
  fs.mkdirSync(path.join(project, 'node_modules'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(project, 'node_modules', 'babel-plugin-cached-macros'), 'dir');
  write('babel.config.js', "module.exports = { plugins: [['babel-plugin-cached-macros', {}]] };\n");
  // Pure: a constant number doubles at build time, anything else gets a hoisted function.
  write(
    'macros/double.macro.js',
    cachedMacro(`const [a] = sig.args;
    if (a.kind === 'const' && typeof a.value === 'number') return { inline: String(a.value * 2) };
    return '(x) => x * 2';`),
  );
  // Impure: lists a directory behind the context's back (reads of files and variables would be tracked).
  write(
    'macros/salted.macro.js',
    cachedMacro(
      "return { inline: JSON.stringify(fs.readdirSync(path.join(__dirname, '..', 'salt')).join('+') + sig.key) };",
      "const fs = require('fs');\nconst path = require('path');",
    ),
  );
  write('salt/a', '');
  // Pure, with a recorded file dependency.
  write('macros/config.macro.js', cachedMacro("return { inline: JSON.stringify(JSON.parse(ctx.readFile('../data/config.json'))[sig.args[0].value]) };"));
  write('macros/plain.macro.js', "const { Generator } = require('babel-plugin-cached-macros');\nmodule.exports = class extends Generator { generate() { return { inline: '1' }; } };\n");
  write('macros/boom.macro.js', cachedMacro("ctx.error('boom is not allowed here', 0);"));
  write('macros/big.macro.js', cachedMacro("return { inline: JSON.stringify('x'.repeat(2000) + sig.args[0].value) };", 'const VERSION = 1;'));
  write('data/config.json', JSON.stringify({ port: 8080, host: 'localhost' }));
  write(
    'src/a.js',
    `import double from '../macros/double.macro';
import salted from '../macros/salted.macro';
import config from '../macros/config.macro';
import plain from '../macros/plain.macro';
export const values = [double(1), double(2), double(globalThis.n), salted('a'), config('port'), plain()];
`,
  );
  write(
    'src/b.js',
    `import double from '../macros/double.macro';
import salted from '../macros/salted.macro';
export const values = [double(1), double(3), salted('b')];
`,
  );
  write('src/nested/c.js', "import config from '../../macros/config.macro';\nexport const host = config('host');\n");
  write('src-bad/ok.js', "import double from '../macros/double.macro';\nexport const two = double(1);\n");
  write('src-bad/bad.js', "import boom from '../macros/boom.macro';\nexport const x = boom(1);\n");
  // 12 files × 25 calls, each with its own signature and a 2 kB expansion: a store of ~1 MB.
  for (let f = 0; f < 12; f++) {
    const calls = Array.from({ length: 25 }, (_, i) => `big(${f * 25 + i})`).join(', ');
    write(`src-many/m${String(f).padStart(2, '0')}.js`, `import big from '../macros/big.macro';\nexport const all = [${calls}];\n`);
  }
});

afterAll(() => {
  if (!process.env.KEEP_CLI_TMP) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('cached-macros CLI', () => {
  test('stats without a store reports an empty one and creates nothing', () => {
    const report = cliJson(['stats']);
    expect(report).toMatchObject({ cacheDir: defaultStore, exists: false, entries: 0, macros: [] });
    expect(fs.existsSync(defaultStore)).toBe(false);
    expect(cli(['stats']).stdout).toMatch(/No store in .* yet/);
  });

  test('warm fills the default store through the Babel config; a second warm is all hits', () => {
    const first = cliJson(['warm', 'src/**/*.js']);
    expect(first.cacheDirs).toEqual([defaultStore]);
    expect(first.files).toEqual({ matched: 3, transformed: 3, withMacros: 3, skipped: 0, failed: 0 });
    expect(first.macros['../macros/double.macro']).toMatchObject({ calls: 5, generated: 4, memoryHits: 1, storeHits: 0 });
    expect(first.macros['../macros/plain.macro']).toMatchObject({ calls: 1, generated: 1 });

    const second = cliJson(['warm', 'src/**/*.js']);
    expect(second.macros['../macros/double.macro']).toMatchObject({ generated: 0, storeHits: 4, memoryHits: 1 });
    expect(second.macros['../macros/salted.macro']).toMatchObject({ generated: 0, storeHits: 2 });
    expect(second.macros['../macros/plain.macro']).toMatchObject({ generated: 1 }); // never stored
    expect(second.totals.generated).toBe(1);

    const human = cli(['warm', 'src/**/*.js']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/│ total\s+│\s+10 │/);
    expect(human.stdout).toMatch(/3 of 3 files transformed \(3 with macros\)/);
    expect(human.stderr).toBe(''); // fewer than 10 files and no terminal: no progress output
  });

  test('stats lists each cached macro with its definition, entries and hits', () => {
    const report = cliJson(['stats']);
    expect(report).toMatchObject({ exists: true, epoch: 0, entries: 8, openEntries: 8 });
    expect(report.bytes).toBeGreaterThan(0);
    const byId = Object.fromEntries(report.macros.map((m: { macroId: string }) => [m.macroId, m]));
    expect(Object.keys(byId).sort()).toEqual([ID('config'), ID('double'), ID('salted')]);
    // Hits per macro over the three warms: memory hits in-process, store hits in later processes.
    expect(byId[ID('double')]).toMatchObject({ entries: 4, hits: 1 + 5 + 5, sinceEpoch: 0 });
    expect(byId[ID('salted')]).toMatchObject({ entries: 2, hits: 0 + 2 + 2 });
    expect(byId[ID('config')]).toMatchObject({ entries: 2, hits: 0 + 2 + 2 });
    expect(byId[ID('double')].fingerprint).toMatch(/^[0-9a-f]{32}$/);

    const human = cli(['stats']).stdout;
    expect(human).toContain('8 / 8');
    expect(human).toMatch(/│ cli-fixture\/macros\/double\.macro\.js#default │ [0-9a-f]{8} +│ +0 │ +4 │ +11 │/);
  });

  test('inspect shows signatures, epochs, dependencies and expansions', () => {
    const [double] = cliJson(['inspect', 'double']);
    expect(double.macroId).toBe(ID('double'));
    expect(double.entries.map((e: { sigKey: string }) => e.sigKey).sort()).toEqual(['(1)', '(2)', '(3)', '(unknown)']);
    const fn = double.entries.find((e: { sigKey: string }) => e.sigKey === '(unknown)');
    expect(fn).toMatchObject({ current: true, open: true, minEpoch: 0, maxEpoch: null, deps: [] });
    expect(fn.expansion).toEqual({ hoist: 'x => x * 2', inline: '$hoisted($0)', helpers: [] });

    const [config] = cliJson(['inspect', 'config.macro']);
    expect(config.entries[0].deps).toEqual([
      // Stored relative to the project root, so another checkout sharing the store checks its own copy.
      expect.objectContaining({ kind: 'file', path: 'data/config.json' }),
    ]);

    const human = cli(['inspect', 'double']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${ID('double')}  (definition `);
    expect(human.stdout).toMatch(/#\d \(unknown\)\n {2}hoist:\n {4}x => x \* 2\n {2}inline:\n {4}\$hoisted\(\$0\)/);
    expect(cli(['inspect', 'config']).stdout).toContain('file data/config.json');
    expect(cli(['inspect', 'double', '--no-code']).stdout).not.toContain('hoist:');

    // A substring can match several macros; an exact id only its own.
    expect(cliJson(['inspect', 'cli-fixture/macros/'])).toHaveLength(3);
    expect(cliJson(['inspect', ID('salted')]).map((m: { macroId: string }) => m.macroId)).toEqual([ID('salted')]);

    const none = cli(['inspect', 'no-such-macro']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('cached-macros: error: no cached macro matches "no-such-macro"');
  });

  test('verify reproduces pure generators and exits 0', () => {
    const report = cliJson(['verify']);
    expect(report).toMatchObject({ ok: true, totals: { ok: 8, mismatch: 0, error: 0, skipped: 0 }, results: [] });
    expect(cliJson(['verify', 'double', '--verbose']).results).toHaveLength(4);
    expect(cli(['verify']).stdout).toContain('verified 8 entries: all reproduced');
  });

  test('verify reports an impure generator with its macro and signature, and exits 1', () => {
    write('salt/b', ''); // what `salted` lists changes; nothing it declared (or that was tracked) did
    try {
      const report = cliJson(['verify'], 1);
      expect(report.ok).toBe(false);
      expect(report.totals).toEqual({ ok: 6, mismatch: 2, error: 0, skipped: 0 });
      expect(report.results.map((r: { macroId: string; sigKey: string; status: string }) => [r.macroId, r.sigKey, r.status]).sort()).toEqual([
        [ID('salted'), '("a")', 'mismatch'],
        [ID('salted'), '("b")', 'mismatch'],
      ]);
      expect(report.results[0].stored.inline).toMatch(/^"a\(/);
      expect(report.results[0].fresh.inline).toMatch(/^"a\+b\(/);

      const human = cli(['verify', 'salted']);
      expect(human.code).toBe(1);
      expect(human.stdout).toContain(`${ID('salted')} ("a")`);
      expect(human.stdout).toMatch(/2 entries differ/);
      // Only the named macro is checked.
      expect(cli(['verify', 'double']).code).toBe(0);
    } finally {
      fs.rmSync(path.join(project, 'salt', 'b'));
    }
  });

  test('verify skips entries whose recorded file changed, and entries of a changed macro', () => {
    const configFile = path.join(project, 'data', 'config.json');
    const saved = fs.readFileSync(configFile, 'utf8');
    write('data/config.json', JSON.stringify({ port: 9090, host: 'example.org' }));
    try {
      const report = cliJson(['verify', 'config']);
      expect(report.totals).toEqual({ ok: 0, mismatch: 0, error: 0, skipped: 2 });
    } finally {
      fs.writeFileSync(configFile, saved);
    }

    const macroFile = path.join(project, 'macros', 'double.macro.js');
    fs.appendFileSync(macroFile, '// edited\n');
    const verbose = cliJson(['verify', 'double', '--verbose']);
    expect(verbose.totals).toEqual({ ok: 0, mismatch: 0, error: 0, skipped: 4 });
    expect(verbose.results[0].reason).toContain('macro definition changed');
  });

  test('the next build caps the old definition: a new epoch, and gc drops what falls out of the window', () => {
    const warmed = cliJson(['warm', 'src/**/*.js']);
    expect(warmed.macros['../macros/double.macro']).toMatchObject({ generated: 4 });
    let stats = cliJson(['stats']);
    expect(stats).toMatchObject({ epoch: 1, entries: 12, openEntries: 8 });
    expect(cliJson(['verify', 'double']).totals).toEqual({ ok: 4, mismatch: 0, error: 0, skipped: 0 });
    const [double] = cliJson(['inspect', 'double']);
    expect(double.entries.filter((e: { current: boolean; maxEpoch: number | null }) => !e.current && e.maxEpoch === 0)).toHaveLength(4);
    expect(cliJson(['inspect', 'double', '--open'])[0].entries).toHaveLength(4);

    // Capped at epoch 0, epoch now 1: kept by a window of 1 epoch, dropped by a window of 0.
    expect(cliJson(['gc', '--keep-epochs', '1']).dropped).toEqual({ retention: 0, size: 0 });
    const gc = cliJson(['gc', '--keep-epochs', '0']);
    expect(gc).toMatchObject({ epoch: 1, dropped: { retention: 4, size: 0 }, before: { entries: 12 }, after: { entries: 8 } });
    stats = cliJson(['stats']);
    expect(stats).toMatchObject({ entries: 8, openEntries: 8 });
    expect(cli(['gc']).stdout).toMatch(/capped before epoch 0 \(--keep-epochs 10\) │ +0 │/);
  });

  test('warm --cache-dir fills another store; gc --max-size trims it to the budget, capped entries first', () => {
    const store = path.join(tmp, 'big-store');
    const warmed = cli(['warm', 'src-many/*.js', '--cache-dir', store, '--json']);
    expect(warmed.code).toBe(0);
    expect(JSON.parse(warmed.stdout)).toMatchObject({ cacheDirs: [store], totals: { generated: 300 } });
    // 12 files and no terminal: plain progress lines on stderr, one per tenth.
    expect(warmed.stderr.trim().split('\n')).toEqual(expect.arrayContaining(['warm: 12/12']));
    expect(cliJson(['stats']).entries).toBe(8); // the default store is untouched

    // A new definition of `big`, used by one file: 300 capped entries and 25 open ones.
    const macroFile = path.join(project, 'macros', 'big.macro.js');
    fs.writeFileSync(macroFile, fs.readFileSync(macroFile, 'utf8').replace('VERSION = 1', 'VERSION = 2'));
    cliJson(['warm', 'src-many/m11.js', '--cache-dir', store]);
    const before = cliJson(['stats', '--cache-dir', store]);
    expect(before).toMatchObject({ epoch: 1, entries: 325, openEntries: 25 });
    expect(before.bytes).toBeGreaterThan(700_000);

    const budget = 300 * 1024;
    const trimmed = cliJson(['gc', '--max-size', '300k', '--cache-dir', store]);
    expect(trimmed.after.bytes).toBeLessThanOrEqual(budget);
    expect(trimmed.after.bytes).toBeGreaterThan(budget / 3); // not everything went
    expect(trimmed.dropped.size).toBe(325 - trimmed.after.entries);
    const [big] = cliJson(['inspect', 'big', '--cache-dir', store, '--no-code']);
    const open = big.entries.filter((e: { open: boolean }) => e.open);
    const capped = big.entries.filter((e: { open: boolean }) => !e.open);
    expect(open).toHaveLength(25); // capped entries go first...
    const n = (e: { sigKey: string }) => Number(/\d+/.exec(e.sigKey)?.[0]);
    const kept = capped.map(n).sort((a: number, b: number) => a - b);
    // ...oldest written first: what remains of them is the newest run of the old definition.
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 300 - kept.length + i));

    // A budget below what open entries need drops those too, oldest first.
    const tight = cliJson(['gc', '--max-size', '100kb', '--cache-dir', store]);
    expect(tight.after.bytes).toBeLessThanOrEqual(100 * 1024);
    expect(cliJson(['stats', '--cache-dir', store]).openEntries).toBeLessThan(25);
  });

  test('clear drops every entry and macro record; the epoch stays', () => {
    const report = cliJson(['clear']);
    expect(report).toMatchObject({ exists: true, dropped: { entries: 8, macros: 3 } });
    expect(cliJson(['stats'])).toMatchObject({ exists: true, epoch: 1, entries: 0, macros: [] });
    expect(cli(['clear']).stdout).toMatch(/^Cleared 0 entries of 0 macros from /);
  });

  test('warm reports a failing file with its code frame, transforms the others, and exits 1', () => {
    const r = cli(['warm', 'src-bad/*.js']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error in src-bad/bad.js:');
    expect(r.stderr).toContain('boom is not allowed here');
    expect(stripAnsi(r.stderr)).toMatch(/> 2 \| export const x = boom\(1\);/);
    expect(r.stdout).toMatch(/1 of 2 files transformed \(1 with macros\), 1 failed/);
    const json = cliJson(['warm', 'src-bad/*.js'], 1);
    expect(json.errors).toEqual([{ file: 'src-bad/bad.js', message: expect.stringContaining('boom is not allowed here') }]);
  });

  test('warm fails clearly without the plugin in the Babel config, or without matching files', () => {
    const other = path.join(tmp, 'other');
    fs.mkdirSync(other, { recursive: true });
    fs.writeFileSync(path.join(other, 'babel.config.js'), 'module.exports = {};\n');
    fs.writeFileSync(path.join(other, 'x.js'), 'export const x = 1;\n');
    const r = cli(['warm', '*.js'], { cwd: other });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('does not use babel-plugin-cached-macros');

    const none = cli(['warm', 'nothing/**/*.js']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('cached-macros: error: no files match "nothing/**/*.js"');
  });

  test('a damaged store file is a failure, not an empty report', () => {
    const store = path.join(tmp, 'damaged');
    fs.mkdirSync(store, { recursive: true });
    fs.writeFileSync(path.join(store, 'store.sqlite'), 'this is not a database, just text '.repeat(200));
    const r = cli(['stats', '--cache-dir', store]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/store .*store.sqlite is damaged \(SQLITE_NOTADB/);
  });

  test('usage errors exit 2; --help works everywhere and exits 0', () => {
    for (const args of [[], ['bogus'], ['stats', '--bogus'], ['inspect'], ['gc', '--keep-epochs', 'x'], ['gc', '--keep-epochs', '-1'], ['gc', '--max-size', '10xb'], ['warm']]) {
      const r = cli(args);
      expect({ args, code: r.code, stderr: r.code === 2 ? "" : r.stderr }).toEqual({ args, code: 2, stderr: "" });
      expect(r.stderr).not.toBe('');
    }
    expect(cli(['gc', '--max-size', '10xb']).stderr).toContain("argument '10xb' is invalid");
    for (const command of ['stats', 'inspect', 'gc', 'clear', 'verify', 'warm']) {
      const r = cli([command, '--help']);
      expect({ command, code: r.code }).toEqual({ command, code: 0 });
      expect(r.stdout).toContain(`Usage: cached-macros ${command}`);
      expect(r.stdout).toContain('--cache-dir <dir>');
      expect(r.stdout).toContain('--json');
    }
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 success, 1 failure');
    expect(cli(['help', 'gc']).code).toBe(0);
    expect(cli(['--version']).stdout.trim()).toBe(require('../package.json').version);
  });

  test('package.json bin points at the compiled entry, which starts with a shebang', () => {
    const pkg = require('../package.json') as { bin: Record<string, string> };
    expect(pkg.bin['cached-macros']).toBe('dist/cli/index.js');
    expect(fs.readFileSync(path.join(ROOT, pkg.bin['cached-macros']), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// parseSignatureKey: the inverse of signatureKey

const KINDS = ['string', 'number', 'boolean', 'bigint', 'null', 'undefined', 'regexp', 'function', 'unknown'] as const;
const constValue: fc.Arbitrary<ConstValue> = fc.oneof(
  fc.constantFrom<ConstValue>('', 'a', 'NaN', 'null', ', ', ')', '"', '\\', 'a", "b', '\u2028', '\ud800', 0, -0, 1, 1e21, 5e-7, -1.5, NaN, Infinity, -Infinity, 1n, -1n, 0n, true, false, null, undefined),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.double(),
  fc.bigInt(),
);
const propertyName = fc.oneof(fc.constantFrom('a', '__proto__', '1', 'a b', '', '"', 'a: 1', '$x', '_'), fc.string());
const { argType } = fc.letrec<{ argType: ArgType }>((tie) => ({
  argType: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    constValue.map((value): ArgType => ({ kind: 'const', value })),
    fc.constantFrom(...KINDS).map((kind): ArgType => ({ kind })),
    fc.tuple(fc.string(), fc.option(fc.constantFrom('', 'g', 'iu'), { nil: undefined })).map(([pattern, flags]): ArgType => ({ kind: 'regexp', pattern, flags })),
    fc.array(tie('argType'), { maxLength: 3 }).map((elements): ArgType => ({ kind: 'array', elements })),
    fc
      .array(fc.tuple(propertyName, tie('argType')), { maxLength: 3 })
      .map((entries): ArgType => ({ kind: 'object', properties: Object.fromEntries(entries) })),
  ),
}));

describe('parseSignatureKey', () => {
  test('reads back exactly what signatureKey wrote', () => {
    fc.assert(
      fc.property(fc.array(argType, { maxLength: 4 }), (args) => {
        const key = signatureKey(args);
        const parsed = parseSignatureKey(key);
        expect(parsed).toEqual(makeSignature(args).args);
        expect(signatureKey(parsed)).toBe(key);
      }),
      { numRuns: 3000 },
    );
  });

  test('examples', () => {
    expect(parseSignatureKey('()')).toEqual([]);
    expect(parseSignatureKey('("%s=%d", string, number)')).toEqual([{ kind: 'const', value: '%s=%d' }, { kind: 'string' }, { kind: 'number' }]);
    expect(parseSignatureKey('(type null, null, -0, -12n, regexp "a\\\\d" "g", regexp)')).toEqual([
      { kind: 'null' },
      { kind: 'const', value: null },
      { kind: 'const', value: -0 },
      { kind: 'const', value: -12n },
      { kind: 'regexp', pattern: 'a\\d', flags: 'g' },
      { kind: 'regexp' },
    ]);
    expect(parseSignatureKey('({"a b": [1, "x"], __proto__: true})')).toEqual([
      { kind: 'object', properties: Object.fromEntries([['a b', { kind: 'array', elements: [{ kind: 'const', value: 1 }, { kind: 'const', value: 'x' }] }], ['__proto__', { kind: 'const', value: true }]]) },
    ]);
  });

  test.each(['', '(', ')', '(1,2)', '(1, )', '(01)', '(1.50)', '(1e21)', '(+1)', '(foo)', '(type string)', '("a)', '("\\x")', '(1) ', '({a 1})', '([1)', '(regexp "a")'])(
    'rejects %j',
    (key) => {
      expect(() => parseSignatureKey(key)).toThrow(SignatureKeyError);
    },
  );
});
