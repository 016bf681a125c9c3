/**
 * Re-running cached generators on their stored signatures (`cached-macros verify`): a
 * generator must be pure, so the same signature must give the same expansion. The store keeps
 * the signature's key and the macro's id (`module#export`); the module is found from the id
 * through the project (never from paths the store records), loaded as the plugin does; the signature
 * is rebuilt from its key and the generator run as a build runs it (`runGenerator`), its
 * expansion compared with the stored one by `sameExpansion`.
 * @packageDocumentation
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { BabelRuntime } from '../build/babel-runtime';
import { runGenerator, sameExpansion } from '../generate/run';
import { DEFAULT_WATCHDOG_MS } from '../generate/watchdog';
import { dependencyFile, depsUpToDate } from '../deps/dependency-check';
import type { Generator } from '../api/generator';
import { hashFile } from '../util/hash';
import { findPackageJson } from '../load/fingerprint';
import { defineMacro, loadMacroModule, moduleId, type MacroDefinition } from '../load/macro-loader';
import type { Entry } from '../store/types';
import type { SerializedExpansion } from '../api/types';
import { firstLine } from './errors';
import { makeSignature, parseSignatureKey } from '../signature';

/** What verifying one entry found. */
export type VerifyStatus = 'ok' | 'mismatch' | 'error' | 'skipped';

/** The outcome for one stored entry. */
export interface VerifyResult {
  readonly macroId: string;
  readonly sigKey: string;
  readonly status: VerifyStatus;
  /** Why it was skipped, or what went wrong. */
  readonly reason?: string;
  /** For a mismatch: the stored and the freshly generated expansions. */
  readonly stored?: SerializedExpansion;
  readonly fresh?: SerializedExpansion;
}

/** A macro as recorded in the store. */
export interface RecordedMacro {
  readonly macroId: string;
  readonly fingerprint: string;
  readonly files: readonly string[];
}

/**
 * Verifies the open entries of one recorded macro. Entries that cannot be meaningfully
 * re-run are `skipped` with a reason: the macro's files changed since it was recorded (its
 * next build regenerates them anyway), or a file or variable the entry read changed.
 */
export function verifyMacro(
  recorded: RecordedMacro,
  entries: readonly Entry[],
  cwd: string,
  babel: BabelRuntime,
  /** The store's environment digest key (deps/env-digest.ts); null: environment dependencies cannot be checked. */
  envKey: Buffer | null,
): VerifyResult[] {
  const open = entries.filter((e) => e.maxEpoch === null);
  if (open.length === 0) return [];
  const all = (status: VerifyStatus, reason: string) => open.map((e) => ({ macroId: recorded.macroId, sigKey: e.sigKey, status, reason }));

  const hashAt = recorded.macroId.lastIndexOf('#');
  const id = recorded.macroId.slice(0, hashAt);
  // Never the store's record of files: a tampered store would name what to run.
  const file = hashAt > 0 ? resolveMacroId(id, cwd) : null;
  if (file === null) return all('skipped', `the macro module ${id} cannot be found from ${cwd}`);
  const exportName = recorded.macroId.slice(hashAt + 1);
  let loaded: MacroDefinition | null;
  try {
    loaded = defineMacro(loadMacroModule(file, cwd), exportName, babel.major);
  } catch (e) {
    return all('error', `the macro module ${file} failed to load: ${firstLine(e)}`);
  }
  if (!loaded) return all('error', `export "${exportName}" of ${file} is not a Generator subclass`);
  const def = loaded;

  let instance: Generator | undefined;
  const fileHash = (p: string) => hashFile(dependencyFile(cwd, p)) ?? 'missing';
  return open.map((entry): VerifyResult => {
    const base = { macroId: recorded.macroId, sigKey: entry.sigKey };
    if (entry.fingerprint !== def.fingerprint) {
      return { ...base, status: 'skipped', reason: 'the macro definition changed since this entry was stored (the next build regenerates it)' };
    }
    if (!depsUpToDate(entry.deps, fileHash, envKey ?? unknownKey)) {
      return { ...base, status: 'skipped', reason: 'a file or environment variable it read has changed (the next build regenerates it)' };
    }
    try {
      const sig = makeSignature(parseSignatureKey(entry.sigKey));
      if (sig.key !== entry.sigKey) throw new Error(`the signature key does not round-trip (read back as ${sig.key})`);
      // As in a build: the same context, tracking, watchdog and serialisation (generate/run.ts).
      const { serialized: fresh } = runGenerator({
        def,
        generator: () => (instance ??= new def.cls()),
        sig,
        displayName: recorded.macroId,
        filename: undefined,
        root: cwd,
        envKey: envKey ?? unknownKey,
        babel,
        watchdogMs: DEFAULT_WATCHDOG_MS,
        where: 're-run by cached-macros verify',
      });
      if (sameExpansion(fresh, entry.expansion)) return { ...base, status: 'ok' };
      return { ...base, status: 'mismatch', reason: 'a re-run produced a different expansion', stored: entry.expansion, fresh };
    } catch (e) {
      return { ...base, status: 'error', reason: firstLine(e) };
    }
  });
}

/**
 * The file of the macro module whose id (`package/relative/path`, or a path relative to `cwd`
 * outside any package) is `id`, found the way the project finds it: inside the project's own
 * package, or through Node's resolution of an installed package. Null for ids that are not a
 * plain module path (absolute, `.`/`..` segments), that resolve nowhere, or whose file does not
 * have that id: such an id can only come from a damaged or tampered store.
 */
export function resolveMacroId(id: string, cwd: string): string | null {
  const segments = id.split('/');
  if (id === '' || id.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\'))) return null;
  const candidates: string[] = [];
  const project = findPackageJson(path.join(cwd, 'package.json'));
  if (project?.json.name && id.startsWith(`${project.json.name}/`)) candidates.push(path.join(project.dir, id.slice(project.json.name.length + 1)));
  try {
    candidates.push(nodeRequire.resolve(id, { paths: [cwd] }));
  } catch {
    // Not an installed package's file (or hidden by its exports map).
  }
  if (!project) candidates.push(path.join(cwd, id));
  return candidates.find((f) => fs.existsSync(f) && fs.statSync(f).isFile() && moduleId(f, cwd) === id) ?? null;
}

const nodeRequire = createRequire(__filename);
/** Stands in for a missing store key: no recorded digest matches it, so such entries are skipped. */
const unknownKey = randomBytes(32);
