/**
 * The process-wide near tier of parsed expansions, shared by every build in the process (keys
 * include the store, macro, fingerprint and signature). It is an LRU bounded by the size of
 * the code it holds, not by a count: one compiled validator can weigh as much as a thousand
 * small inline expansions.
 */
import type { ExpansionTemplate } from '../template/expansion';
import type { Dependency } from '../api/types';

/** A parsed expansion kept in process memory, with what it depends on. */
export interface MemoryEntry {
  readonly template: ExpansionTemplate;
  readonly deps: readonly Dependency[];
}

/**
 * Budget in characters of expansion code. A parsed AST takes roughly 30 bytes of heap per
 * character of code, so this keeps the tier near 250 MB at most.
 */
const CODE_BUDGET = 8_000_000;

const entries = new Map<string, { entry: MemoryEntry; size: number }>();
let total = 0;

function sizeOf(t: ExpansionTemplate): number {
  // Not the nodes' start/end: parsed expansions carry no positions (it counted 0 for every entry).
  return t.codeSize + 64;
}

/** Reads and writes the tier. */
export const memoryTier = {
  get(key: string): MemoryEntry | undefined {
    const hit = entries.get(key);
    if (!hit) return undefined;
    // Most recently used last: eviction takes from the front.
    entries.delete(key);
    entries.set(key, hit);
    return hit.entry;
  },
  set(key: string, entry: MemoryEntry): void {
    memoryTier.delete(key);
    const size = sizeOf(entry.template);
    entries.set(key, { entry, size });
    total += size;
    for (const [k, v] of entries) {
      if (total <= CODE_BUDGET || k === key) break;
      entries.delete(k);
      total -= v.size;
    }
  },
  delete(key: string): void {
    const old = entries.get(key);
    if (old) {
      entries.delete(key);
      total -= old.size;
    }
  },
  clear(): void {
    entries.clear();
    total = 0;
  },
};
