/**
 * One file's way through the plugin (docs/architecture.md, steps 1–7), as a pipeline of steps
 * that return their results: group call sites by (macro, signature), resolve a template per
 * group (look-up in one batch, generate the misses), hygiene, splice, then commit the store
 * writes in one batch. Nothing is written unless the whole file succeeded.
 */
import path from 'path';
import type { PluginPass } from '@babel/core';
import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { Build } from '../build/build';
import { siteArguments } from './call-sites';
import type { ExpansionTemplate } from '../template/expansion';
import { groupSites, type Group, type Grouped, type LoadedImport } from './group';
import { resolveTemplates, type Resolved } from './resolve';
import { debug, debugEnabled } from '../util/log';
import { babelMacroOf, runBabelMacros } from '../compat/babel-plugin-macros';
import { nodeSyntaxError } from '../load/typescript';
import { resolveMacro, type MacroModule } from '../load/macro-loader';
import { isMacroSource } from '../build/options';
import { describeSignature, signatureHint } from '../signature';
import { FileSplicer } from '../template/splice';
import { persistParses } from '../template/persisted-parse';
import { protectFreeNames } from '../template/hygiene';
import type { FileReport, MacroReport } from '../api/types';

/** What babel-plugin-macros passes its macros besides references (see compat/). */
export interface BabelMacrosContext {
  /** Babel's plugin API object. */
  readonly babel: unknown;
  readonly state: PluginPass;
}

/**
 * Expands every macro call in `program`; returns the file's report, or null when it imports no
 * macro. babel-plugin-macros `createMacro` macros (when `babelMacros` is given) run first, in
 * source order, then Generator macros expand over the result. The steps, in order: load the
 * imported macros → group the call sites → resolve a template per group → hygiene → splice →
 * commit to the store.
 */
export function expandFile(
  program: NodePath<t.Program>,
  filename: string | undefined,
  cwd: string,
  build: Build,
  babelMacros?: BabelMacrosContext,
): FileReport | null {
  rejectReExports(program, build);
  const load = (source: string, sourcePath: NodePath, decl: NodePath) => loadImported(source, sourcePath, decl, filename, cwd, build);
  const macros: Record<string, MacroReport> = {};
  const compatRuns = babelMacros
    ? runBabelMacros(program, { ...babelMacros, filename, cwd, build, load, report: macros, isMacroSource: (s) => isMacroSource(s, build.options) })
    : 0;
  const imports = program
    .get('body')
    .filter((p): p is NodePath<t.ImportDeclaration> => p.isImportDeclaration() && isMacroSource(p.node.source.value, build.options))
    .map((decl) => ({ decl, mod: load(decl.node.source.value, decl.get('source'), decl) }))
    .filter(({ mod }) => !babelMacros || !babelMacroOf(mod.exports)); // createMacro imports kept with keepImports
  if (imports.length === 0) return compatRuns > 0 ? finish({ epoch: null, macros }, filename, cwd) : null;
  // The createMacro macros changed the AST: find the Generator references afresh.
  if (compatRuns > 0) program.scope.crawl();

  const { groups, sites } = groupSites(imports, build, macros);
  const resolved = resolveTemplates(groups, filename, build);
  protectSites(program, sites, resolved.templates, build);
  splice(program, { groups, sites }, resolved.templates, imports, build, () => fileLabel(filename, cwd));
  const remote = commit(build, resolved);
  const epoch = resolved.writes.length + resolved.cachedGroups > 0 ? build.epoch : null;
  return finish({ epoch, macros, ...(remote && { remote }) }, filename, cwd);
}

function rejectReExports(program: NodePath<t.Program>, build: Build): void {
  for (const p of program.get('body')) {
    if ((p.isExportNamedDeclaration() || p.isExportAllDeclaration()) && p.node.source && isMacroSource(p.node.source.value, build.options)) {
      throw p.buildCodeFrameError(
        `Macros from '${p.node.source.value}' cannot be re-exported: they exist only at build time. Import them where they are called.`,
      );
    }
  }
}

/**
 * Hygiene (see hygiene.ts), before any code is spliced in. An expansion naming a macro of this
 * file is rejected rather than expanded again: it is shared across files, where that name may
 * mean another macro or nothing, and re-expanding generated code would need signature
 * inference over it and a termination argument; the generator can compute the value itself.
 */
