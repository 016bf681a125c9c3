/**
 * The GenerateContext handed to a generator for one signature. It records every file and
 * environment variable read through it as a dependency of the expansion, and collects the
 * helper imports the expansion needs.
 */
import fs from 'fs';
import path from 'path';
import { hash, hashFile } from './hash';
import { logUndeclared, untracked, type ReadRecorder } from './tracking';
import type { Dependency, GenerateContext, HelperImport } from './types';

/** Thrown by `ctx.error`: the plugin turns it into a code frame at the call site or argument. */
export class MacroCallError extends Error {
  constructor(
    message: string,
    readonly argIndex: number | undefined,
  ) {
    super(message);
    this.name = 'MacroCallError';
  }
}

/** Hash recorded for an environment variable's value (distinguishes unset from empty). */
export function envHash(value: string | undefined): string {
  return value === undefined ? 'unset' : hash(`=${value}`);
}

/**
 * How a file dependency is stored: relative to the project root (posix separators) when inside
 * it, so that another checkout sharing the store (a cache directory, a Redis namespace) checks
 * its own copy of the file; absolute when outside it (a file shared by every checkout).
 */
export function dependencyPath(root: string, abs: string): string {
  const rel = path.relative(root, abs);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return abs;
  return rel.split(path.sep).join('/');
}

/** The file a stored dependency path names in the checkout at `root` (see {@link dependencyPath}). */
export function dependencyFile(root: string, stored: string): string {
  return path.isAbsolute(stored) ? stored : path.resolve(root, stored);
}

/**
 * A GenerateContext that records what the generator read: through its methods, and (as a
 * {@link ReadRecorder}) through plain `fs` and `process.env` while the generator runs.
 */
export class RecordingContext implements GenerateContext, ReadRecorder {
  readonly deps = new Map<string, Dependency>();
  readonly helpers: HelperImport[] = [];

  constructor(
    readonly macroName: string,
    readonly filename: string | undefined,
    /** Folder that relative paths in readFile/dependsOnFile resolve from (the macro module's). */
    private readonly baseDir: string,
    /** The project root: file dependencies are recorded relative to it (see {@link dependencyPath}). */
    private readonly root: string,
  ) {}

  private fileDep(abs: string, h: string): void {
    this.deps.set(`file:${abs}`, { kind: 'file', path: dependencyPath(this.root, abs), hash: h });
  }

  readFile(file: string): string {
    const abs = path.resolve(this.baseDir, file);
    const content = untracked(() => fs.readFileSync(abs));
    this.fileDep(abs, hash(content));
    return content.toString('utf8');
  }

  dependsOnFile(file: string): void {
    const abs = path.resolve(this.baseDir, file);
    let h = 'missing';
    try {
      h = hash(untracked(() => fs.readFileSync(abs)));
    } catch {
      // depending on a file that does not exist yet is allowed: its creation invalidates
    }
    this.fileDep(abs, h);
  }

  env(name: string): string | undefined {
    const value = untracked(() => process.env[name]);
    this.deps.set(`env:${name}`, { kind: 'env', name, hash: envHash(value) });
    return value;
  }

  /** A plain `fs` read seen while the generator ran (automatic dependency tracking). */
  fileRead(abs: string, how: string): void {
    if (this.deps.has(`file:${abs}`)) return;
    logUndeclared(this.macroName, abs, how);
    this.fileDep(abs, untracked(() => hashFile(abs)) ?? 'missing');
  }

  /** A plain `process.env` read seen while the generator ran. */
  envRead(name: string): void {
    if (this.deps.has(`env:${name}`)) return;
    logUndeclared(this.macroName, `$${name}`, 'process.env');
    this.deps.set(`env:${name}`, { kind: 'env', name, hash: envHash(untracked(() => process.env[name])) });
  }

  error(message: string, argIndex?: number): never {
    throw new MacroCallError(message, argIndex);
  }

  helper(source: string, name: string): string {
    if (typeof source !== 'string' || typeof name !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(name)) {
      throw new TypeError(`ctx.helper(source, name) needs a module source and an identifier name, got (${String(source)}, ${String(name)})`);
    }
    let h = this.helpers.find((x) => x.source === source && x.name === name);
    if (!h) {
      h = { placeholder: `$helper${this.helpers.length}_${name}`, source, name };
      this.helpers.push(h);
    }
    return h.placeholder;
  }
}

/**
 * Checks recorded dependencies against the current files and environment. `fileHash` receives
 * the stored path (resolve it with {@link dependencyFile}); it is memoised by the caller per
 * build, so a warm build hashes each dependency once.
 */
export function depsUpToDate(deps: readonly Dependency[], fileHash: (p: string) => string): boolean {
  for (const d of deps) {
    const now = d.kind === 'file' ? fileHash(d.path) : envHash(process.env[d.name]);
    if (now !== d.hash) return false;
  }
  return true;
}
