/**
 * Collecting a file's call sites and grouping them: a group is the call sites of one (macro,
 * signature) pair in one file. The plugin looks each group up once and runs its generator at
 * most once.
 */
import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { Build } from '../build/build';
import { collectSites, type CallSite } from './call-sites';
import { exportOf, type MacroDefinition, type MacroModule } from '../load/macro-loader';
import { applyConstArgs, inferArgType, makeSignature, tagArgTypes } from '../signature';
import type { EntryKey } from '../store/types';
import type { MacroReport, Signature } from '../api/types';

/** The call sites of one (macro, signature) pair in this file. */
export interface Group {
  readonly def: MacroDefinition;
  readonly sig: Signature;
  readonly sites: CallSite[];
  readonly report: MacroReport;
}

/** A macro import of the file and the module it loaded. */
export interface LoadedImport {
  readonly decl: NodePath<t.ImportDeclaration>;
  readonly mod: MacroModule;
}

/** A file's groups (in order of first appearance) and every call site with its group (in source order). */
export interface Grouped {
  readonly groups: readonly Group[];
  readonly sites: ReadonlyArray<readonly [CallSite, Group]>;
}

/** The store key of a group. */
export function entryKey(g: Group): EntryKey {
  return { macroId: g.def.id, fingerprint: g.def.fingerprint, sigKey: g.sig.key };
}

/**
 * Infers each call site's signature and groups the sites by (macro, signature). `macros` (the
 * file report's) gets each macro's call and signature counts.
 */
export function groupSites(imports: readonly LoadedImport[], build: Build, macros: Record<string, MacroReport>): Grouped {
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
  return { groups: [...groups.values()], sites };
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
