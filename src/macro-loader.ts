/**
 * Resolving and loading macro modules. A module is loaded once per process and reused while its
 * files' stats are unchanged; when they change it is dropped from `require.cache` and loaded
 * afresh, so a watch process picks up an edited macro without a restart.
 */
import { createRequire } from 'module';
import path from 'path';
import { findPackageJson, moduleGraph, statSnapshot, type ModuleGraph } from './fingerprint';
import { hash } from './hash';
import { isCachedGeneratorClass, isGeneratorClass, type GeneratorClass } from './generator';
import { isTranspiled, loadTranspiled, resolveTypeScriptFile } from './load/typescript';

/** A loaded macro module. */
export interface MacroModule {
  /** Absolute, resolved file. */
  readonly file: string;
  readonly exports: Record<string, unknown>;
  readonly graph: ModuleGraph;
  /** Stat snapshot of `graph.files` at load time. */
  readonly snapshot: string;
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
const PLUGIN_VERSION: string = (require('../package.json') as { version: string }).version;
const loaded = new Map<string, MacroModule>();

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
  const previous = loaded.get(file);
  if (previous && statSnapshot(previous.graph.files) === previous.snapshot) return previous;
  if (previous) for (const f of previous.graph.files) delete nodeRequire.cache[f];
  const graph = moduleGraph(file);
  // Take the snapshot before requiring so an edit racing with the load is seen next time.
  const snapshot = statSnapshot(graph.files);
  // TypeScript and ES module macros are compiled to CommonJS first (see load/typescript.ts).
  const exports = (isTranspiled(file) ? loadTranspiled(file) : nodeRequire(file)) as Record<string, unknown>;
  const mod: MacroModule = { file, exports, graph, snapshot, id: moduleId(file, cwd) };
  loaded.set(file, mod);
  return mod;
}

/** Every macro module loaded in this process so far (for api.cache keys). */
export function loadedModules(): readonly MacroModule[] {
  return [...loaded.values()];
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
    [mod.graph.hash, mod.graph.packageId ?? '', exportName, cls.version ?? '', PLUGIN_VERSION, String(babelMajor)].join('\0'),
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

function moduleId(file: string, cwd: string): string {
  const pkg = findPackageJson(file);
  const rel = (from: string) => path.relative(from, file).split(path.sep).join('/');
  return pkg?.json.name ? `${pkg.json.name}/${rel(pkg.dir)}` : rel(cwd);
}
