/**
 * Typed call sites (issue 6, point 1): `macro<F>(Generator)` gives an exported generator the
 * function type `F` for `tsc` and editors while the plugin still loads the branded class. Checked
 * with the real `tsc` on the example app, on a macro package written in TypeScript (its emitted
 * `.d.ts`), and on an app whose deliberately wrong calls must get the usual TS2345 / TS2554.
 *
 * Needs dist/ (the typings resolve `babel-plugin-cached-macros` to dist/index.d.ts): run
 * `npx tsc -p .` before this suite.
 */
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { CachedGenerator, Generator, isGeneratorClass, macro } from '../src';
import { execute, expand } from '../src/testing';

const ROOT = path.resolve(__dirname, '..');
const TSC = path.join(ROOT, 'node_modules', '.bin', 'tsc');
const EXAMPLES = path.join(ROOT, 'examples');

let dir: string;
let exampleApp: Promise<TscResult>;
/** Compiling the TypeScript macro package (its lib/ is what the app imports). */
let shoutMacro: Promise<TscResult>;

function write(rel: string, content: string): void {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

interface Diagnostic {
  file: string;
  line: number;
  code: string;
  message: string;
}

interface TscResult {
  status: number | null;
  diagnostics: Diagnostic[];
  output: string;
}

const TSC_ARGS = (project: string) => ['-p', project, '--pretty', 'false'];

/** Runs the real tsc; returns its exit status and parsed diagnostics (first line of each). */
function tsc(project: string): TscResult {
  const r = spawnSync(TSC, TSC_ARGS(project), { encoding: 'utf8' });
  return result(r.status, `${r.stdout}${r.stderr}`);
}

/** {@link tsc} in the background (tsc takes seconds: the independent runs overlap). */
function tscAsync(project: string): Promise<TscResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSC, TSC_ARGS(project));
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (status) => resolve(result(status, output)));
  });
}

function result(status: number | null, output: string): TscResult {
  const diagnostics = [...output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)].map((m) => ({
    file: path.basename(m[1]),
    line: Number(m[2]),
    code: m[3],
    message: m[4],
  }));
  return { status, diagnostics, output };
}

// A macro package written in TypeScript: `tsc --declaration` turns macro<F>() into its typings.
const SHOUT_MACRO = `import { CachedGenerator, Generator, macro, type Signature } from 'babel-plugin-cached-macros';

class Shout extends Generator {
  generate(sig: Signature) {
    const [text] = sig.args;
    if (text.kind === 'const') return { inline: JSON.stringify(String(text.value).toUpperCase()) };
    return { inline: '$0.toUpperCase()' };
  }
}

class Repeat extends CachedGenerator {
  static constArgs = [1];
  generate(sig: Signature) {
    const times = sig.args[1];
    if (times.kind !== 'const' || typeof times.value !== 'number') return { inline: 'Array.from({ length: $1 }, () => $0)' };
    return { inline: '[' + Array.from({ length: times.value }, () => '$0').join(', ') + ']' };
  }
}

/** Upper-cases \`text\`: at build time when it is a constant. */
export default macro<(text: string) => string>(Shout);

/** \`times\` copies of \`value\`. */
export const repeat = macro<<T>(value: T, times: number) => T[]>(Repeat);
`;

// Correct calls of every example macro form and of the TypeScript-authored macro.
const OK = `import printf, { fmt, printf as named } from 'printf.macro';
import * as pm from 'printf.macro';
import { validate, is } from 'schema.macro';
import shout, { repeat } from 'shout.macro';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const line: string = printf('%s has %d items', 'cart', 3);
export const forms: string = named('%d', 1) + pm.printf('%s', 'x') + pm.fmt\`\${2}%d\`;
export const total: string = fmt\`Total: \${12.5}%.2f EUR\`;

const checkUser = validate({ name: 'string(1..)', age: 'integer?', role: ['admin', 'user'] });
const isPoint = is({ x: 'number', y: 'number' });

export function describe(input: unknown): string {
  const r = checkUser(input);
  if (!r.ok) return r.errors.join('; ');
  const exact: Equals<typeof r.value, { name: string; role: 'admin' | 'user'; age?: number | undefined }> = true;
  return exact && isPoint(input) ? printf('%s at %d,%d', r.value.name, input.x, input.y) : shout(r.value.name);
}

export const loud: string = shout('hi');
export const three = repeat(7, 3);
const threeIsNumbers: Equals<typeof three, number[]> = true;
export const words: string[] = threeIsNumbers ? repeat('ab', 2) : [];
`;

