/**
 * The near tier of parsed expansions, shared by every build in the session (which holds it,
 * see build/session.ts; keys include the store, macro, fingerprint and signature). It is an LRU bounded by the size of
 * the code it holds, not by a count: one compiled validator can weigh as much as a thousand
 * small inline expansions.
 */
import type { ExpansionTemplate } from '../template/expansion';
import type { Dependency } from '../api/types';
import { session } from '../build/session';

/** A parsed expansion kept in process memory, with what it depends on. */
export interface MemoryEntry {
  readonly template: ExpansionTemplate;
  readonly deps: readonly Dependency[];
}

/**
 * Budget in characters of expansion code. A kept (compact) AST takes ~15 bytes of heap per
 * character, so this is ~4 MB. Small on purpose: V8 lets the heap grow to a few times what
 * survives a full GC, so each retained megabyte costs several of peak RSS, while an evicted
 * entry costs one store read and reading its stored parse back (persisted-parse.ts), less than
 * the parse a hand-expanded build pays for the same code in every file (docs/performance.md,
 * "Peak RSS at scale": at 10k call sites, 8 M characters gave peak RSS 540–790 MB, 1 M 300–800
 * MB, 0.25 M 240–255 MB in 11 of 11 runs, at the same CPU time).
 */
const CODE_BUDGET = 250_000;

function sizeOf(t: ExpansionTemplate): number {
  // Not the nodes' start/end: parsed expansions carry no positions (it counted 0 for every entry).
  return t.codeSize + 64;
}

/** Reads and writes the tier. */
export const memoryTier = {
  get(key: string): MemoryEntry | undefined {
    const { entries } = session().templates;
    const hit = entries.get(key);
    if (!hit) return undefined;
    // Most recently used last: eviction takes from the front.
    entries.delete(key);
    entries.set(key, hit);
    return hit.entry;
  },
  set(key: string, entry: MemoryEntry): void {
    memoryTier.delete(key);
    const tier = session().templates;
    const size = sizeOf(entry.template);
    tier.entries.set(key, { entry, size });
    tier.total += size;
    for (const [k, v] of tier.entries) {
      if (tier.total <= CODE_BUDGET || k === key) break;
      tier.entries.delete(k);
      tier.total -= v.size;
    }
  },
  delete(key: string): void {
    const tier = session().templates;
    const old = tier.entries.get(key);
    if (old) {
      tier.entries.delete(key);
      tier.total -= old.size;
    }
  },
};
