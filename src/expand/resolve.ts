/**
 * Step 4 of a file (docs/architecture.md): a template for every group, from the memory tier,
 * the store, a retained entry, or the generator, with the entries to write once the file has
 * succeeded. Returns everything it decided; the store is only read here.
 */
import type { Build } from '../build/build';
import { memoryTier } from '../store/memory-tier';
import { parseExpansion, type ExpansionTemplate } from '../template/expansion';
import { generate, verify } from '../generate/generate';
import { entryKey, type Group } from './group';
import { hitsByMacro, lookUp, memoryKey, type NewEntry } from './lookup';
import type { EntryKey } from '../store/types';

/** A file's templates and what to commit to the store after the splice. */
export interface Resolved {
  readonly templates: ReadonlyMap<Group, ExpansionTemplate>;
  /** New and reopened entries, written in one batch. */
  readonly writes: readonly NewEntry[];
  /** Entries found stale, invalidated in one batch. */
  readonly stale: readonly EntryKey[];
  /** Hits per macro id, recorded for `cached-macros stats`. */
  readonly hits: ReadonlyMap<string, number>;
  /** How many groups are of cached macros (the file's report then names the epoch). */
  readonly cachedGroups: number;
}

/**
 * Registers the cached definitions (a changed fingerprint bumps the epoch), looks the cached
 * groups up, and runs the generator of every other group once (verify mode may re-run a hit's).
 */
export function resolveTemplates(groups: readonly Group[], filename: string | undefined, build: Build): Resolved {
  const cached = groups.filter((g) => g.def.cached);
  for (const g of cached) g.report.invalidations += build.register(g.def);
  const { found, stale, reopened } = lookUp(cached, build);
  const templates = new Map<Group, ExpansionTemplate>();
  const writes = [...reopened];
  for (const group of groups) {
    const hit = found.get(group);
    if (hit) {
      if (build.options.verify > 0 && Math.random() < build.options.verify) verify(group, hit, filename, build);
      templates.set(group, hit);
      continue;
    }
    const { serialized, deps, ms } = generate(group, filename, build);
    group.report.generated++;
    group.report.generateMs += ms;
    const template = parseExpansion(serialized, build.babel);
    templates.set(group, template);
    if (group.def.cached) {
      const key = entryKey(group);
      writes.push({ ...key, expansion: serialized, deps });
      memoryTier.set(memoryKey(build, key), { template, deps });
    }
  }
  return { templates, writes, stale, hits: hitsByMacro(found), cachedGroups: cached.length };
}