function protectSites(program: NodePath<t.Program>, sites: Grouped['sites'], templates: ReadonlyMap<Group, ExpansionTemplate>, build: Build): void {
  const isMacroBinding = (b: { path: NodePath }) => {
    const decl = b.path.parentPath;
    return !!decl?.isImportDeclaration() && isMacroSource(decl.node.source.value, build.options);
  };
  for (const [site, group] of sites) {
    const isMacro = (name: string, b: { path: NodePath } | undefined) => (b ? isMacroBinding(b) : build.definition(group.def.module, name) !== null);
    protectFreeNames(site.path, program, templateOf(templates, group), isMacro, (name) => {
      throw site.path.buildCodeFrameError(
        `The expansion of the macro ${site.displayName} for the signature ${group.sig.key} refers to \`${name}\`, a macro: ` +
          'expansions are not expanded again, so a macro cannot call itself or another macro through its expansion. Compute the value in the generator instead.',
      );
    }, build.babel.types);
  }
}

/** Hoists once per group, rewrites every call site (innermost first, so an outer macro's arguments already hold expanded code), removes the macro imports. */
function splice(
  program: NodePath<t.Program>,
  { groups, sites }: Grouped,
  templates: ReadonlyMap<Group, ExpansionTemplate>,
  imports: readonly LoadedImport[],
  build: Build,
  label: () => string,
): void {
  const splicer = new FileSplicer(program, build.babel.types);
  const hoisted = new Map<Group, t.Identifier | null>();
  const logging = debugEnabled();
  for (const group of groups) {
    const first = group.sites[0];
    const hint = `${first.displayName.replace(/\W/g, '_')}$${signatureHint(group.sig)}`;
    const id = splicer.hoist(templateOf(templates, group), hint, first.path.node.loc);
    hoisted.set(group, id);
    // Ties a name seen in a stack trace or a debugger to its macro, signature and first call site.
    if (id && logging) debug('%s:%s: %s = %s%s', label(), first.path.node.loc?.start.line ?? '?', id.name, first.displayName, describeSignature(group.sig));
  }
  const ordered = [...sites].sort(([a], [b]) => (b.path.node.start ?? 0) - (a.path.node.start ?? 0));
  for (const [site, group] of ordered) {
    splicer.rewrite(site.path, templateOf(templates, group), hoisted.get(group) ?? null, siteArguments(site, build.babel.types));
  }
  for (const { decl } of imports) decl.remove();
  splicer.finish();
}

/**
 * The store calls of a file, after it succeeded: stale entries invalidated (advancing the
 * epoch), new and reopened entries written with the parses the store lacked, hits recorded,
 * one batch each. Returns the remote
 * tier's report, if any.
 */
function commit(build: Build, { stale, writes, hits }: Resolved): FileReport['remote'] | null {
  if (stale.length > 0) build.advanceEpoch(build.ledger.invalidate(stale));
  if (writes.length > 0) build.entries.putMany(writes);
  if (writes.length > 0 || build.pendingParses.size > 0) persistParses(writes.map((w) => w.expansion), build.babel, build.parsed, build.pendingParses);
  if (hits.size > 0) build.ledger.recordHits(hits);
  return build.remote?.takeReport() ?? null;
}

function templateOf(templates: ReadonlyMap<Group, ExpansionTemplate>, group: Group): ExpansionTemplate {
  const template = templates.get(group);
  if (!template) throw new Error(`internal: no template for ${group.def.id} ${group.sig.key}`);
  return template;
}

function finish(report: FileReport, filename: string | undefined, cwd: string): FileReport {
  // Building the summary costs more than the rest of a small file's bookkeeping: only when logging.
  if (debugEnabled()) debug('%s: %s', fileLabel(filename, cwd), summarize(report));
  return report;
}

function fileLabel(filename: string | undefined, cwd: string): string {
  return filename ? path.relative(cwd, filename) : '<unknown file>';
}

/** Resolves and loads an imported (or required) macro module; failures are code-framed. */
function loadImported(source: string, sourcePath: NodePath, decl: NodePath, filename: string | undefined, cwd: string, build: Build): MacroModule {
  let file: string;
  try {
    file = resolveMacro(source, filename, cwd);
  } catch (e) {
    throw sourcePath.buildCodeFrameError(`Cannot resolve the macro module '${source}': ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    return build.module(file, cwd);
  } catch (e) {
    // A syntax error in the macro module is framed in that file, where the fix is.
    const syntax = nodeSyntaxError(e);
    if (syntax) throw Object.assign(syntax, { message: `The macro module '${source}' failed to load: ${syntax.message}` });
    throw decl.buildCodeFrameError(`The macro module '${source}' failed to load: ${(e as Error).message}`);
  }
}

function summarize(report: FileReport): string {
  return Object.entries(report.macros)
    .map(([name, m]) => m.compat
      ? `${name}: ${m.calls} references, ${m.generated} runs (createMacro, uncached)`
      : `${name}: ${m.calls} calls, ${m.signatures} signatures, ${m.generated} generated, ${m.memoryHits + m.storeHits} hits${m.invalidations ? `, ${m.invalidations} invalidated` : ''}`)
    .join('; ');
}
