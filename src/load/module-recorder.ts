/**
 * What Node actually loaded: while a macro module loads or a generator runs, every module it
 * requires (compiled now, or found in `require.cache`, with everything that cached module
 * required) is reported with the hash of the bytes Node compiled for it, so a macro's
 * definition is exactly the code that runs, wherever it lives (node_modules included), however
 * it was required (computed paths, directory modules, symlinked workspace packages).
 *
 * Node's loader is hooked on first use: `Module.prototype._compile` (JavaScript, after any
 * other transform hook), the `.json` loader, and `Module._load` (to see cache hits). The hooks
 * stay installed and cost one null check outside a recording: uninstalling them would clobber
 * hooks other tools install later (ts-node, pirates), which wrap ours.
 * @packageDocumentation
 */
import fs from 'fs';
import Module from 'module';
import path from 'path';
import { statSnapshot } from './fingerprint';
import { hash, hashFile } from '../util/hash';
import { untracked } from '../generate/tracking';

/** A module file as loaded: the hash of the bytes compiled, and its stat snapshot taken before they were read. */
export interface LoadedFile {
  readonly hash: string;
  readonly stat: string;
}

/** Receives the modules loaded (or found cached) during a {@link recordLoads}. */
export interface LoadRecorder {
  /** True when `file` was already reported to this recorder (its subtree then is too). */
  has(file: string): boolean;
  moduleLoaded(file: string, loaded: LoadedFile): void;
  /**
   * A relative or absolute `require` that found no file, with the files it would have loaded
   * (`request` as is and with Node's extensions): their creation must count as a change.
   */
  moduleMissing?(candidates: readonly string[]): void;
}

interface NodeModuleLike {
  readonly filename: string;
  readonly children: readonly NodeModuleLike[];
  exports: unknown;
}

interface ModuleInternals {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
  _resolveFilename(request: string, parent: unknown, isMain: boolean): string;
  _cache: Record<string, NodeModuleLike | undefined>;
  _extensions: Record<string, (module: NodeModuleLike, filename: string) => void>;
  prototype: { _compile(this: unknown, content: string, filename: string, ...rest: unknown[]): unknown };
}

const M = Module as unknown as ModuleInternals;
/** This plugin's own files: its identity is its version, already in every fingerprint. */
const OWN_DIR = path.resolve(__dirname, '..') + path.sep;
const OWN_DEPS = path.join(OWN_DIR, 'node_modules') + path.sep;

/** The bytes compiled for each file since the hooks were installed. */
const compiled = new Map<string, LoadedFile>();
/** Stats taken just before Node reads a file it is about to compile. */
const preStats = new Map<string, string>();
/** Disk hashes of modules compiled before the hooks existed, by stat. */
const diskHashes = new Map<string, LoadedFile>();
let current: LoadRecorder | null = null;
let installed = false;

/**
 * Runs `fn` (loading a macro module, running a generator) with every module it requires
 * reported to `recorder`. Nested recordings report to the innermost recorder.
 */
export function recordLoads<T>(recorder: LoadRecorder, fn: () => T): T {
  install();
  const previous = current;
  current = recorder;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** True for this plugin's own files (not its dependencies): they are not recorded, its version stands for them. */
export function isOwnFile(file: string): boolean {
  return file.startsWith(OWN_DIR) && !file.startsWith(OWN_DEPS);
}

function install(): void {
  if (installed) return;
  installed = true;
  const compile = M.prototype._compile;
  M.prototype._compile = function (this: unknown, content: string, filename: string, ...rest: unknown[]) {
    if (typeof content === 'string' && typeof filename === 'string') noteCompiled(filename, content);
    return compile.call(this, content, filename, ...rest);
  };
  // Node's JSON loader reads the file itself; reading it once here makes the bytes hashed the bytes parsed.
  M._extensions['.json'] = function (module: NodeModuleLike, filename: string) {
    const content = fs.readFileSync(filename, 'utf8');
    noteCompiled(filename, content);
    try {
      module.exports = JSON.parse(content.charCodeAt(0) === 0xfeff ? content.slice(1) : content);
    } catch (err) {
      (err as Error).message = `${filename}: ${(err as Error).message}`;
      throw err;
    }
  };
  const load = M._load;
  M._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    const recorder = current;
    if (recorder === null) return load.call(this, request, parent, isMain);
    let file: string | null = null;
    try {
      file = M._resolveFilename(request, parent, isMain);
    } catch {
      // Node throws its own "Cannot find module" below
    }
    if (file === null) recorder.moduleMissing?.(missingCandidates(request, parent));
    if (file === null || !path.isAbsolute(file)) return load.call(this, request, parent, isMain);
    if (isOwnFile(file)) {
      // This plugin (its version stands for it) and what it loads are not the macro's, whether
      // or not the process had loaded it already (a build has, the CLI may not have).
      current = null;
      try {
        // Nor are its module-level reads (of files, of variables) the macro's.
        return untracked(() => load.call(this, request, parent, isMain));
      } finally {
        current = recorder;
      }
    }
    const cached = M._cache[file] !== undefined;
    if (!cached) preStats.set(file, statSnapshot([file]));
    let exports: unknown;
    try {
      exports = load.call(this, request, parent, isMain);
    } finally {
      preStats.delete(file);
    }
    attribute(recorder, file);
    return exports;
  };
}

/** The files a relative or absolute `request` that resolved to nothing would have loaded. */
function missingCandidates(request: string, parent: unknown): string[] {
  const from = (parent as { filename?: string } | null)?.filename;
  if (!from || !(request.startsWith('./') || request.startsWith('../') || path.isAbsolute(request))) return [];
  const base = path.resolve(path.dirname(from), request);
  return [base, ...['.js', '.json', '.node', '/index.js', '/index.json'].map((ext) => base + ext)];
}

function noteCompiled(filename: string, content: string): void {
  compiled.set(filename, { hash: hash(content), stat: preStats.get(filename) ?? statSnapshot([filename]) });
}

/** Reports `file` and, recursively, the modules it required (cached ones included). */
function attribute(recorder: LoadRecorder, file: string): void {
  const stack = [file];
  while (stack.length > 0) {
    const f = stack.pop() as string;
    if (recorder.has(f) || isOwnFile(f)) continue;
    recorder.moduleLoaded(f, loadedFile(f));
    for (const child of M._cache[f]?.children ?? []) stack.push(child.filename);
  }
}

/** The compiled bytes' hash, or for a module compiled before the hooks existed, its file's. */
function loadedFile(file: string): LoadedFile {
  const known = compiled.get(file);
  if (known) return known;
  const stat = statSnapshot([file]);
  let disk = diskHashes.get(file);
  if (!disk || disk.stat !== stat) diskHashes.set(file, (disk = { hash: untracked(() => hashFile(file)) ?? 'missing', stat }));
  return disk;
}
