/**
 * Re-running cached generators on their stored signatures (`cached-macros verify`): a
 * generator must be pure, so the same signature must give the same expansion. The store keeps
 * the signature's key, the macro's definition files and its id (`module#export`); from those
 * this loads the macro as the plugin does, rebuilds the signature, calls `generate` with a fresh
 * context and compares the serialised result with the stored one.
 * @packageDocumentation
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BabelRuntime } from '../babel-runtime';
import { depsUpToDate, RecordingContext } from '../context';
import { serializeExpansion } from '../expansion';
import type { Generator } from '../generator';
import { hashFile } from '../hash';
import { defineMacro, loadMacroModule, type MacroDefinition } from '../macro-loader';
import { makeSignature } from '../signature';
import { track } from '../tracking';
import type { Entry } from '../store/types';
import type { SerializedExpansion } from '../types';
import { firstLine } from './errors';
import { parseSignatureKey } from './signature-key';

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
export function verifyMacro(recorded: RecordedMacro, entries: readonly Entry[], cwd: string, babel: BabelRuntime): VerifyResult[] {
  const open = entries.filter((e) => e.maxEpoch === null);
  if (open.length === 0) return [];
  const all = (status: VerifyStatus, reason: string) => open.map((e) => ({ macroId: recorded.macroId, sigKey: e.sigKey, status, reason }));

  const file = recorded.files[0];
  if (file === undefined) return all('skipped', 'the store has no record of the macro module file');
  if (!fs.existsSync(file)) return all('skipped', `the macro module ${file} no longer exists`);
  const exportName = recorded.macroId.slice(recorded.macroId.lastIndexOf('#') + 1);
  let loaded: MacroDefinition | null;
  try {
    loaded = defineMacro(loadMacroModule(file, cwd), exportName, babel.major);
  } catch (e) {
    return all('error', `the macro module ${file} failed to load: ${firstLine(e)}`);
  }
  if (!loaded) return all('error', `export "${exportName}" of ${file} is not a Generator subclass`);
  const def = loaded;

  let instance: Generator | undefined;
  const fileHash = (p: string) => hashFile(p) ?? 'missing';
  return open.map((entry): VerifyResult => {
    const base = { macroId: recorded.macroId, sigKey: entry.sigKey };
    if (entry.fingerprint !== def.fingerprint) {
      return { ...base, status: 'skipped', reason: 'the macro definition changed since this entry was stored (the next build regenerates it)' };
    }
    if (!depsUpToDate(entry.deps, fileHash)) {
      return { ...base, status: 'skipped', reason: 'a file or environment variable it read has changed (the next build regenerates it)' };
    }
    try {
      const sig = makeSignature(parseSignatureKey(entry.sigKey));
      if (sig.key !== entry.sigKey) throw new Error(`the signature key does not round-trip (read back as ${sig.key})`);
      instance ??= new def.cls();
      const ctx = new RecordingContext(recorded.macroId, undefined, path.dirname(def.module.file));
      const generator = instance;
      // As in a build: plain fs / process.env reads are tracked (and so behave the same).
      const value: unknown = track(ctx, () => generator.generate(sig, ctx));
      if (value && typeof (value as { then?: unknown }).then === 'function') throw new Error('generate returned a Promise');
      const fresh = serializeExpansion(value, sig.args.length, ctx.helpers, babel);
      if (sameExpansion(fresh, entry.expansion)) return { ...base, status: 'ok' };
      return { ...base, status: 'mismatch', reason: 'a re-run produced a different expansion', stored: entry.expansion, fresh };
    } catch (e) {
      return { ...base, status: 'error', reason: firstLine(e) };
    }
  });
}

function sameExpansion(a: SerializedExpansion, b: SerializedExpansion): boolean {
  const canonical = (x: SerializedExpansion) =>
    JSON.stringify([x.hoist, x.inline, x.helpers.map((h) => [h.placeholder, h.source, h.name])]);
  return canonical(a) === canonical(b);
}
