/**
 * Running babel-plugin-macros `createMacro` macros unchanged, as babel-plugin-macros 3.1 runs
 * them: one traversal of the program in source order; each `import` declaration or
 * `const … = require('…macro')` declarator of such a macro runs it once, with all its
 * references, then is removed unless the macro returned `{ keepImports: true }`. Never cached:
 * these macros mutate the AST freely, so there is nothing to key or replay.
 *
 * They all run before any Generator macro of the file expands (expand-file.ts), so a Generator
 * call sees their output (`shout(ms('1 day'))` gets a constant), while they see Generator
 * calls unexpanded.
 */
import type { PluginPass } from '@babel/core';
import type { NodePath, Visitor } from '@babel/traverse';
import type * as t from '@babel/types';
import path from 'path';
import type { Build } from '../build/build';
import type { MacroModule } from '../load/macro-loader';
import { track, type ReadRecorder } from '../generate/tracking';
import { ENV_LISTING } from '../deps/observed-dependencies';
import type { MacroReport } from '../api/types';
import { macroConfig, MacroConfigError } from './config';
import { framed, macroFailure } from './errors';
import { babelMacroOf, keepsImports, type BabelMacro } from './macro';
import { collectReferences, importDeclaration, requireDeclaration, requiredMacroSource, type MacroDeclaration } from './references';

export { babelMacroOf } from './macro';

/** What the compat pass needs from the file being expanded. */
export interface CompatHost {
  /** Babel's plugin API object, passed to macros as `babel`. */
  readonly babel: unknown;
  readonly state: PluginPass;
  readonly filename: string | undefined;
  readonly cwd: string;
  readonly build: Build;
  /** True when an import source names a macro module (the plugin's `macroPattern` / `macros`). */
  isMacroSource(source: string): boolean;
  /** Resolves and loads the macro module `source`; code-framed errors at `sourcePath` / `declaration`. */
  load(source: string, sourcePath: NodePath, declaration: NodePath): MacroModule;
  /** The file report's `macros`, where each createMacro macro gets its entry (keyed by source). */
  readonly report: Record<string, MacroReport>;
}

/** Runs every createMacro macro the program imports or requires; returns how many runs there were. */
export function runBabelMacros(program: NodePath<t.Program>, host: CompatHost): number {
  if (!mayUseBabelMacros(program, host)) return 0;
  let runs = 0;
  const visitor: Visitor = {
    ImportDeclaration(decl) {
      const source = decl.node.source.value;
      if (!host.isMacroSource(source)) return;
      const mod = host.load(source, decl.get('source'), decl);
      const macro = babelMacroOf(mod.exports);
      if (!macro) return; // a Generator module: expanded after this pass
      runs++;
      if (!keepsImports(apply(macro, mod.file, importDeclaration(decl), host))) decl.remove();
    },
    VariableDeclaration(declaration) {
      const requires = declaration
        .get('declarations')
        .map((d) => [d, requiredMacroSource(d, (s) => host.isMacroSource(s))] as const)
        .filter((pair): pair is readonly [NodePath<t.VariableDeclarator>, string] => pair[1] !== null);
      for (const [declarator, source] of requires) {
        const call = declarator.get('init') as NodePath<t.CallExpression>;
        const mod = host.load(source, call.get('arguments')[0], call);
        const macro = babelMacroOf(mod.exports);
        if (!macro) {
          throw call.buildCodeFrameError(
            `'${source}' is not a babel-plugin-macros macro (made with createMacro): only those can be loaded with require(). Import Generator macros with an import declaration.`,
          );
        }
        runs++;
        if (!keepsImports(apply(macro, mod.file, requireDeclaration(declarator, source), host))) declarator.remove();
      }
    },
  };
  program.traverse(visitor);
  return runs;
}

/**
 * Whether the traversal is worth doing: a top-level import of a createMacro module, or a
 * `require(` anywhere in the source (a full traversal per file is what babel-plugin-macros
 * pays; files without macros skip it here).
 */
function mayUseBabelMacros(program: NodePath<t.Program>, host: CompatHost): boolean {
  for (const decl of program.get('body')) {
    if (!decl.isImportDeclaration() || !host.isMacroSource(decl.node.source.value)) continue;
    if (babelMacroOf(host.load(decl.node.source.value, decl.get('source'), decl).exports)) return true;
  }
  const code = (host.state.file as { code?: unknown }).code;
  return typeof code !== 'string' || /\brequire\s*\(/.test(code);
}

/** One run of a macro for one declaration, with babel-plugin-macros' arguments. */
function apply(macro: BabelMacro, moduleFile: string, decl: MacroDeclaration, host: CompatHost): unknown {
  const { references, count } = collectReferences(decl);
  const dir = host.filename ? path.dirname(path.resolve(host.cwd, host.filename)) : host.cwd;
  let config: Record<string, unknown> | undefined;
  try {
    config = macroConfig(macro.options?.configName, dir, decl.source, host.build.options.babelMacros, host.build);
  } catch (e) {
    if (e instanceof MacroConfigError) throw framed(e, decl.at);
    throw e;
  }
  const report = (host.report[decl.source] ??= {
    calls: 0, signatures: 0, generated: 0, memoryHits: 0, storeHits: 0, invalidations: 0, cached: false, generateMs: 0, compat: true,
  });
  report.calls += count;
  report.generated++;
  const started = performance.now();
  const reads = new Reads();
  try {
    // As babel-plugin-macros: refresh scope information that plugins running earlier (or the
    // previous macro) may have left stale after replacing a path with itself (import-all.macro#7).
    const file = host.state.file as unknown as { scope: { path: NodePath } };
    file.scope.path.traverse({ Identifier() {} });
    // What the macro reads (a data file, a variable) decides its output like its own code does:
    // recorded for this build, so Jest keys and babel-loader's external dependencies cover it
    // (babel-plugin-macros' "cache problem").
    return track(reads, () =>
      macro({ references, source: decl.source, state: host.state, babel: host.babel, config, isBabelMacrosCall: true }),
    );
  } catch (e) {
    throw macroFailure(e, decl.source, decl.at);
  } finally {
    report.generateMs += performance.now() - started;
    host.build.noteModuleReads(moduleFile, [...reads.files], [...reads.env]);
  }
}

/** Files and environment variables a createMacro macro read with plain `fs` / `process.env`. */
class Reads implements ReadRecorder {
  readonly files = new Set<string>();
  readonly env = new Set<string>();
  fileRead(absPath: string): void {
    this.files.add(absPath);
  }
  envRead(name: string): void {
    this.env.add(name);
  }
  envListed(): void {
    this.env.add(ENV_LISTING); // the names of the variables: see deps/observed-dependencies.ts
  }
}
