/**
 * The memo the Jest, Vite and Metro keys share: the files of a macro module's static graph and
 * the content hashes of files, each kept while the stat snapshot it was computed under holds.
 * A Jest worker keys many files importing the same macros, a Vite server transforms modules
 * again on every edit; re-walking and re-hashing unchanged files each time is what this saves.
 * @packageDocumentation
 */
import { moduleGraph, statSnapshot, type StatSnapshot } from '../load/fingerprint';
import { hashFile } from '../util/hash';
import { session } from '../build/session';
import { envHash, envListingHash } from './dependency-check';
import { ENV_LISTING } from './observed-dependencies';

/** Graphs and content hashes, each valid while its files' stat snapshot is unchanged. */
export class GraphMemo {
  private readonly graphs = new Map<string, { snapshot: StatSnapshot; files: readonly string[] }>();
  private readonly hashes = new Map<string, { snapshot: StatSnapshot; hash: string }>();

  /** The macro module and the local files it requires, statically (load/fingerprint.ts `moduleGraph`); throws when unreadable. */
  graphFiles(moduleFile: string): readonly string[] {
    const known = this.graphs.get(moduleFile);
    if (known && statSnapshot(known.files) === known.snapshot) return known.files;
    const { files } = moduleGraph(moduleFile);
    this.graphs.set(moduleFile, { snapshot: statSnapshot(files), files });
    return files;
  }

  /** The content hash of a file, `missing` when it does not exist. */
  contentHash(file: string): string {
    const snapshot = statSnapshot([file]);
    const known = this.hashes.get(file);
    if (known && known.snapshot === snapshot) return known.hash;
    const h = hashFile(file) ?? 'missing';
    this.hashes.set(file, { snapshot, hash: h });
    return h;
  }
}

/** The session's memo, shared by the Jest transformer and the bundler keys (created on first use). */
export function graphMemo(): GraphMemo {
  const s = session();
  return (s.graphMemo ??= new GraphMemo());
}

/**
 * What a key records for an environment variable name of the dependency manifest: its value's
 * hash, or for {@link ENV_LISTING} the hash of the list of names.
 */
export function recordedEnvHash(name: string): string {
  return name === ENV_LISTING ? envListingHash() : envHash(process.env[name]);
}
