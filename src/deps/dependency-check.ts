/**
 * Checking recorded dependencies against the files and environment as they are now: the build
 * and the lookup on every cache hit, the CLI before re-running a generator, the macro loader for
 * a module's load-time reads, the Jest and bundler keys. Also the hashes both sides agree on (an
 * environment value, the list of variable names) and how a file dependency's path is stored, so
 * the recorder (generate/context.ts) and the checkers cannot drift apart.
 * @packageDocumentation
 */
import path from 'path';
import { envDigest } from './env-digest';
import { hash } from '../util/hash';
import type { Dependency } from '../api/types';

/**
 * Unkeyed hash of an environment variable's value, for process memory and Jest's cache key only
 * (never stored by this plugin): what the store and the shared tier record is {@link envDigest}, keyed.
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
