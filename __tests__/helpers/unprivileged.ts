/**
 * Running a child process as an unprivileged user, for tests about read-only directories: root
 * writes through permissions, so when the tests run as root the child runs as `nobody`.
 */
import fs from 'fs';
import path from 'path';

/** The user a permission test's child runs as: `nobody` under root, the current user otherwise. */
export function unprivileged(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
}

/**
 * Runs `fn` while `nobody` can traverse every folder above `paths` (a checkout may sit in a 0700
 * folder, as `mktemp -d` makes): adds the others' execute bit where missing, and puts the modes
 * back afterwards. Nothing changes when the tests do not run as root.
 */
export async function reachableByNobody<T>(paths: readonly string[], fn: () => T | Promise<T>): Promise<T> {
  const changed = new Map<string, number>();
  if (process.getuid?.() === 0) {
    for (const p of paths) {
      for (let dir = path.resolve(p); ; dir = path.dirname(dir)) {
        const mode = fs.statSync(dir).mode & 0o7777;
        if (!(mode & 0o001) && !changed.has(dir)) {
          changed.set(dir, mode);
          fs.chmodSync(dir, mode | 0o001);
        }
        if (path.dirname(dir) === dir) break;
      }
    }
  }
  try {
    return await fn();
  } finally {
    for (const [dir, mode] of changed) fs.chmodSync(dir, mode);
  }
}