// Each wrong call carries the diagnostic tsc must report on its line.
const WRONG = `import printf, { fmt } from 'printf.macro';
import * as pm from 'printf.macro';
import { validate, is } from 'schema.macro';
import shout, { repeat } from 'shout.macro';

printf(42); // TS2345: Argument of type 'number' is not assignable to parameter of type 'string'.
printf(); // TS2555: Expected at least 1 arguments, but got 0.
fmt('plain'); // TS2345: Argument of type 'string' is not assignable to parameter of type 'TemplateStringsArray'.
pm.printf(true, 1); // TS2345: Argument of type 'boolean' is not assignable to parameter of type 'string'.
validate(); // TS2554: Expected 1 arguments, but got 0.
is({ a: 'string' }, 2); // TS2554: Expected 1 arguments, but got 2.
shout(1); // TS2345: Argument of type 'number' is not assignable to parameter of type 'string'.
shout('a', 'b'); // TS2554: Expected 1 arguments, but got 2.
repeat('a'); // TS2554: Expected 2 arguments, but got 1.
export const n: number = shout('x'); // TS2322: Type 'string' is not assignable to type 'number'.
const r = validate({ age: 'integer' })({});
if (r.ok) console.log(r.value.name); // TS2339: Property 'name' does not exist on type '{ age: number; }'.
`;

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.d.ts'))) throw new Error('dist/ is missing: run `npx tsc -p .` first');
  exampleApp = tscAsync(path.join(EXAMPLES, 'app'));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-ts-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  // The packages as an app installs them (symlinks, like examples/node_modules).
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'babel-plugin-cached-macros'), 'dir');
  for (const p of ['printf.macro', 'schema.macro']) fs.symlinkSync(path.join(EXAMPLES, 'packages', p), path.join(dir, 'node_modules', p), 'dir');
  write('packages/shout.macro/src/index.ts', SHOUT_MACRO);
  write('packages/shout.macro/package.json', JSON.stringify({ name: 'shout.macro', version: '1.0.0', main: 'lib/index.js', types: 'lib/index.d.ts' }));
  write(
    'packages/shout.macro/tsconfig.json',
    JSON.stringify({
      compilerOptions: { target: 'ES2021', module: 'commonjs', moduleResolution: 'node', strict: true, declaration: true, outDir: 'lib', rootDir: 'src', skipLibCheck: true, types: [] },
      include: ['src'],
    }),
  );
  fs.symlinkSync(path.join(dir, 'packages', 'shout.macro'), path.join(dir, 'node_modules', 'shout.macro'), 'dir');
  shoutMacro = tscAsync(path.join(dir, 'packages', 'shout.macro'));
  write('app/ok.ts', OK);
  write('app/wrong.ts', WRONG);
  // The example app's own compiler options (strict, skipLibCheck off), on these two files.
  write('app/tsconfig.json', JSON.stringify({ extends: path.join(EXAMPLES, 'app', 'tsconfig.json'), include: [], files: ['ok.ts', 'wrong.ts'] }));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('macro()', () => {
  it('returns the generator class itself, so the plugin still finds its brand', () => {
    class Shout extends Generator {
      generate() {
        return { inline: '$0' };
      }
    }
    class Kept extends CachedGenerator {
      generate() {
        return { inline: '$0' };
      }
    }
    expect(macro<(s: string) => string>(Shout)).toBe(Shout);
    expect(isGeneratorClass(macro<(n: number) => number>(Kept))).toBe(true);
  });

  it('rejects anything that is not a Generator subclass, naming it', () => {
    const bad = macro as unknown as (v: unknown) => unknown;
    expect(() => bad(function shout() {})).toThrow(/macro\(\) expects a Generator subclass .*got the class or function shout/);
    expect(() => bad({ generate() {} })).toThrow(/got an object/);
    expect(() => bad(undefined)).toThrow(/got undefined/);
  });
});

describe('tsc', () => {
  it('type-checks the example app against the example macros (npx tsc -p examples/app)', async () => {
    const r = await exampleApp;
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('emits typings for a macro package written in TypeScript: each export is a Macro<F>', async () => {
    const r = await shoutMacro;
    expect(r.output).toBe('');
    const dts = fs.readFileSync(path.join(dir, 'packages', 'shout.macro', 'lib', 'index.d.ts'), 'utf8');
    expect(dts).toMatch(/declare const _default: import\("babel-plugin-cached-macros"\)\.Macro<\(text: string\) => string>;/);
    expect(dts).toMatch(/export declare const repeat: import\("babel-plugin-cached-macros"\)\.Macro<\(?<T>\(value: T, times: number\) => T\[\]\)?>;/);
  });

  it('accepts correct calls and reports each wrong call with the usual diagnostic, and nothing else', async () => {
    expect((await shoutMacro).status).toBe(0);
    const r = tsc(path.join(dir, 'app'));
    const expected = WRONG.split('\n').flatMap((text, i) => {
      const m = /\/\/ (TS\d+): (.*)$/.exec(text);
      return m ? [{ file: 'wrong.ts', line: i + 1, code: m[1], message: m[2] }] : [];
    });
    expect(expected).toHaveLength(11);
    expect(r.diagnostics).toEqual(expected);
    expect(r.status).toBe(2);
  });
});

describe('the typed app at build time', () => {
  it('builds with the plugin and computes what the types promise', async () => {
    expect((await shoutMacro).status).toBe(0); // its lib/ is the macro module the plugin loads
    const filename = path.join(dir, 'app', 'ok.ts');
    const { code, report } = expand(OK, { filename, babel: { presets: ['@babel/preset-typescript'] } }); // resolved beside the Babel under test
    expect(code).not.toMatch(/shout\.macro|schema\.macro|printf\.macro'/);
    expect(Object.keys(report?.macros ?? {}).sort()).toEqual([
      'printf.macro',
      'printf.macro#fmt',
      'printf.macro#printf',
      'schema.macro#is',
      'schema.macro#validate',
      'shout.macro',
      'shout.macro#repeat',
    ]);
    const out = execute(code, path.join(dir, 'app', 'ok.out.js')) as {
      line: string;
      forms: string;
      total: string;
      loud: string;
      three: number[];
      words: string[];
      describe: (input: unknown) => string;
    };
    expect(out).toMatchObject({ line: 'cart has 3 items', forms: '1x2', total: 'Total: 12.50 EUR', loud: 'HI', three: [7, 7, 7], words: ['ab', 'ab'] });
    expect(out.describe({ name: 'Ada', role: 'admin', x: 1, y: 2 })).toBe('Ada at 1,2');
    expect(out.describe({ name: 'Bob', role: 'user' })).toBe('BOB');
    expect(out.describe({ name: '', role: 'x' })).toMatch(/name: .*; role: /);
  });
});
