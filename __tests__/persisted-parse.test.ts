/**
 * Parsed expansions kept in the store (template/persisted-parse.ts): the stored form gives back
 * exactly the template a parse gives, a row is keyed by the identity of the parsing code
 * (build/parser-identity.ts), and end to end, in fresh processes through dist/, a warm build
 * reads the rows instead of parsing and still equals a clean build byte for byte; damaged rows
 * cost one warning and a parse.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as babel from '@babel/core';
import fc from 'fast-check';
import type * as t from '@babel/types';
import { babelRuntime } from '../src/build/babel-runtime';
import { parserIdentity } from '../src/build/parser-identity';
import { disposeSession } from '../src/build/session';
import { compactCode } from '../src/template/compact';
import { decode, encode } from '../src/template/persisted-parse';
import { openDatabase } from '../src/store/sqlite-driver';
import { hash } from '../src/util/hash';
import { testBabel } from '../src/testing';

jest.setTimeout(60_000);

const runtime = babelRuntime(babel as unknown as Parameters<typeof babelRuntime>[0]);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-parsed-'));
afterAll(() => {
  disposeSession();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Expression code covering literals JSON must carry exactly (escapes, numbers, holes, regexps, BigInt). */
const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a', '$0', 'undefined', 'null', 'true', 'this', '10n', '0x1F', '1e21', '.5', '0b11', '1_000', '/x+\\//giu', '`t${a}\\n`', "'\\u2028é\\0'", '"\\ud800"'),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: 0 }).map((d) => String(d)),
    fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
    fc.tuple(tie('e'), fc.constantFrom('+', '-', '===', '&&', '??', 'in', '**'), tie('e')).map(([l, op, r]) => `(${l}) ${op} (${r})`),
    fc.tuple(tie('e'), fc.array(tie('e'), { maxLength: 3 })).map(([f, args]) => `(${f})(${args.join(', ')})`),
    fc.array(fc.option(tie('e'), { nil: '' }), { maxLength: 4 }).map((xs) => `[${xs.join(', ')}]`),
    fc.tuple(tie('e'), tie('e')).map(([k, v]) => `({ [${k}]: ${v}, q: 1, 'r': ${v}, m() { return ${k}; } })`),
    tie('e').map((b) => `(x, { y = 1 } = {}, ...z) => { const [, w = ${b}] = z; return w ?? x?.y; }`),
    tie('e').map((b) => `function f(a) { for (const k in a) if (!k) continue; else return ${b}; }`),
  ),
})).e;

/** Whether JSON gives `v` back exactly: no BigInt, undefined, non-finite or negative-zero number anywhere in it. */
function jsonExact(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (typeof v !== 'object') return false;
  return Object.values(v as object).every(jsonExact);
}

describe('the stored form', () => {
  test('property: decode(encode(template)) is the template, exactly (plain objects, same keys, same values)', () => {
    fc.assert(
      fc.property(fc.option(expression, { nil: null }), expression, (hoistCode, inlineCode) => {
        const hoist = hoistCode === null ? null : compactCode(runtime.parseExpression(hoistCode), runtime.types);
        const inline = compactCode(runtime.parseExpression(inlineCode), runtime.types);
        const data = encode({ hoist, inline });
        // Only a value JSON cannot carry makes a template unstorable.
        expect(data === null).toBe(!jsonExact([hoist, inline]));
        if (data) expect(decode(data)).toStrictEqual({ hoist, inline });
      }),
      { numRuns: 300 },
    );
  });

  test('a value JSON would not give back exactly is not stored', () => {
    const inf = compactCode(runtime.parseExpression('1e400'), runtime.types); // NumericLiteral Infinity
    expect(encode({ hoist: null, inline: inf })).toBeNull();
    const undef = { type: 'Identifier', name: 'a', optional: undefined } as unknown as t.Expression;
    expect(encode({ hoist: null, inline: undef })).toBeNull();
  });

  test('bytes that are not a stored template decode to null', () => {
    expect(decode(Buffer.from('not deflated'))).toBeNull();
    expect(decode(encode({ hoist: null, inline: { type: 'Identifier', name: 'a' } as t.Expression })!.subarray(0, 5))).toBeNull();
  });
});

