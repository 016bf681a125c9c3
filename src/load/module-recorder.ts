/**
 * What Node actually loaded: while a macro module loads or a generator runs, every module it
 * requires (compiled now, or found in `require.cache`, with everything that cached module
 * required) is reported with the hash of the bytes Node compiled for it, so a macro's
 * definition is exactly the code that runs, wherever it lives (node_modules included), however
 * it was required (computed paths, directory modules, symlinked workspace packages).
 *
 * Node's loader is hooked on a session's first recording: `Module.prototype._compile`
 * (JavaScript, after any other transform hook), the `.json` loader, and `Module._load` (to see
 * cache hits). The hooks stay installed until the session is disposed, and cost one null check
 * outside a recording; a hook another tool installed over ours since (ts-node, pirates) wraps
 * it, so then ours stays in place as a pass-through instead of clobbering theirs.
 * @packageDocumentation
 */
import fs from 'fs';
import Module from 'module';
import path from 'path';
import { statSnapshot } from './fingerprint';
import { hash, hashFile } from '../util/hash';
import { untracked } from '../generate/tracking';
import { session } from '../build/session';

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

/**
 * Runs `fn` (loading a macro module, running a generator) with every module it requires
 * reported to `recorder`. Nested recordings report to the innermost recorder.
 */
export function recordLoads<T>(recorder: LoadRecorder, fn: () => T): T {
  const s = session();
  const hooks = (s.loaderHooks ??= new LoaderHooks());
  if (!hooks.installed) s.onDispose(hooks.install());
  const previous = hooks.current;
  hooks.current = recorder;
  try {
    return fn();
  } finally {
    hooks.current = previous;
  }
}

/** True for this plugin's own files (not its dependencies): they are not recorded, its version stands for them. */
export function isOwnFile(file: string): boolean {
  return file.startsWith(OWN_DIR) && !file.startsWith(OWN_DEPS);
}

/** Node's loader hooked for one session, and what the hooks saw (owned by the session, see `build/session.ts`). */
export class LoaderHooks {
  /** The bytes compiled for each file since the hooks were installed. */
  private readonly compiled = new Map<string, LoadedFile>();
  /** Stats taken just before Node reads a file it is about to compile. */
  private readonly preStats = new Map<string, string>();
  /** Disk hashes of modules compiled before the hooks existed, by stat. */
  private readonly diskHashes = new Map<string, LoadedFile>();
  /** The innermost recording's recorder; null outside {@link recordLoads}. */
  current: LoadRecorder | null = null;
  installed = false;

  /** Hooks Node's loader; returns the function that unhooks it. */
  install(): () => void {
    this.installed = true;
    let active = true;
    const hooks = this;
    const compile = M.prototype._compile;
    const ourCompile = function (this: unknown, content: string, filename: string, ...rest: unknown[]) {
      if (active && typeof content === 'string' && typeof filename === 'string') hooks.noteCompiled(filename, content);
      return compile.call(this, content, filename, ...rest);
    };
    M.prototype._compile = ourCompile;
    const json = M._extensions['.json'];
    // Node's JSON loader reads the file itself; reading it once here makes the bytes hashed the bytes parsed.
    const ourJson = function (module: NodeModuleLike, filename: string) {
      if (!active) return json(module, filename);
      const content = fs.readFileSync(filename, 'utf8');
      hooks.noteCompiled(filename, content);
      try {
        module.exports = JSON.parse(content.charCodeAt(0) === 0xfeff ? content.slice(1) : content);
      } catch (err) {
        (err as Error).message = `${filename}: ${(err as Error).message}`;
        throw err;
      }
    };
    M._extensions['.json'] = ourJson;
    const load = M._load;
    const ourLoad = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
      return active ? hooks.load(load, this, request, parent, isMain) : load.call(this, request, parent, isMain);
    };
    M._load = ourLoad;
    return () => {
      // A hook installed since over ours (ts-node, pirates) wraps it: restoring the original
      // would remove theirs too, so ours stays there, passing straight through.
      active = false;
      this.current = null;
      if (M.prototype._compile === ourCompile) M.prototype._compile = compile;
      if (M._extensions['.json'] === ourJson) M._extensions['.json'] = json;
      if (M._load === ourLoad) M._load = load;
    };
  }

  private load(load: ModuleInternals['_load'], self: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    const recorder = this.current;
    if (recorder === null) return load.call(self, request, parent, isMain);
    let file: string | null = null;
    try {
      file = M._resolveFilename(request, parent, isMain);
    } catch {
      // Node throws its own "Cannot find module" below
    }
    if (file === null) recorder.moduleMissing?.(missingCandidates(request, parent));
    if (file === null || !path.isAbsolute(file)) return load.call(self, request, parent, isMain);
    if (isOwnFile(file)) {
      // This plugin (its version stands for it) and what it loads are not the macro's, whether
      // or not the process had loaded it already (a build has, the CLI may not have).
      this.current = null;
      try {
        // Nor are its module-level reads (of files, of variables) the macro's.
        return untracked(() => load.call(self, request, parent, isMain));
      } finally {
        this.current = recorder;
      }
    }
    const cached = M._cache[file] !== undefined;
    if (!cached) this.preStats.set(file, statSnapshot([file]));
    let exports: unknown;
    try {
      exports = load.call(self, request, parent, isMain);
    } finally {
      this.preStats.delete(file);
    }
    this.attribute(recorder, file);
    return exports;
  }

  private noteCompiled(filename: string, content: string): void {
    this.compiled.set(filename, { hash: hash(content), stat: this.preStats.get(filename) ?? statSnapshot([filename]) });
  }

  /** Reports `file` and, recursively, the modules it required (cached ones included). */
  private attribute(recorder: LoadRecorder, file: string): void {
    const stack = [file];
    while (stack.length > 0) {
      const f = stack.pop() as string;
      if (recorder.has(f) || isOwnFile(f)) continue;
      recorder.moduleLoaded(f, this.loadedFile(f));
      for (const child of M._cache[f]?.children ?? []) stack.push(child.filename);
    }
  }

  /** The compiled bytes' hash, or for a module compiled before the hooks existed, its file's. */
  private loadedFile(file: string): LoadedFile {
    const known = this.compiled.get(file);
    if (known) return known;
    const stat = statSnapshot([file]);
    let disk = this.diskHashes.get(file);
    if (!disk || disk.stat !== stat) this.diskHashes.set(file, (disk = { hash: untracked(() => hashFile(file)) ?? 'missing', stat }));
    return disk;
  }
}

/** The files a relative or absolute `request` that resolved to nothing would have loaded. */
function missingCandidates(request: string, parent: unknown): string[] {
  const from = (parent as { filename?: string } | null)?.filename;
  if (!from || !(request.startsWith('./') || request.startsWith('../') || path.isAbsolute(request))) return [];
  const base = path.resolve(path.dirname(from), request);
  return [base, ...['.js', '.json', '.node', '/index.js', '/index.json'].map((ext) => base + ext)];
}
