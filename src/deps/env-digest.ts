/**
 * Keyed digests of environment values. A dependency on a variable records a digest of its
 * value; unkeyed, anyone reading the store (or the shared Redis) could confirm a guessed
 * secret (`NPM_TOKEN`, a signing key) offline. Keyed, the digest tells nothing without the key:
 * a per-store random key locally, a key derived from the signing secret on a shared HMAC tier.
 * @packageDocumentation
 */
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { HASH_LENGTH } from '../util/hash';
import { ensureDir } from '../store/safe-dir';
import { untracked } from '../generate/tracking';
import { session } from '../build/session';

/** The local key's file in the cache directory (created 0600). */
export const DIGEST_KEY_FILE = 'env-digest.key';
const KEY_BYTES = 32;

/** Recorded for a variable's value: `unset`, or an HMAC of it under `key` (distinguishes unset from empty). */
export function envDigest(value: string | undefined, key: Buffer): string {
  return value === undefined ? 'unset' : `k:${createHmac('sha256', key).update(`=${value}`).digest('hex').slice(0, HASH_LENGTH)}`;
}

/** The digest key of a shared tier signed with HMAC `signingKey`: every holder of the secret derives the same. */
export function remoteDigestKey(signingKey: string): Buffer {
  return createHmac('sha256', signingKey).update('cached-macros env digest v1').digest();
}

/**
 * The cache directory's digest key, created (32 random bytes, mode 0600, first writer wins)
 * when missing. When the directory is unusable the store lives in memory anyway: a key for
 * this session only. Memoised per session (a later session rereads it: `clear` may remove it).
 */
export function localDigestKey(cacheDir: string): Buffer {
  const s = session();
  let key = s.digestKeys.get(cacheDir);
  if (key) return key;
  key = untracked(() => {
    const file = path.join(cacheDir, DIGEST_KEY_FILE);
    try {
      ensureDir(cacheDir);
      const fd = fs.openSync(file, 'wx', 0o600);
      try {
        fs.writeSync(fd, randomBytes(KEY_BYTES));
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') return null;
    }
    return readKeyFile(file);
  }) ?? (s.fallbackDigestKey ??= randomBytes(KEY_BYTES));
  s.digestKeys.set(cacheDir, key);
  return key;
}

/** The cache directory's digest key if it has one (read-only callers: nothing is created). */
export function readLocalDigestKey(cacheDir: string): Buffer | null {
  return readKeyFile(path.join(cacheDir, DIGEST_KEY_FILE));
}

function readKeyFile(file: string): Buffer | null {
  // A writer racing us may not have written its bytes yet: retry briefly.
  for (let i = 0; i < 50; i++) {
    try {
      const bytes = fs.readFileSync(file);
      if (bytes.length === KEY_BYTES) return bytes;
    } catch {
      return null;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
  }
  return null;
}
