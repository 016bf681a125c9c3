/**
 * Looking a file's cached groups up: the process-wide memory tier, then one batch to the entry
 * caches (the ledger's rows, then the remote tier), then one batch of the ledger's retained
 * entries for the misses. Every hit's recorded dependencies are checked; a stale hit is a miss.
 * The result says what was found; nothing is written here.
 */
import type { Build } from '../build/build';
import { memoryTier } from '../store/memory-tier';
import { depsUpToDate } from '../deps/dependency-check';
import type { ExpansionTemplate } from '../template/expansion';
import { templatesOf } from '../template/persisted-parse';
import { entryKey, type Group } from './group';
import type { CachedEntry, EntryKey } from '../store/types';

/** An entry to write at the end of the file (the ledger assigns its epochs). */
export type NewEntry = CachedEntry;

/** What a look-up found for a file's cached groups. */
export interface LookUpResult {
  /** The template of every group served from the memory tier, the store or a retained entry. */
  readonly found: Map<Group, ExpansionTemplate>;
  /** Entries whose recorded dependencies changed: to be invalidated. */
  readonly stale: EntryKey[];
  /** Retained entries whose dependencies match again: to be written back (reopened). */
  readonly reopened: NewEntry[];
}

/** Signatures served from the memory tier or the store, per macro id (for `cached-macros stats`). */
export function hitsByMacro(found: ReadonlyMap<Group, unknown>): Map<string, number> {
  const hits = new Map<string, number>();
  for (const g of found.keys()) hits.set(g.def.id, (hits.get(g.def.id) ?? 0) + 1);
  return hits;
}

/** Keys of the process-wide parsed-expansion tier: per store, so a memory-store build never hides entries from a persistent one. */
export function memoryKey(build: Build, k: EntryKey): string {
  return `${build.options.store}:${build.options.cacheDir}\0${k.macroId}\0${k.fingerprint}\0${k.sigKey}`;
}

/**
 * Memory tier first, then one store batch; hits whose dependencies changed are stale. Misses
 * then get one batch of retained (capped) entries: one whose dependencies match again (a file
 * restored, a variable toggled back) is reused and reopened instead of generating. Counts hits
 * and invalidations in each group's report.
 */
export function lookUp(groups: readonly Group[], build: Build): LookUpResult {
  const result: LookUpResult = { found: new Map(), stale: [], reopened: [] };
  const fileHash = (p: string) => build.fileHash(p);
  const far: Group[] = [];
  for (const g of groups) {
    const mem = memoryTier.get(memoryKey(build, entryKey(g)));
    if (mem && depsUpToDate(mem.deps, fileHash, build.envKey)) {
      result.found.set(g, mem.template);
      g.report.memoryHits++;
      build.noteReads(g.def, mem.deps);
    } else far.push(g);
  }
  if (far.length === 0) return result;
  const found = build.entries.getMany(far.map(entryKey));
  const fresh: Array<readonly [Group, CachedEntry]> = [];
  far.forEach((g, i) => {
    const entry = found[i];
    if (!entry) return;
    if (!depsUpToDate(entry.deps, fileHash, build.envKey)) {
      result.stale.push(entryKey(g));
      g.report.invalidations++;
      return;
    }
    fresh.push([g, entry]);
  });
  const templates = templatesOf(fresh.map(([, e]) => e.expansion), build.babel, build.parsed, build.pendingParses);
  fresh.forEach(([g, entry], i) => {
    const template = templates[i];
    if (!template) return; // checksummed but unparsable (written by a broken version): regenerate
    result.found.set(g, template);
    g.report.storeHits++;
    build.noteReads(g.def, entry.deps);
    memoryTier.set(memoryKey(build, entryKey(g)), { template, deps: entry.deps });
  });
  const missed = far.filter((g) => !result.found.has(g));
  if (missed.length === 0) return result;
  build.ledger.retainedMany(missed.map(entryKey)).forEach((candidates, i) => {
    const g = missed[i];
    for (const entry of candidates) {
      if (!depsUpToDate(entry.deps, fileHash, build.envKey)) continue;
      const template = parsed(entry, build);
      if (!template) continue;
      result.found.set(g, template);
      g.report.storeHits++;
      build.noteReads(g.def, entry.deps);
      result.reopened.push({ ...entryKey(g), expansion: entry.expansion, deps: entry.deps });
      memoryTier.set(memoryKey(build, entryKey(g)), { template, deps: entry.deps });
      return;
    }
  });
  return result;
}

function parsed(entry: Pick<CachedEntry, 'expansion'>, build: Build): ExpansionTemplate | null {
  return templatesOf([entry.expansion], build.babel, build.parsed, build.pendingParses)[0];
}
