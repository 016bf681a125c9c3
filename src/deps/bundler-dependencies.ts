/**
 * What bundler integrations (Vite, Metro) need to know about macro dependencies before or
 * after Babel runs: which macro modules a file imports, and which files and environment
 * variables a macro module's output depends on (its definition graph, and what its expansions
 * read as recorded in the dependency manifest).
 * @packageDocumentation
 */
import { graphMemo, recordedEnvHash } from './graph-memo';
import { manifestFor } from './dependency-manifest';
import { hash } from '../util/hash';
import { importSources } from '../expand/import-sources';
import { resolveMacro } from '../load/macro-loader';
import { isMacroSource, type ResolvedOptions } from '../build/options';
import { UNATTRIBUTED } from './observed-dependencies';

/** The macro module files `code` (the content of `file`) imports, resolved as the plugin resolves them; unresolvable ones are left out (the transform reports them). */
export function importedMacroModules(code: string, file: string, options: ResolvedOptions, cwd: string): string[] {
  const out: string[] = [];
  for (const source of importSources(code)) {
    if (!isMacroSource(source, options)) continue;
    try {
      out.push(resolveMacro(source, file, cwd));
    } catch {
      // reported by the transform
    }
  }
  return out;
}

/** The files a macro module's output depends on: its definition graph and the files its expansions were recorded reading. */
export function macroModuleFiles(moduleFile: string, options: ResolvedOptions): string[] {
  const files = new Set<string>();
  try {
    for (const f of graphMemo().graphFiles(moduleFile)) files.add(f);
  } catch {
    files.add(moduleFile); // unreadable: the transform reports it; its change is still seen
  }
  const recorded = manifestFor(options).current().get(moduleFile);
  if (recorded) for (const f of [...recorded.graph, ...recorded.files]) files.add(f);
  return [...files].sort();
}

/**
 * A key over everything recorded in the dependency manifest for these options: every macro
 * module's definition files and the files and environment variables its expansions read (by
 * content and value). It changes whenever a macro definition or anything a macro read changes.
 */
export function recordedDependenciesKey(options: ResolvedOptions): string {
  const parts: string[] = [];
  const recorded = manifestFor(options).current();
  for (const moduleFile of [...recorded.keys()].sort()) {
    if (moduleFile === UNATTRIBUTED) continue;
    const deps = recorded.get(moduleFile)!;
    parts.push(`module\0${moduleFile}`);
    for (const f of new Set([...deps.graph, ...deps.files, ...macroModuleFiles(moduleFile, options)])) parts.push(`file\0${f}\0${graphMemo().contentHash(f)}`);
    for (const name of [...deps.env].sort()) parts.push(`env\0${name}\0${recordedEnvHash(name)}`);
  }
  return hash(parts.join('\n'));
}