describe('the identity of the parsing code', () => {
  /** A copy of @babel/template's lib and of the parser and types it loads, as a fake `require.cache` names them. */
  function layout(): { dir: string; loaded: NodeJS.Dict<{ exports: unknown }>; parser: string; lib: string; types: string } {
    const dir = fs.mkdtempSync(path.join(root, 'layout-'));
    const lib = path.join(dir, 'node_modules', '@babel', 'template', 'lib');
    fs.cpSync(path.dirname(require.resolve('@babel/template')), lib, { recursive: true });
    const parserDir = path.join(dir, 'node_modules', '@babel', 'parser');
    fs.mkdirSync(path.join(parserDir, 'lib'), { recursive: true });
    fs.writeFileSync(path.join(parserDir, 'package.json'), JSON.stringify({ name: '@babel/parser', main: 'lib/index.js' }));
    const parser = path.join(parserDir, 'lib', 'index.js');
    fs.copyFileSync(require.resolve('@babel/parser'), parser);
    const types = path.join(dir, 'node_modules', '@babel', 'types');
    fs.cpSync(path.dirname(require.resolve('@babel/types')), path.join(types, 'lib'), { recursive: true });
    fs.writeFileSync(path.join(types, 'package.json'), JSON.stringify({ name: '@babel/types', main: 'lib/index.js' }));
    return { dir, loaded: { [path.join(lib, 'index.js')]: { exports: { default: babel.template } } }, parser, lib, types };
  }
  const id = (loaded: NodeJS.Dict<{ exports: unknown }>, version = babel.version) => parserIdentity(babel.template, babel.types, version, loaded);

  test('changes with the parser and types the template loads, the template’s code and the core version', () => {
    const l = layout();
    const first = id(l.loaded);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(id(l.loaded)).toBe(first);
    expect(id(l.loaded, '7.0.0-other')).not.toBe(first);
    fs.appendFileSync(l.parser, '\n');
    const second = id(l.loaded);
    expect(second).not.toBe(first);
    fs.appendFileSync(path.join(l.lib, 'parse.js'), '\n');
    const third = id(l.loaded);
    expect(third).not.toBe(second);
    fs.appendFileSync(path.join(l.types, 'lib', 'modifications', 'removeProperties.js'), '\n');
    expect(id(l.loaded)).not.toBe(third);
  });

  test('is unknown (nothing persisted) where the template’s module is not found', () => {
    const l = layout();
    expect(id({})).toBeNull();
    // A module of the right name whose export is another object is not the core's template.
    expect(id({ [Object.keys(l.loaded)[0]]: { exports: { default: () => null } } })).toBeNull();
  });
});

/**
 * The builds below run the core CACHED_MACROS_TEST_BABEL names (helpers/build.js). Babel 8's is an
 * ES module, which is not in require.cache: its parses are not persisted (parser-identity.ts), and
 * its builds must still equal clean ones.
 */
const persisting = testBabel().core.version.startsWith('7.');

