/**
 * Resolving and loading macro modules. A macro's definition is what Node loaded for it: every
 * module compiled (or found cached) while its module loaded, hashed from the bytes compiled, plus
 * what its module-level code read (see `module-recorder.ts`, `tracking.ts`). A module is loaded
 * once per session (see `build/session.ts`) and reused while none of those files' stats (nor the variables it read)
 * changed, modules its generators required lazily included; when one changes, the whole set is
 * dropped from `require.cache` and loaded afresh, so a watch process picks up the edit.
 */
import { createRequire } from 'module';
import path from 'path';
import { envHash, envListingHash, envUpToDate } from '../deps/dependency-check';
import { findPackageJson, loadedGraph, moduleGraph, statSnapshot, type ModuleGraph } from './fingerprint';
import { hash, hashFile } from '../util/hash';
import { pluginIdentity } from '../util/package';
import { isCachedGeneratorClass, isGeneratorClass, type GeneratorClass } from '../api/generator';
import { isTranspiled, loadTranspiled, resolveTypeScriptFile } from './typescript';
import { recordLoads, type LoadedFile, type LoadRecorder } from './module-recorder';
import { track, untracked, type ReadRecorder } from '../generate/tracking';
import type { Dependency } from '../api/types';
import { session, type Session } from '../build/session';

/** A loaded macro module. */
export interface MacroModule {
  /** Absolute, resolved file. */
  readonly file: string;
  readonly exports: Record<string, unknown>;
  readonly graph: ModuleGraph;
  /**
   * Stat snapshot of each file of the set, taken before it was read: `graph.files`, then modules
   * its generators required lazily (added as they load).
   */
  readonly stats: Map<string, string>;
  /** Environment variables (and listings) its module-level code read: a change reloads it. */
  readonly envReads: ReadonlyArray<Dependency & { kind: 'env' | 'env-list' }>;
  /** Stable, machine-independent id: `package/relative/path` (or a path relative to cwd). */
  readonly id: string;
}

/** One macro: a Generator subclass exported by a macro module. */
export interface MacroDefinition {
  readonly module: MacroModule;
  readonly exportName: string;
  readonly cls: GeneratorClass;
  readonly cached: boolean;
  /** `module.id#exportName`: the store's macro id. */
  readonly id: string;
  /** Definition fingerprint: module graph + package version + generator version + plugin version + Babel major. */
  readonly fingerprint: string;
}

// Node's own loader, even under Jest: macros load exactly as in a production build.
const nodeRequire = createRequire(__filename);

/** Resolves an import source as Node would from the importing file. */
export function resolveMacro(source: string, filename: string | undefined, cwd: string): string {
  const from = filename ? path.dirname(filename) : cwd;
  try {
    return nodeRequire.resolve(source, { paths: [from] });
  } catch (e) {
    // TypeScript macros: `./sql.macro` names `sql.macro.ts` (Node's resolution has no `.ts`).
    const ts = resolveTypeScriptFile(source, from);
    if (ts) return ts;
    throw e;
  }
}

/** Loads (or reuses, when its files are unchanged) the macro module at `file`. */
export function loadMacroModule(file: string, cwd: string): MacroModule {
  const s = session();
  const loaded = s.macroModules;
  const previous = loaded.get(file);
  if (previous) {
    const stale = staleModules(previous);
    if (stale === null) return previous;
    for (const f of stale) delete nodeRequire.cache[f];
  }
  const modules = new ModuleSet();
  const reads = new LoadReads();
  // TypeScript and ES module macros are compiled to CommonJS first (see typescript.ts), then run
  // through Node's module compile like any other module, so the recorder sees the bytes run.
  const load = () => (isTranspiled(file) ? loadTranspiled(file) : nodeRequire(file));
  const exports = track(reads, () => recordLoads(modules, load)) as Record<string, unknown>;
  const stats = new Map<string, string>();
  let graph: ModuleGraph;
  if (modules.files.has(file)) {
    const readDeps = reads.deps.filter((d) => d.kind !== 'file' || !modules.files.has(d.path));
    graph = loadedGraph(file, new Map([...modules.files].map(([f, l]) => [f, l.hash])), readDeps);
    for (const [f, l] of modules.files) stats.set(f, l.stat);
    for (const [f, s] of reads.stats) if (!stats.has(f)) stats.set(f, s);
  } else {
    // Loaded by a foreign module system (Jest's, in-process): fall back to the static walk.
    graph = moduleGraph(file);
    graph.files.forEach((f) => stats.set(f, statSnapshot([f])));
  }
  const envReads = reads.deps.filter((d): d is Dependency & { kind: 'env' | 'env-list' } => d.kind !== 'file');
  const mod: MacroModule = { file, exports, graph, stats, envReads, id: moduleId(file, cwd) };
  loaded.set(file, mod);
  // The session's first module: from now on, disposing it unloads its modules.
  if (loaded.size === 1 && previous === undefined) s.onDispose(() => unloadAll(s));
  return mod;
}

/**
 * Runs a generator call with the modules it requires lazily joining `mod`'s set (so an edit
 * reloads them) and reported to `onModule` (the expansion's dependencies).
 */
