/**
 * Macro modules written in TypeScript or as ES modules (`.ts`, `.tsx`, `.mts`, `.cts`, `.mjs`),
 * loaded with no build step on every supported Node version.
 *
 * Each such file is compiled to CommonJS (types stripped, `import`/`export` turned into
 * `require`/`exports`) by jiti's synchronous transform, then run with Node's own
 * `module._compile` and kept in `require.cache` under its path, like any CommonJS module. So
 * the bytes take Node's ordinary compile path, and dropping a file from `require.cache` reloads
 * it in a watch process — which Node's native ES module loader cannot do (its cache cannot be
 * cleared). The same transform runs on Node 20 and on Node versions that strip types
 * themselves, so a macro compiles to the same code on both. Files they require are resolved as
 * TypeScript resolves them (`./sql` finds `sql.ts`, `./util.js` finds `util.ts`).
 * @packageDocumentation
 */
import fs from 'fs';
import Module from 'module';
import path from 'path';
import { codeFrameColumns } from '@babel/code-frame';
import type { createJiti } from 'jiti';

/** Extensions of macro modules this loader compiles (Node's `require` cannot load them as they are on every version). */
export const TRANSPILED_EXTENSIONS: readonly string[] = ['.ts', '.tsx', '.mts', '.cts', '.mjs'];

/** TypeScript's order when an import names no extension (moduleResolution bundler/node10). */
const RESOLUTION_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.d.ts', '.js', '.jsx', '.mjs', '.cjs', '.json'].filter((e) => e !== '.d.ts');
/** A `.js`-family import may name a TypeScript file by its output name (`./util.js` → `util.ts`). */
const OUTPUT_TO_SOURCE: Record<string, readonly string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};

/** Node's CommonJS internals this loader uses (stable for a decade, untyped in @types/node). */
interface NodeModule {
  id: string;
  filename: string;
  paths: string[];
  loaded: boolean;
  exports: Record<string, unknown>;
  require(id: string): unknown;
  _compile(code: string, filename: string): void;
}
interface NodeModuleStatics {
  new (id: string, parent?: NodeModule): NodeModule;
  _cache: Record<string, NodeModule | undefined>;
  _nodeModulePaths(dir: string): string[];
}
const NodeModuleClass = Module as unknown as NodeModuleStatics;

/** A syntax error in a macro module, its message naming the file and line and showing its code frame. */
export class MacroSyntaxError extends SyntaxError {
  constructor(
    message: string,
    /** Absolute path of the file with the error. */
    readonly file: string,
    /** 1-based line and column of the error. */
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'SyntaxError';
  }
}

/** Whether `file` is loaded by {@link loadTranspiled} rather than by Node's `require`. */
export function isTranspiled(file: string): boolean {
  return TRANSPILED_EXTENSIONS.includes(path.extname(file));
}

/**
 * Resolves a relative or absolute specifier as TypeScript does: the file itself, then with
 * each extension in TypeScript's order, then a `.js`-family name mapped to its TypeScript
 * source, then `<dir>/index.*`. Null when nothing matches (or for a bare package name).
 */
export function resolveTypeScriptFile(spec: string, fromDir: string): string | null {
  if (!(spec.startsWith('.') || path.isAbsolute(spec))) return null;
  const base = path.resolve(fromDir, spec);
  const candidates = [base, ...RESOLUTION_EXTENSIONS.map((e) => base + e)];
  const ext = path.extname(base);
  for (const source of OUTPUT_TO_SOURCE[ext] ?? []) candidates.push(base.slice(0, -ext.length) + source);
  candidates.push(...RESOLUTION_EXTENSIONS.map((e) => path.join(base, `index${e}`)));
  for (const candidate of candidates) {
    try {
      if (fs.statSync(candidate).isFile()) return fs.realpathSync(candidate);
    } catch {
      // try the next candidate
    }
  }
  return null;
}

// A stateless transformer (its caches are off), created on first use: not session state.
let jiti: ReturnType<typeof createJiti> | null = null;
/** jiti reports a transform error as code assigning it, instead of throwing. */
const JITI_ERROR = 'exports.__JITI_ERROR__ = ';

