/**
 * Content hashing shared by the store (checksums), fingerprints and dependency checks.
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Hex length of {@link hash} results: 128 bits of SHA-256 is ample against accidental
 * collisions (checksums, cache keys) and halves the bytes stored per key.
 */
export const HASH_LENGTH = 32;

/** SHA-256 of `data` (strings hashed as UTF-8), as the first {@link HASH_LENGTH} hex characters. */
export function hash(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * {@link hash} of a file's bytes, or of a directory's listing (names and kinds: what a
 * generator listing it can see), or `null` when it cannot be read (missing, no permission).
 * Callers compare it with a recorded hash, so "unreadable" simply reads as "changed"; the
 * generator re-run then reports the real error.
 */
export function hashFile(path: string): string | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EISDIR' ? hashDirectory(path) : null;
  }
  return hash(bytes);
}

function hashDirectory(path: string): string | null {
  try {
    const entries = readdirSync(path, { withFileTypes: true }).map((d) => `${d.name}\0${d.isDirectory() ? 'd' : d.isSymbolicLink() ? 'l' : d.isFile() ? 'f' : 'o'}`);
    return hash(`dir\n${entries.sort().join('\n')}`);
  } catch {
    return null;
  }
}
