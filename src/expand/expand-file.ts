/**
 * One file's way through the plugin (docs/architecture.md, steps 1–9): group call sites by (macro,
 * signature), look the cached groups up in one batch, run generators for the misses, splice,
 * and write the new entries in one batch. Nothing is written unless the whole file succeeded.
 */
import path from 'path';
import type { PluginPass } from '@babel/core';
import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { Build } from '../build/build';
import { memoryTier } from '../store/memory-tier';
import { collectSites, siteArguments, type CallSite } from './call-sites';
import { parseExpansion, type ExpansionTemplate } from '../template/expansion';
import { generate, verify } from '../generate/generate';
import { entryKey, type Group } from './group';
import { debug } from '../util/log';
import { hitsByMacro, lookUp, memoryKey } from './lookup';
import { babelMacroOf, runBabelMacros } from '../compat/babel-plugin-macros';
import { nodeSyntaxError } from '../load/typescript';
import { exportOf, resolveMacro, type MacroModule } from '../load/macro-loader';
import { isMacroSource } from '../build/options';
import { applyConstArgs, describeSignature, inferArgType, makeSignature, signatureHint, tagArgTypes } from '../signature';
import { FileSplicer } from '../template/splice';
import { protectFreeNames } from '../template/hygiene';
import type { Entry } from '../store/types';
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
 * source order, then Generator macros expand over the result.
 */
export function expandFile(
  program: NodePath<t.Program>,
  filename: string | undefined,
  cwd: string,
  build: Build,
  babelMacros?: BabelMacrosContext,
): FileReport | null {
  for (const p of program.get('body')) {
    if ((p.isExportNamedDeclaration() || p.isExportAllDeclaration()) && p.node.source && isMacroSource(p.node.source.value, build.options)) {
      throw p.buildCodeFrameError(
        `Macros from '${p.node.source.value}' cannot be re-exported: they exist only at build time. Import them where they are called.`,
      );
    }
  }
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

  const groups = new Map<string, Group>();
  const sites: Array<[CallSite, Group]> = [];
  for (const { decl, mod } of imports) {
    const source = decl.node.source.value;
    checkSpecifiers(decl, (name) => build.definition(mod, name) !== null, (name) => exportOf(mod, name));
    for (const site of collectSites(decl).sites) {
      const def = build.definition(mod, site.importedName);
      if (!def) throw site.path.buildCodeFrameError(notAGenerator(source, site.importedName, exportOf(mod, site.importedName)));
      const sig = makeSignature(
        applyConstArgs(
          site.tagged
            ? tagArgTypes(site.argPaths[0] as NodePath<t.TemplateLiteral>)
            : site.argPaths.map((p) => inferArgType(p)),
          def.cls.constArgs,
        ),
      );
      const name = site.importedName === 'default' ? source : `${source}#${site.importedName}`;
      const report = (macros[name] ??= {
        calls: 0, signatures: 0, generated: 0, memoryHits: 0, storeHits: 0, invalidations: 0, cached: def.cached, generateMs: 0,
      });
      report.calls++;
      const key = `${def.id}\0${sig.key}`;
      let group = groups.get(key);
      if (!group) {
        group = { def, sig, sites: [], report };
        groups.set(key, group);
        report.signatures++;
      }
      group.sites.push(site);
      sites.push([site, group]);
    }
  }

  const cachedGroups = [...groups.values()].filter((g) => g.def.cached);
  for (const g of cachedGroups) g.report.invalidations += build.register(g.def);
  const writes: Array<Omit<Entry, 'minEpoch' | 'maxEpoch'>> = [];
  const { stale } = lookUp(cachedGroups, build, writes);
  const hits = hitsByMacro(cachedGroups);

  for (const group of groups.values()) {
    if (group.template && build.options.verify > 0 && Math.random() < build.options.verify) verify(group, filename, build);
    if (group.template) continue;
    const { serialized, deps } = generate(group, filename, build);
    group.template = parseExpansion(serialized, build.babel);
    if (group.def.cached) {
      const key = entryKey(group);
      writes.push({ ...key, expansion: serialized, deps });
      memoryTier.set(memoryKey(build, key), { template: group.template, deps });
    }
  }

  // Hygiene (see hygiene.ts), before any code is spliced in. An expansion naming a macro of
  // this file is rejected rather than expanded again: it is shared across files, where that
  // name may mean another macro or nothing, and re-expanding generated code would need
  // signature inference over it and a termination argument; the generator can compute the
  // value itself.
  const isMacroBinding = (b: { path: NodePath }) => {
    const decl = b.path.parentPath;
    return !!decl?.isImportDeclaration() && isMacroSource(decl.node.source.value, build.options);
  };
  for (const [site, group] of sites) {
    const isMacro = (name: string, b: { path: NodePath } | undefined) => (b ? isMacroBinding(b) : build.definition(group.def.module, name) !== null);
    protectFreeNames(site.path, program, group.template as ExpansionTemplate, isMacro, (name) => {
      throw site.path.buildCodeFrameError(
        `The expansion of the macro ${site.displayName} for the signature ${group.sig.key} refers to \`${name}\`, a macro: ` +
          'expansions are not expanded again, so a macro cannot call itself or another macro through its expansion. Compute the value in the generator instead.',
      );
    }, build.babel.types);
  }

  // Splice innermost call sites first, so an outer macro's arguments already hold expanded code.
  const splicer = new FileSplicer(program, build.babel.types);
  const hoisted = new Map<Group, t.Identifier | null>();
  for (const group of groups.values()) {
    const first = group.sites[0];
    const hint = `${first.displayName.replace(/\W/g, '_')}$${signatureHint(group.sig)}`;
    const id = splicer.hoist(group.template as ExpansionTemplate, hint, first.path.node.loc);
    hoisted.set(group, id);
    // Ties a name seen in a stack trace or a debugger to its macro, signature and first call site.
    if (id) debug('%s:%s: %s = %s%s', fileLabel(filename, cwd), first.path.node.loc?.start.line ?? '?', id.name, first.displayName, describeSignature(group.sig));
  }
  sites.sort(([a], [b]) => (b.path.node.start ?? 0) - (a.path.node.start ?? 0));
  for (const [site, group] of sites) {
    splicer.rewrite(site.path, group.template as ExpansionTemplate, hoisted.get(group) ?? null, siteArguments(site, build.babel.types));
  }
  for (const { decl } of imports) decl.remove();
  splicer.finish();

  if (stale.length > 0) build.advanceEpoch(build.ledger.invalidate(stale));
  if (writes.length > 0) build.entries.putMany(writes);
  if (hits.size > 0) build.ledger.recordHits(hits);
  const remote = build.remote?.takeReport();
  return finish({ epoch: writes.length + cachedGroups.length > 0 ? build.epoch : null, macros, ...(remote && { remote }) }, filename, cwd);
}

