/**
 * Macros written in TypeScript and as ES modules, loaded by plain Node (a child process running
 * dist/, as a build tool does: under Jest, `createRequire` is Jest's own require, which compiles
 * TypeScript itself and would hide a missing loader). Needs `npx tsc -p .` first.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import readline from 'readline';
import { moduleGraph } from '../src/load/fingerprint';
import { resolveTypeScriptFile } from '../src/load/typescript';
import { stripAnsi } from './helpers/ansi';
import { projectFiles } from './helpers/temp-project';

const DRIVER = path.join(__dirname, 'helpers', 'build.js');
const PLUGIN = JSON.stringify(path.resolve(__dirname, '..', 'dist', 'index.js'));
let dir = '';
const { write, edit } = projectFiles(() => dir);

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-tsmacros-'));
  write('data/table.txt', 'users');
  write('macros/quote.ts', `export const quote = (s: string): string => '"' + s + '"';\n`);
  write(
    'macros/sql.macro.ts',
    `import { CachedGenerator } from ${PLUGIN};
import type { Signature, GenerateContext } from ${PLUGIN};
import { quote } from './quote';

interface Query { readonly table: string; readonly limit: number }

export default class Sql extends CachedGenerator {
  generate(sig: Signature, ctx: GenerateContext) {
    const q: Query = { table: ctx.readFile('../data/table.txt').trim(), limit: sig.args.length };
    return { inline: JSON.stringify('SELECT * FROM ' + quote(q.table) + ' LIMIT ' + q.limit) };
  }
}
`,
  );
  write('macros/lib/kinds.mts', `export const kinds = (list: readonly string[]): string => list.join('+');\n`);
  write(
    'macros/count.macro.mts',
    `import { Generator, type Signature } from ${PLUGIN};
import { kinds } from './lib/kinds.mjs';
export class Count extends Generator {
  generate(sig: Signature) { return { inline: JSON.stringify(kinds(sig.args.map((a) => a.kind))) }; }
}
`,
  );
  write('macros/twice.macro.mjs', `import { Generator } from ${PLUGIN};\nexport default class Twice extends Generator { generate() { return { inline: '($0) * 2' }; } }\n`);
  write(
    'app.js',
    `import sql from './macros/sql.macro';
import { Count } from './macros/count.macro.mts';
import twice from './macros/twice.macro.mjs';
export const q = sql(1);
export const c = Count(1, 'a');
export const t = twice(x);
`,
  );
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A clean build: a fresh Node process with an empty cache directory. */
function cleanBuild(): string {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-tsmacros-clean-'));
  try {
    const r = spawnSync(process.execPath, [DRIVER, JSON.stringify({ cacheDir }), path.join(dir, 'app.js')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return (JSON.parse(r.stdout) as Record<string, { code: string }>)['app.js'].code;
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** A long-lived build process (watch mode): each call transforms app.js again. */
function watchProcess() {
  const child = spawn(process.execPath, [DRIVER, JSON.stringify({ cacheDir: path.join(dir, '.cache') }), '--stdin']);
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async build(): Promise<{ ok: boolean; code?: string; error?: string }> {
      child.stdin.write(JSON.stringify([path.join(dir, 'app.js')]) + '\n');
      const { value } = await lines.next();
      const r = JSON.parse(value as string) as { ok: boolean; results?: Record<string, { code: string }>; error?: string };
      return { ok: r.ok, code: r.results?.['app.js'].code, error: r.error };
    },
    stop: () => child.kill(),
  };
}

describe('TypeScript and ES module macros in plain Node', () => {
  it('loads .ts (imported without extension), .mts and .mjs macros', () => {
    const code = cleanBuild();
    expect(code).toContain(`const q = "SELECT * FROM \\"users\\" LIMIT 1"`);
    expect(code).toContain(`const c = "const+const"`);
    expect(code).toContain('const t = x * 2');
  });

  it('a watch process regenerates after edits to the macro, its TypeScript helper and the file it read, equal to a clean build', async () => {
    const watch = watchProcess();
    try {
      expect((await watch.build()).code).toBe(cleanBuild());
      edit('macros/quote.ts', `'"' + s + '"'`, `'[' + s + ']'`);
      const helperEdited = await watch.build();
      expect(helperEdited.code).toContain('FROM [users]');
      expect(helperEdited.code).toBe(cleanBuild());
      edit('data/table.txt', 'users', 'orders');
      const dataEdited = await watch.build();
      expect(dataEdited.code).toContain('FROM [orders]');
      expect(dataEdited.code).toBe(cleanBuild());
      edit('macros/sql.macro.ts', `' LIMIT '`, `' FETCH '`);
      edit('macros/lib/kinds.mts', `'+'`, `'|'`);
      const macrosEdited = await watch.build();
      expect(macrosEdited.code).toContain('FETCH 1');
      expect(macrosEdited.code).toContain('"const|const"');
      expect(macrosEdited.code).toBe(cleanBuild());
    } finally {
      watch.stop();
    }
  });

  it('a syntax error shows the macro file, line and code frame, not the import line', async () => {
    edit('macros/sql.macro.ts', 'limit: number }', 'limit: number');
    const watch = watchProcess();
    try {
      const r = await watch.build();
      expect(r.ok).toBe(false);
      const message = stripAnsi(r.error as string);
      expect(message).toContain(`The macro module './macros/sql.macro' failed to load: ${path.join(fs.realpathSync(dir), 'macros', 'sql.macro.ts')}:7:`);
      const marked = message.split('\n').filter((l) => /^>\s*\d+ \|/.test(l));
      expect(marked).toEqual(['>  7 | export default class Sql extends CachedGenerator {']);
      // Fixed: the same process loads it.
      edit('macros/sql.macro.ts', 'limit: number', 'limit: number }');
      expect((await watch.build()).code).toBe(cleanBuild());
    } finally {
      watch.stop();
    }
  });
});

it('a syntax error in a JavaScript macro module is framed in that file too', async () => {
  write('macros/js.macro.js', `const { Generator } = require(${PLUGIN});\nmodule.exports = class extends Generator {\n  generate() { return fn(1, 2; }\n};\n`);
  write('app.js', `import js from './macros/js.macro';\njs();\n`);
  const watch = watchProcess();
  try {
    const r = await watch.build();
    expect(r.ok).toBe(false);
    const message = stripAnsi(r.error as string);
    expect(message).toContain(`The macro module './macros/js.macro' failed to load: ${path.join(fs.realpathSync(dir), 'macros', 'js.macro.js')}:3:`);
    expect(message.split('\n').filter((l) => /^>\s*\d+ \|/.test(l))).toEqual(['> 3 |   generate() { return fn(1, 2; }']);
  } finally {
    watch.stop();
  }
});

describe('TypeScript resolution of macro files', () => {
  it('prefers TypeScript sources in TypeScript order, maps .js-family names to their sources, finds index files', () => {
    write('r/a.ts', '');
    write('r/a.js', '');
    write('r/b.mts', '');
    write('r/c/index.ts', '');
    const real = fs.realpathSync(dir);
    expect(resolveTypeScriptFile('./r/a', dir)).toBe(path.join(real, 'r/a.ts'));
    expect(resolveTypeScriptFile('./r/a.js', dir)).toBe(path.join(real, 'r/a.js'));
    expect(resolveTypeScriptFile('./r/b.mjs', dir)).toBe(path.join(real, 'r/b.mts'));
    expect(resolveTypeScriptFile('./r/c', dir)).toBe(path.join(real, 'r/c/index.ts'));
    expect(resolveTypeScriptFile('./r/missing', dir)).toBeNull();
    expect(resolveTypeScriptFile('some-package', dir)).toBeNull();
  });

  it("a TypeScript macro's definition fingerprint covers its extension-less and .mjs-named TypeScript imports", () => {
    const real = fs.realpathSync(dir);
    expect(moduleGraph(path.join(real, 'macros/sql.macro.ts')).files).toEqual([path.join(real, 'macros/sql.macro.ts'), path.join(real, 'macros/quote.ts')]);
    expect(moduleGraph(path.join(real, 'macros/count.macro.mts')).files).toEqual([
      path.join(real, 'macros/count.macro.mts'),
      path.join(real, 'macros/lib/kinds.mts'),
    ]);
  });
});
