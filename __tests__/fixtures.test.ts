/**
 * Fixture suites (fixtures/<suite>/<case>/input.js|ts → output.js, executed with `expect` in scope),
 * plus checks over the fixtures themselves and the per-file report of a few cases.
 *
 * Macro modules in fixtures/macros `require('babel-plugin-cached-macros')`, which resolves to
 * dist/: run `npx tsc -p .` before this suite.
 */
import fs from 'fs';
import path from 'path';
import { expand, loadFixtures, runFixture, runFixtures, type FixtureCase } from '../src/testing';
import type { FileReport, MacroReport } from '../src/api/types';
import { stripAnsi } from './helpers/ansi';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const SUITES = ['signatures', 'expansions', 'call-forms', 'typescript', 'helpers', 'errors'];

for (const suite of SUITES) runFixtures(path.join(FIXTURES, suite));
runFixtures(path.join(FIXTURES, 'compat')); // babel-plugin-macros createMacro macros (see __tests__/compat.test.ts)

const allCases = (): FixtureCase[] => SUITES.flatMap((suite) => loadFixtures(path.join(FIXTURES, suite)));

/** Babel highlights code frames when the terminal supports colours. */

describe('the fixtures themselves', () => {
  it('has at least 25 cases', () => {
    expect(allCases().length).toBeGreaterThanOrEqual(25);
  });

  it('every runnable case asserts what its expansion computes', () => {
    const runnable = allCases().filter((c) => c.options.throws === undefined && c.options.exec !== false);
    const silent = runnable.filter((c) => !/\bexpect\(/.test(fs.readFileSync(c.inputFile, 'utf8'))).map((c) => c.dir);
    expect(silent).toEqual([]);
  });

  // Errors about code must point at it: the message carries a code frame whose `>` line is the
  // offending source line (options.json "codeFrame"). Invalid plugin options have no code to point at.
  const framed = loadFixtures(path.join(FIXTURES, 'errors')).filter((c) => !c.dir.includes('invalid-option'));
  it.each(framed.map((c) => [c.name, c] as const))('errors/%s is code-framed at the offending line', (_name, fixture) => {
    const frame = (fixture.options as { codeFrame?: string }).codeFrame;
    expect(frame).toBeDefined();
    const result = runFixture(fixture);
    expect(result.error).toBeDefined();
    const marked = stripAnsi(result.error!.message)
      .split('\n')
      .filter((line) => /^>\s*\d+ \|/.test(line))
      .map((line) => line.replace(/^>\s*\d+ \| ?/, ''));
    expect(marked).toEqual([frame]);
  });
});

describe('per-file reports', () => {
  const caseFile = (rel: string) => {
    const dir = path.join(FIXTURES, rel);
    const input = ['input.js', 'input.ts'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f)) as string;
    const options = fs.existsSync(path.join(dir, 'options.json')) ? JSON.parse(fs.readFileSync(path.join(dir, 'options.json'), 'utf8')) : {};
    return { code: fs.readFileSync(input, 'utf8'), filename: input, babel: options.babel, pluginOptions: options.pluginOptions };
  };
  const reportOf = (rel: string): FileReport => {
    const { code, ...options } = caseFile(rel);
    const { report } = expand(code, options);
    if (!report) throw new Error(`no report for ${rel}`);
    return report;
  };
  /** Each signature is served exactly once: generated here, or a memory/store hit. */
  const served = (m: MacroReport) => m.generated + m.memoryHits + m.storeHits;

  it('hoist-once-per-signature: 5 fmt calls, 2 signatures; shout folded once', () => {
    const { macros } = reportOf('expansions/hoist-once-per-signature');
    expect(Object.keys(macros).sort()).toEqual(['../../macros/fmt.macro', '../../macros/shout.macro']);
    expect(macros['../../macros/fmt.macro']).toMatchObject({ calls: 5, signatures: 2, cached: true, invalidations: 0 });
    expect(served(macros['../../macros/fmt.macro'])).toBe(2);
    // A plain Generator runs once per signature per file and is never stored.
    expect(macros['../../macros/shout.macro']).toMatchObject({ calls: 2, signatures: 1, generated: 1, memoryHits: 0, storeHits: 0, cached: false });
  });

  it('hoists one binding per (macro, signature) in the output', () => {
    const { code, ...options } = caseFile('expansions/hoist-once-per-signature');
    const out = expand(code, options).code;
    expect(out.match(/^const _fmt\$\w+ = /gm)).toHaveLength(2);
  });

  it('constargs-widening: widened consts share one signature', () => {
    const { macros } = reportOf('signatures/constargs-widening');
    expect(macros['../../macros/fmt.macro']).toMatchObject({ calls: 3, signatures: 1 });
    expect(macros['../../macros/sig.macro#keepFirst']).toMatchObject({ calls: 1, signatures: 1, generated: 1 });
    expect(macros['../../macros/sig.macro#keepSecond']).toMatchObject({ calls: 1, signatures: 1 });
    expect(macros['../../macros/sig.macro']).toMatchObject({ calls: 1, signatures: 1 });
  });

  it('function-form: a CachedGenerator is served from memory on the second expansion of a file', () => {
    const first = reportOf('expansions/function-form').macros['../../macros/double.macro'];
    expect(first).toMatchObject({ calls: 5, signatures: 4, cached: true });
    expect(served(first)).toBe(4);
    const second = reportOf('expansions/function-form').macros['../../macros/double.macro'];
    expect(second).toMatchObject({ calls: 5, signatures: 4, generated: 0, memoryHits: 4 });
  });

  it('a plain Generator is called again for every file, per signature', () => {
    for (let i = 0; i < 2; i++) {
      const report = reportOf('call-forms/nested-calls');
      expect(report.macros['../../macros/shout.macro']).toMatchObject({ calls: 5, signatures: 3, generated: 3, memoryHits: 0 });
      expect(report.macros['../../macros/typeof.macro']).toMatchObject({ calls: 1, signatures: 1, generated: 1 });
    }
  });

  it('named and namespace imports are reported as source#name', () => {
    const { macros } = reportOf('call-forms/namespace-import');
    expect(Object.keys(macros).sort()).toEqual([
      '../../macros/args.macro#first',
      '../../macros/args.macro#swap',
      '../../macros/sig.macro',
      '../../macros/sig.macro#keepFirst',
      '../../macros/sig.macro#wide',
    ]);
  });

  it('helpers: imports only what the expansions use, once per file', () => {
    const folded = caseFile('helpers/helper-const-fold');
    const out = expand(folded.code, folded);
    expect(out.code).not.toMatch(/^import |require\(/m);
    expect(out.report?.macros['../../macros/helper.macro#clamp']).toMatchObject({ calls: 3, signatures: 3 });
    const once = caseFile('helpers/helper-imports-once');
    const code = expand(once.code, once).code;
    expect(code.match(/^import .* from "\.\.\/\.\.\/runtime\/math\.js";$/gm)).toEqual([
      'import { clamp as _clamp } from "../../runtime/math.js";',
      'import { lerp as _lerp } from "../../runtime/math.js";',
    ]);
  });

  it('a file without macro imports has no report; with only plain Generators, no epoch', () => {
    expect(expand('export const x = 1;', { filename: path.join(FIXTURES, 'x.js') }).report).toBeNull();
    expect(reportOf('expansions/inline-form').epoch).toBeNull();
    expect(typeof reportOf('helpers/read-files').epoch).toBe('number');
  });
});
