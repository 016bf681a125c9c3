/**
 * The GenerateContext handed to a generator for one signature. It records every file and
 * environment variable read through it as a dependency of the expansion, and collects the
 * helper imports the expansion needs.
 */
import fs from 'fs';
import path from 'path';
import { envDigest } from '../deps/env-digest';
import { dependencyPath, envListingHash } from '../deps/dependency-check';
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
    /** The project root: file dependencies are recorded relative to it (see `dependencyPath`, deps/dependency-check.ts). */
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