/** The CommonJS code `source` (the content of `file`) compiles to; a syntax error is a {@link MacroSyntaxError}. */
export function compileToCommonJS(source: string, file: string): string {
  // Loaded on first use: most builds load no TypeScript or ESM macro, and jiti costs ~30 ms to load.
  jiti ??= (require('jiti') as { createJiti: typeof createJiti }).createJiti(__filename, { fsCache: false, moduleCache: false });
  const code = jiti.transform({ source, filename: file, ts: /\.[cm]?tsx?$/.test(file), jsx: file.endsWith('x'), retainLines: true });
  if (code.startsWith(JITI_ERROR)) throw syntaxError(code.slice(JITI_ERROR.length), source, file);
  return code;
}

/**
 * Loads `file` (one of {@link TRANSPILED_EXTENSIONS}) as a CommonJS module: compiles it with
 * {@link compileToCommonJS} and runs it with Node's `module._compile`. The module is cached in
 * `require.cache` under `file` (delete it there to reload); a failed load leaves no entry.
 */
export function loadTranspiled(file: string, parent?: NodeModule): Record<string, unknown> {
  const cached = NodeModuleClass._cache[file];
  if (cached) return cached.exports;
  const source = fs.readFileSync(file, 'utf8');
  const code = compileToCommonJS(source, file);
  const mod = new NodeModuleClass(file, parent);
  mod.filename = file;
  mod.paths = NodeModuleClass._nodeModulePaths(path.dirname(file));
  mod.require = (id: string) => requireFrom(mod, id);
  // Cached before it runs, as Node does, so a require cycle sees the partial exports.
  NodeModuleClass._cache[file] = mod;
  try {
    mod._compile(code, file);
  } catch (e) {
    delete NodeModuleClass._cache[file];
    throw e;
  }
  mod.loaded = true;
  return mod.exports;
}

/** `require` inside a compiled module: local files resolve as in TypeScript, the rest as in Node. */
function requireFrom(mod: NodeModule, id: string): unknown {
  const local = resolveTypeScriptFile(id, path.dirname(mod.filename));
  if (local && isTranspiled(local)) return loadTranspiled(local, mod);
  return (Module.prototype as unknown as NodeModule).require.call(mod, local ?? id);
}

/** jiti's error record (`{ line, column (0-based), message }`) as a {@link MacroSyntaxError} with the file's code frame. */
function syntaxError(record: string, source: string, file: string): Error {
  let err: { line?: number; column?: number; message?: string };
  try {
    err = JSON.parse(record) as typeof err;
  } catch {
    return new Error(`${file}: cannot be compiled: ${record}`);
  }
  const reason = (err.message ?? 'syntax error').trim();
  if (typeof err.line !== 'number') return new MacroSyntaxError(`${file}: ${reason}`, file, 0, 0);
  const line = err.line;
  const column = (err.column ?? 0) + 1;
  const frame = codeFrameColumns(source, { start: { line, column } }, { highlightCode: false });
  return new MacroSyntaxError(`${file}:${line}:${column}: ${reason}\n${frame}`, file, line, column);
}

/**
 * Node's SyntaxError from compiling a JavaScript macro module (its stack starts with
 * `file:line`, the line and a caret) as a {@link MacroSyntaxError} framed in that file; null for
 * any other error.
 */
export function nodeSyntaxError(e: unknown): MacroSyntaxError | null {
  if (e instanceof MacroSyntaxError) return e;
  if (!(e instanceof SyntaxError) || typeof e.stack !== 'string') return null;
  const [where, , caret] = e.stack.split('\n');
  const m = /^(\/.+|[A-Za-z]:\\.+):(\d+)$/.exec(where ?? '');
  if (!m) return null;
  let source: string;
  try {
    source = fs.readFileSync(m[1], 'utf8');
  } catch {
    return null;
  }
  const line = Number(m[2]);
  const column = Math.max(0, (caret ?? '').indexOf('^')) + 1;
  const frame = codeFrameColumns(source, { start: { line, column } }, { highlightCode: false });
  return new MacroSyntaxError(`${m[1]}:${line}:${column}: ${e.message}\n${frame}`, m[1], line, column);
}
