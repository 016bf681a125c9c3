/**
 * The GenerateContext handed to a generator for one signature. It records every file and
 * environment variable read through it as a dependency of the expansion, and collects the
 * helper imports the expansion needs.
 */
import fs from 'fs';
import path from 'path';
import { envDigest } from '../deps/env-digest';
import { hash, hashFile } from '../util/hash';
import { logUndeclared, untracked, type ReadRecorder } from './tracking';
import type { Dependency, GenerateContext, HelperImport } from '../api/types';

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

/**
 * Unkeyed hash of an environment variable's value, for Jest's cache key only (never stored by
 * this plugin): what the store and the shared tier record is {@link envDigest}, keyed.
 */
export function envHash(value: string | undefined): string {
  return value === undefined ? 'unset' : hash(`=${value}`);
}

/** Hash of the sorted names of the environment variables (an `env-list` dependency): names only, no values. */
export function envListingHash(): string {
  return hash(Object.keys(process.env).sort().join('\0'));
}

/** Whether an environment dependency recorded in process memory (unkeyed: a macro module's load-time reads) still holds. */
export function envUpToDate(d: Dependency & { kind: 'env' | 'env-list' }): boolean {
  return d.hash === (d.kind === 'env' ? envHash(process.env[d.name]) : envListingHash());
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
    /** Key of the recorded environment digests (see deps/env-digest.ts). */
    private readonly envKey: Buffer,
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
    // A missing file is allowed (its creation invalidates); a directory stands for its listing.
    this.fileDep(abs, untracked(() => hashFile(abs)) ?? 'missing');
  }

  env(name: string): string | undefined {
    const value = untracked(() => process.env[name]);
    this.deps.set(`env:${name}`, { kind: 'env', name, hash: envDigest(value, this.envKey) });
    return value;
  }

  /** A plain `fs` read seen while the generator ran (automatic dependency tracking). */
  fileRead(abs: string, how: string): void {
    if (this.deps.has(`file:${abs}`)) return;
    logUndeclared(this.macroName, abs, how);
    this.fileDep(abs, untracked(() => hashFile(abs)) ?? 'missing');
  }

  /** A module the generator required (lazily): a dependency on the bytes Node compiled for it. */
  moduleLoaded(abs: string, contentHash: string): void {
    this.fileDep(abs, contentHash);
  }

  /** A plain `process.env` read seen while the generator ran. */
  envRead(name: string): void {
    if (this.deps.has(`env:${name}`)) return;
    logUndeclared(this.macroName, `$${name}`, 'process.env');
    this.deps.set(`env:${name}`, { kind: 'env', name, hash: envDigest(untracked(() => process.env[name]), this.envKey) });
  }

  /** An enumeration of `process.env` seen while the generator ran: the names, not the values. */
  envListed(): void {
    if (this.deps.has('env-list')) return;
    logUndeclared(this.macroName, 'the list of environment variables', 'process.env');
    this.deps.set('env-list', { kind: 'env-list', hash: untracked(envListingHash) });
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
 * build, so a warm build hashes each dependency once. Environment digests recorded under
 * another key (another store's, or an unkeyed one) read as changed.
 */
export function depsUpToDate(deps: readonly Dependency[], fileHash: (p: string) => string, envKey: Buffer): boolean {
  for (const d of deps) {
    const now =
      d.kind === 'file' ? fileHash(d.path) : d.kind === 'env-list' ? envListingHash() : envDigest(process.env[d.name], envKey);
    if (now !== d.hash) return false;
  }
  return true;
}