export function recordLazyLoads<T>(mod: MacroModule, onModule: (file: string, contentHash: string) => void, fn: () => T): T {
  const seen = new Set<string>();
  const recorder: LoadRecorder = {
    has: (f) => seen.has(f),
    moduleLoaded(f, l) {
      seen.add(f);
      if (!mod.stats.has(f)) mod.stats.set(f, l.stat);
      onModule(f, l.hash);
    },
    // A lazily required file that does not exist yet: the expansion depends on its absence.
    moduleMissing(candidates) {
      for (const f of candidates) onModule(f, 'missing');
    },
  };
  return recordLoads(recorder, fn);
}

/**
 * Null when nothing `mod` loaded or read changed; else the modules of its set to evaluate afresh:
 * those that changed and those that required them, transitively (so modules it shares with
 * Babel, say `@babel/types`, are not duplicated by a helper's edit). A changed module-level read
 * cannot be charged to one module: then the whole set is.
 */
function staleModules(mod: MacroModule): Set<string> | null {
  const changed = [...mod.stats].filter(([f, s]) => statSnapshot([f]) !== s).map(([f]) => f);
  const envChanged = !mod.envReads.every(envUpToDate);
  if (changed.length === 0 && !envChanged) return null;
  const cache = nodeRequire.cache as Record<string, { children: ReadonlyArray<{ filename: string }> } | undefined>;
  if (envChanged || changed.some((f) => cache[f] === undefined)) return new Set(mod.stats.keys());
  const stale = new Set([mod.file, ...changed]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const f of mod.stats.keys()) {
      if (!stale.has(f) && cache[f]?.children.some((c) => stale.has(c.filename))) {
        stale.add(f);
        grew = true;
      }
    }
  }
  return stale;
}

/** The modules loaded for a macro module, with their compiled bytes' hashes. */
class ModuleSet implements LoadRecorder {
  readonly files = new Map<string, LoadedFile>();
  has(file: string): boolean {
    return this.files.has(file);
  }
  moduleLoaded(file: string, l: LoadedFile): void {
    this.files.set(file, l);
  }
}

/** What a macro module's top-level code read while it loaded (part of its definition). */
class LoadReads implements ReadRecorder {
  private readonly byKey = new Map<string, Dependency>();
  readonly stats = new Map<string, string>();
  get deps(): Dependency[] {
    return [...this.byKey.values()];
  }
  fileRead(abs: string): void {
    if (this.byKey.has(`file:${abs}`)) return;
    // Stat before hashing: an edit after it is seen by the next build's check.
    this.stats.set(abs, statSnapshot([abs]));
    this.byKey.set(`file:${abs}`, { kind: 'file', path: abs, hash: untrackedHash(abs) });
  }
  envRead(name: string): void {
    if (!this.byKey.has(`env:${name}`)) this.byKey.set(`env:${name}`, { kind: 'env', name, hash: envHash(readEnv(name)) });
  }
  envListed(): void {
    if (!this.byKey.has('env-list')) this.byKey.set('env-list', { kind: 'env-list', hash: untracked(envListingHash) });
  }
}

function untrackedHash(abs: string): string {
  return untracked(() => hashFile(abs)) ?? 'missing';
}

function readEnv(name: string): string | undefined {
  return untracked(() => process.env[name]);
}

/**
 * Drops every module of the session's macro sets from `require.cache`, so a later session
 * evaluates (and fingerprints) what is on disk then, as a fresh process would.
 */
function unloadAll(s: Session): void {
  for (const mod of s.macroModules.values()) for (const f of mod.stats.keys()) delete nodeRequire.cache[f];
}

/** Every macro module loaded in this session so far (for api.cache keys). */
export function loadedModules(): readonly MacroModule[] {
  return [...session().macroModules.values()];
}

/**
 * The export for an imported name. `default` follows Babel's interop: a CommonJS module whose
 * `module.exports` is itself the class is its own default.
 */
export function exportOf(mod: MacroModule, importedName: string): unknown {
  const exp = mod.exports as Record<string, unknown> & { __esModule?: boolean };
  if (importedName === 'default') return exp.__esModule ? exp.default : (exp.default ?? exp);
  return exp[importedName];
}

/** Builds the definition of one exported Generator, or null if the export is not one. */
export function defineMacro(mod: MacroModule, exportName: string, babelMajor: number): MacroDefinition | null {
  const cls = exportOf(mod, exportName);
  if (!isGeneratorClass(cls)) return null;
  const fingerprint = hash(
    [mod.graph.hash, mod.graph.packageId ?? '', exportName, cls.version ?? '', pluginIdentity(), String(babelMajor)].join('\0'),
  );
  return {
    module: mod,
    exportName,
    cls,
    cached: isCachedGeneratorClass(cls),
    id: `${mod.id}#${exportName}`,
    fingerprint,
  };
}

/** The stable id of the module at `file` (see {@link MacroModule.id}). */
export function moduleId(file: string, cwd: string): string {
  const pkg = findPackageJson(file);
  const rel = (from: string) => path.relative(from, file).split(path.sep).join('/');
  return pkg?.json.name ? `${pkg.json.name}/${rel(pkg.dir)}` : rel(cwd);
}
