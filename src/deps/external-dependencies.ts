/**
 * The external dependencies one plugin instance reports to Babel's callers (babel-loader, and
 * through it webpack's watcher and babel-loader's own cache). Babel takes them only in the plugin
 * factory, before any file is transformed, and gives the same list to every file of the config
 * (babel/babel#16016). So the factory reports every file known to affect output: the definition
 * files of every macro and every file their expansions read, from the dependency manifest, the
 * store and this process.
 *
 * A transform may still depend on a file the report lacks (a macro or a dependency seen for the
 * first time). Two control files, reported along with it, keep that from serving stale output:
 * - the *poison* is deleted: babel-loader (10+) treats a dependency that is gone as changed, so
 *   every result cached under this report is dropped on the next build, which reports the now
 *   complete list;
 * - the *trigger* is touched: a dependency changed after a module's build started makes
 *   webpack's snapshot invalid, so a watch process rebuilds those modules once, with the
 *   complete list.
 * Their names hash the reported list, so a later report with the same list reuses them (and
 * babel-loader's cache stays valid across processes), and one with another list never revives
 * a deleted poison.
 * @packageDocumentation
 */
import fs from 'fs';
import path from 'path';
import { hash } from '../util/hash';
import { debug } from '../util/log';
import { ensureDir } from '../store/safe-dir';
import type { ObservedDependencies } from './observed-dependencies';

/** Folder, in the cache directory, of the control files. */
export const CONTROL_DIR = 'external-deps';

/** Control files older than this are removed when new ones are made (they only cost a re-transform). */
const CONTROL_FILE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
/**
 * New control files are dated this far in the past: webpack's watcher reports a file modified
 * after the compilation started as changed, and only the trigger's touch should be.
 */
const CONTROL_FILE_BACKDATE_MS = 60_000;

/** What one plugin instance reports, and the check that it covers what its transforms read. */
export class ExternalDependencies {
  /** The files to pass to `api.addExternalDependency`: every known file that exists, then the control files. */
  readonly files: readonly string[];
  private readonly known: ReadonlySet<string>;
  private readonly poison: string | null;
  private readonly trigger: string | null;
  private missed: string | null = null;
  private readonly checked = new WeakMap<ObservedDependencies, number>();

  /**
   * @param known files known to affect output (missing ones are left out: babel-loader would
   *   treat them as changed on every build)
   * @param controlDir where the control files live; null for none (nothing is written)
   */
  constructor(known: Iterable<string>, controlDir: string | null) {
    const existing = [...new Set(known)].filter(isFile).sort();
    this.known = new Set(existing);
    const id = hash(existing.join('\n'));
    const made = controlDir ? makeControlFiles(controlDir, id) : null;
    this.poison = made?.poison ?? null;
    this.trigger = made?.trigger ?? null;
    this.files = made ? [...existing, made.poison, made.trigger] : existing;
    debug('reporting %d external dependencies (%s)', existing.length, id.slice(0, 8));
  }

  /** The first file a transform under this report depended on that the report lacks, or null. */
  get missing(): string | null {
    return this.missed;
  }

  /**
   * Checks what a build observed against the report, after each file (nothing to do when the
   * build learnt nothing since the last check). On the first file missing from the report,
   * deletes the poison and touches the trigger. Returns true once the report is incomplete.
   */
  check(observed: ObservedDependencies): boolean {
    if (this.missed !== null) return true;
    const version = observed.version;
    if (this.checked.get(observed) === version) return false;
    this.checked.set(observed, version);
    for (const f of observed.files()) {
      if (!this.known.has(f) && isFile(f)) {
        this.invalidate(f);
        return true;
      }
    }
    return false;
  }

  private invalidate(file: string): void {
    this.missed = file;
    debug('%s was not reported to Babel: results cached under this report are dropped', file);
    if (this.poison) {
      try {
        fs.unlinkSync(this.poison);
      } catch {
        // already gone (another process found the same gap)
      }
    }
    if (this.trigger) {
      try {
        const now = new Date();
        fs.utimesSync(this.trigger, now, now);
      } catch {
        touchNew(this.trigger);
      }
    }
  }
}

/** The poison and trigger files for report `id`, made if missing. */
function makeControlFiles(dir: string, id: string): { poison: string; trigger: string } | null {
  const poison = path.join(dir, `${id}.poison`);
  const trigger = path.join(dir, `${id}.trigger`);
  if (isFile(poison) && isFile(trigger)) return { poison, trigger };
  try {
    ensureDir(dir);
    removeOldControlFiles(dir);
    const past = new Date(Date.now() - CONTROL_FILE_BACKDATE_MS);
    for (const f of [poison, trigger]) {
      if (isFile(f)) continue;
      fs.writeFileSync(f, '');
      fs.utimesSync(f, past, past);
    }
    return { poison, trigger };
  } catch (e) {
    // Without them a gap cannot be made safe for babel-loader's cache; the list is still reported.
    debug('cannot make control files in %s: %s', dir, (e as Error).message);
    return null;
  }
}

function removeOldControlFiles(dir: string): void {
  const limit = Date.now() - CONTROL_FILE_MAX_AGE_MS;
  for (const name of fs.readdirSync(dir)) {
    if (!/\.(poison|trigger)$/.test(name)) continue;
    const f = path.join(dir, name);
    try {
      if (fs.statSync(f).mtimeMs < limit) fs.unlinkSync(f);
    } catch {
      // removed by another process meanwhile
    }
  }
}

function touchNew(file: string): void {
  try {
    ensureDir(path.dirname(file));
    fs.writeFileSync(file, '');
  } catch {
    // the poison still protects babel-loader's cache
  }
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
