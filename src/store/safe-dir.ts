/**
 * Creating directories safely: every directory the plugin makes (the store's, its control and
 * manifest folders) goes through {@link ensureDir}.
 * @packageDocumentation
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

const codeOf = (e: unknown): string | undefined => (e as { code?: unknown } | null)?.code as string | undefined;

/**
 * `mkdir -p` that always terminates: Node's `mkdirSync(dir, { recursive: true })` loops forever
 * on paths where mkdir keeps answering ENOENT under an existing parent (e.g. under /proc).
 * Throws the file system's error (ENOENT, EACCES, ENOTDIR…) when the directory cannot be made.
 */
export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (e) {
    const code = codeOf(e);
    if (code === 'EEXIST') {
      if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`not a directory: ${dir}`), { code: 'ENOTDIR' });
      return;
    }
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw e;
    ensureDir(parent);
    try {
      mkdirSync(dir); // a second ENOENT is final
    } catch (again) {
      if (codeOf(again) !== 'EEXIST') throw again;
    }
  }
}
