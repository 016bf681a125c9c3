/**
 * Test helpers for macro authors (`babel-plugin-cached-macros/testing`): expand a snippet and
 * get the output plus the per-file report, or run a folder of Babel-style fixtures.
 *
 * Fixture layout (Babel's own convention): `<dir>/<case>/input.js|ts`, `output.js` (the
 * expected output, written on first run or with `UPDATE_FIXTURES=1`), optional `options.json`
 * (`{ "pluginOptions": {…}, "babel": {…}, "throws": "message part", "exec": false }`).
 * Unless `exec` is false or the case throws, the output is also executed (as CommonJS, with
 * Jest's `expect` in scope) so assertions written in the input check what the expansion computes.
 */
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
import * as babel from '@babel/core';
import plugin, { METADATA_KEY } from './plugin/plugin';
import type { PluginOptions } from './build/options';
import type { FileReport } from './api/types';

/**
 * Babel options. The published types name no type of `@babel/core` (its names differ between
 * @types/babel__core for Babel 7 and Babel 8's own), so they check against either major.
 */
export interface BabelOptions {
  presets?: unknown[] | null;
  plugins?: unknown[] | null;
  [option: string]: unknown;
}

/** A source map as Babel returns it. */
export interface SourceMap {
  version: number;
  sources: string[];
  names: string[];
  mappings: string;
  file?: string;
  sourceRoot?: string;
  sourcesContent?: string[];
}

/** The part of a `@babel/core` the helpers use. */
export interface BabelCore {
  readonly version: string;
  transformSync(code: string, options: object): { code?: string | null; map?: SourceMap | null; metadata?: object } | null;
}

/** Result of {@link expand}. */
export interface ExpandResult {
  readonly code: string;
  readonly report: FileReport | null;
  /** The source map, when `babel.sourceMaps` asked for one. */
  readonly map: SourceMap | null | undefined;
}

/** Options of {@link expand}. */
export interface ExpandOptions {
  /** Used to resolve macro imports; default `<cwd>/input.js`. */
  filename?: string;
  pluginOptions?: PluginOptions;
  /** Extra Babel options (presets, plugins run after ours, sourceMaps, …). */
  babel?: BabelOptions;
}

/** The Babel core the helpers run, and a resolver for Babel packages installed beside it. */
export interface TestBabel {
  readonly core: BabelCore;
  /** Resolves a package (`@babel/preset-typescript`) from the core's location: presets and plugins must match its major. */
  resolve(request: string): string;
}

/** Environment variable naming the `@babel/core` (a path) the helpers run, e.g. a Babel 8 copy; default: this package's peer. */
export const TEST_BABEL_ENV = 'CACHED_MACROS_TEST_BABEL';

/**
 * The Babel core named by `CACHED_MACROS_TEST_BABEL`, else the `@babel/core` this package
 * resolves. Babel 8 is ESM-only: under Jest (whose registry cannot `require` ESM before Node
 * 24.9) the test environment loads it with Node's `require` and leaves it on the global
 * `Symbol.for('babel-plugin-cached-macros.test-babel')`; elsewhere it is required here.
 */
export function testBabel(): TestBabel {
  const chosen = process.env[TEST_BABEL_ENV];
  if (!chosen) return { core: babel, resolve: (request) => require.resolve(request) };
  const preloaded = (globalThis as Record<symbol, (TestBabel & { path: string }) | undefined>)[Symbol.for('babel-plugin-cached-macros.test-babel')];
  if (preloaded?.path === path.resolve(chosen)) return preloaded;
  const req = createRequire(path.resolve(chosen, 'package.json'));
  return { core: req(path.resolve(chosen)) as BabelCore, resolve: (request) => req.resolve(request) };
}

/** Babel packages named bare (`"@babel/preset-typescript"` in options.json) resolve beside the core in use. */
function resolvedItems(items: readonly unknown[] | undefined | null, t: TestBabel): unknown[] {
  const one = (item: unknown): unknown =>
    typeof item === 'string' && item.startsWith('@babel/') ? t.resolve(item) : Array.isArray(item) ? [one(item[0]), ...item.slice(1)] : item;
  return (items ?? []).map(one);
}

/** Expands macros in `code` with this plugin only (no babel.config.js is read). */
export function expand(code: string, options: ExpandOptions = {}): ExpandResult {
  const filename = options.filename ?? path.join(process.cwd(), 'input.js');
  const extra = options.babel ?? {};
  const t = testBabel();
  const result = t.core.transformSync(code, {
    filename,
    configFile: false,
    babelrc: false,
    ...extra,
    presets: resolvedItems(extra.presets, t),
    plugins: [[plugin, { store: 'memory', ...options.pluginOptions }], ...resolvedItems(extra.plugins, t)],
  });
  if (!result || result.code == null) throw new Error(`Babel returned no code for ${filename}`);
  const metadata = result.metadata as unknown as Record<string, unknown> | undefined;
  return { code: result.code, report: (metadata?.[METADATA_KEY] as FileReport | undefined) ?? null, map: result.map };
}