describe('end to end, in fresh processes', () => {
  const DRIVER = path.join(__dirname, 'helpers', 'build.js');
  const DIST = path.resolve(__dirname, '..', 'dist', 'index.js');
  const KINDS = {
    plain: { hoist: '(x) => typeof x === "string" && /^[a-z]+$/u.test(x)', inline: '$hoisted' },
    literals: { hoist: '() => [1e21, 0.1, 0x1F, "é\\u2028", `t${1}`, 10n, [, 2], { "q": 1, [k]: 2 }]', inline: '$hoisted()' },
    infinite: { hoist: null, inline: '[1e400]' },
  };

  function project(): string {
    const dir = fs.mkdtempSync(path.join(root, 'project-'));
    fs.mkdirSync(path.join(dir, 'macros'));
    fs.writeFileSync(
      path.join(dir, 'macros', 'make.macro.js'),
      `const { CachedGenerator } = require(${JSON.stringify(DIST)});
const KINDS = ${JSON.stringify(KINDS)};
module.exports = class extends CachedGenerator {
  generate(sig) {
    const k = KINDS[sig.args[0].value];
    return k.hoist ? { hoist: k.hoist, inline: k.inline } : { inline: k.inline };
  }
};
`,
    );
    fs.writeFileSync(
      path.join(dir, 'input.js'),
      `import make from './macros/make.macro';\nconst k = 'q';\nexport const v = [make('plain'), make('literals'), make('infinite')];\n`,
    );
    return dir;
  }

  interface Result {
    code: string;
    report: { macros: Record<string, { generated: number; storeHits: number }> };
    stderr: string;
  }
  function build(dir: string, options: Record<string, unknown>): Result {
    const r = spawnSync(process.execPath, [DRIVER, JSON.stringify(options), path.join(dir, 'input.js')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build failed (${r.status}): ${r.stderr}`);
    return { ...(JSON.parse(r.stdout) as Record<string, Result>)['input.js'], stderr: r.stderr };
  }
  const rows = (cacheDir: string) => {
    const db = openDatabase(path.join(cacheDir, 'store.sqlite'), { timeout: 2000, readonly: true });
    try {
      return db.prepare('SELECT key, data, checksum FROM parsed ORDER BY key').all() as Array<{ key: string; data: Uint8Array; checksum: string }>;
    } finally {
      db.close();
    }
  };
  const write = (cacheDir: string, sql: string, ...args: unknown[]) => {
    const db = openDatabase(path.join(cacheDir, 'store.sqlite'), { timeout: 2000 });
    try {
      db.prepare(sql).run(...args);
    } finally {
      db.close();
    }
  };
  const checksum = (key: string, data: Uint8Array) => hash(Buffer.concat([Buffer.from(`${key}\n`), data]));

  test('a cold build stores the parses; a warm build reads them and equals a clean build', () => {
    const dir = project();
    const cacheDir = path.join(dir, 'cache');
    const clean = build(dir, { store: 'memory' }).code;
    expect(build(dir, { cacheDir }).code).toBe(clean);
    // Two of the three: 1e400 parses to Infinity, which JSON cannot carry, so that one is parsed in every process.
    expect(rows(cacheDir)).toHaveLength(persisting ? 2 : 0);
    const warm = build(dir, { cacheDir });
    expect(warm.report.macros['./macros/make.macro']).toMatchObject({ generated: 0, storeHits: 3 });
    expect(warm.code).toBe(clean);
    expect(rows(cacheDir)).toHaveLength(persisting ? 2 : 0);
  });

  (persisting ? describe : describe.skip)('with a core whose parses persist', () => {
    test('the warm build uses the stored rows (a row replaced, with a valid checksum, shows in the output)', () => {
      const dir = project();
      const cacheDir = path.join(dir, 'cache');
      build(dir, { cacheDir });
      const target = rows(cacheDir).find((r) => JSON.stringify(decode(r.data)).includes('"pattern":"^[a-z]+$"'))!;
      const planted = encode({ hoist: compactCode(runtime.parseExpression('(x) => "planted"'), runtime.types), inline: compactCode(runtime.parseExpression('$hoisted'), runtime.types) })!;
      write(cacheDir, 'UPDATE parsed SET data = ?, checksum = ? WHERE key = ?', planted, checksum(target.key, planted), target.key);
      expect(build(dir, { cacheDir }).code).toContain('"planted"');
    });

    test('a damaged row costs one warning and a parse: the output is still the clean one, and the row is written again', () => {
      const dir = project();
      const cacheDir = path.join(dir, 'cache');
      const clean = build(dir, { store: 'memory' }).code;
      build(dir, { cacheDir });
      const [first] = rows(cacheDir);
      const damaged = Buffer.from(first.data);
      damaged[damaged.length >> 1] ^= 0xff;
      write(cacheDir, 'UPDATE parsed SET data = ? WHERE key = ?', damaged, first.key);
      const warm = build(dir, { cacheDir });
      expect(warm.code).toBe(clean);
      expect(warm.stderr.match(/\[cached-macros\] warning:.*damaged parsed expansions/g)).toHaveLength(1);
      expect(rows(cacheDir).find((r) => r.key === first.key)?.data).toEqual(first.data);
      expect(build(dir, { cacheDir }).stderr).not.toMatch(/warning/);
    });

    test('rows lost (gc, trim, another plugin version) are parsed and written again by the next build', () => {
      const dir = project();
      const cacheDir = path.join(dir, 'cache');
      const clean = build(dir, { store: 'memory' }).code;
      build(dir, { cacheDir });
      const before = rows(cacheDir);
      write(cacheDir, 'DELETE FROM parsed');
      expect(build(dir, { cacheDir }).code).toBe(clean);
      expect(rows(cacheDir)).toEqual(before);
    });
  });
});
