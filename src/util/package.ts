/**
 * Facts about this package that several parts need: its version, and the identity of its code
 * (part of every definition fingerprint and cache key: expansions made by other plugin code are
 * never reused).
 * @packageDocumentation
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { HASH_LENGTH } from './hash';

/** This package's version, from its package.json. */
export const PLUGIN_VERSION: string = (require('../../package.json') as { version: string }).version;

// A memo of this process's own code: it cannot change under the running process (a new one is
// loaded only by a new process), so it lives outside the session.
let identity: string | undefined;

/**
 * The version plus a hash of this package's code as installed: an edit to the plugin without a
 * version bump (a local build, a patched `node_modules` copy, `npm link`) gives new keys, so a warm
 * build never serves what other plugin code produced. The same release installed anywhere hashes
 * the same, so shared caches still hit across machines. Computed once, on first use (a few ms: ~100 files).
 */
export function pluginIdentity(): string {
  return (identity ??= `${PLUGIN_VERSION}+${codeHash(path.resolve(__dirname, '..'))}`);
}

/** Hash of every module file under `root` of the kind this module was loaded as (`.js` from dist/, `.ts` from src/). */
function codeHash(root: string): string {
  const ext = path.extname(__filename);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.name.endsWith(ext) && !d.name.endsWith('.d.ts')) files.push(p);
    }
  };
  const h = createHash('sha256');
  try {
    walk(root);
    // Names and lengths framed in, so moving bytes between files changes the hash.
    for (const f of files.sort()) {
      const bytes = readFileSync(f);
      h.update(`${path.relative(root, f)}\0${bytes.length}\0`).update(bytes);
    }
  } catch {
    return 'unreadable';
  }
  return h.digest('hex').slice(0, HASH_LENGTH);
}