function finish(report: FileReport, filename: string | undefined, cwd: string): FileReport {
  debug('%s: %s', fileLabel(filename, cwd), summarize(report));
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

function checkSpecifiers(decl: NodePath<t.ImportDeclaration>, isMacro: (name: string) => boolean, exported: (name: string) => unknown): void {
  for (const spec of decl.get('specifiers')) {
    if (spec.isImportNamespaceSpecifier()) continue;
    if (spec.isImportSpecifier() && spec.node.importKind === 'type') continue;
    const name = spec.isImportDefaultSpecifier()
      ? 'default'
      : ((s) => (s.type === 'Identifier' ? s.name : s.value))((spec.node as t.ImportSpecifier).imported);
    if (!isMacro(name)) throw spec.buildCodeFrameError(notAGenerator(decl.node.source.value, name, exported(name)));
  }
}

function notAGenerator(source: string, name: string, value: unknown): string {
  const what = name === 'default' ? 'default export' : `export "${name}"`;
  if (value === undefined) return `The macro module '${source}' has no ${what}.`;
  return `The ${what} of the macro module '${source}' is not a Generator subclass (extend Generator or CachedGenerator from babel-plugin-cached-macros, or export a babel-plugin-macros createMacro macro as the module).`;
}

function summarize(report: FileReport): string {
  return Object.entries(report.macros)
    .map(([name, m]) => m.compat
      ? `${name}: ${m.calls} references, ${m.generated} runs (createMacro, uncached)`
      : `${name}: ${m.calls} calls, ${m.signatures} signatures, ${m.generated} generated, ${m.memoryHits + m.storeHits} hits${m.invalidations ? `, ${m.invalidations} invalidated` : ''}`)
    .join('; ');
}