/** Runs CommonJS-transformed `code` as if it were `filename`, with `globals` in scope; returns its exports. */
export function execute(code: string, filename: string, globals: Record<string, unknown> = {}): Record<string, unknown> {
  const t = testBabel();
  const cjs = t.core.transformSync(code, {
    filename,
    configFile: false,
    babelrc: false,
    plugins: [t.resolve('@babel/plugin-transform-modules-commonjs')],
    presets: filename.endsWith('.ts') ? [t.resolve('@babel/preset-typescript')] : [],
  });
  const module = { exports: {} as Record<string, unknown> };
  const names = Object.keys(globals);
  const fn = new Function('require', 'module', 'exports', '__filename', '__dirname', ...names, cjs?.code ?? '');
  fn(createRequire(filename), module, module.exports, filename, path.dirname(filename), ...names.map((n) => globals[n]));
  return module.exports;
}

/** One fixture case's options.json. */
export interface FixtureOptions {
  pluginOptions?: PluginOptions;
  babel?: BabelOptions;
  /** Expected error: a substring of the message. */
  throws?: string;
  /** Set false when the output cannot run (e.g. it imports something that does not exist). */
  exec?: boolean;
}

/** A loaded fixture case. */
export interface FixtureCase {
  readonly name: string;
  readonly dir: string;
  readonly inputFile: string;
  readonly options: FixtureOptions;
}

/** Lists the fixture cases (folders with an input file) under `dir`, sorted. */
export function loadFixtures(dir: string): FixtureCase[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join(dir, d.name))
    .flatMap((caseDir) => {
      const input = ['input.js', 'input.ts', 'input.mjs'].map((f) => path.join(caseDir, f)).find((f) => fs.existsSync(f));
      if (!input) return [];
      const optionsFile = path.join(caseDir, 'options.json');
      const options = fs.existsSync(optionsFile) ? (JSON.parse(fs.readFileSync(optionsFile, 'utf8')) as FixtureOptions) : {};
      return [{ name: path.basename(caseDir), dir: caseDir, inputFile: input, options }];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Outcome of one fixture run. */
export interface FixtureResult {
  readonly output?: string;
  readonly expected?: string;
  readonly error?: Error;
  readonly report?: FileReport | null;
  readonly exports?: Record<string, unknown>;
}

/**
 * Runs one fixture: expands, compares with (or writes) `output.js`, executes the output.
 * Returns what happened; {@link runFixtures} turns it into Jest tests.
 */
export function runFixture(fixture: FixtureCase, globals: Record<string, unknown> = {}, update = !!process.env.UPDATE_FIXTURES): FixtureResult {
  const code = fs.readFileSync(fixture.inputFile, 'utf8');
  const outputFile = path.join(fixture.dir, 'output.js');
  let result: ExpandResult;
  try {
    result = expand(code, { filename: fixture.inputFile, pluginOptions: fixture.options.pluginOptions, babel: fixture.options.babel });
  } catch (error) {
    return { error: error as Error };
  }
  if (update || !fs.existsSync(outputFile)) fs.writeFileSync(outputFile, `${result.code}\n`);
  const expected = fs.readFileSync(outputFile, 'utf8').trimEnd();
  const exports = fixture.options.exec === false ? undefined : execute(result.code, outputFile.replace(/output\.js$/, 'output.exec.js'), globals);
  return { output: result.code.trimEnd(), expected, report: result.report, exports };
}

/** Registers one Jest test per fixture case under `dir` (needs Jest's globals). */
export function runFixtures(dir: string, title = path.basename(dir)): void {
  const g = globalThis as unknown as {
    describe: (name: string, fn: () => void) => void;
    it: (name: string, fn: () => void) => void;
    expect: ((v: unknown) => Record<string, (...a: unknown[]) => void>) & Record<string, unknown>;
  };
  g.describe(title, () => {
    for (const fixture of loadFixtures(dir)) {
      g.it(fixture.name, () => {
        const result = runFixture(fixture, { expect: g.expect });
        if (fixture.options.throws !== undefined) {
          g.expect(result.error?.message ?? 'did not throw').toContain(fixture.options.throws);
          return;
        }
        if (result.error) throw result.error;
        g.expect(result.output).toBe(result.expected);
      });
    }
  });
}
