/**
 * A small LRU keyed by code text and bounded by the total length of its keys: the memo behind
 * "a generator's output is parsed once per process" (expansion.ts). Values derived from the
 * text alone (a validated, printed expansion; a parsed template) are safe to share because
 * templates are never mutated: splice.ts clones them into each file.
 * @packageDocumentation
 */

/** An LRU of values keyed by text, evicting the least recently used once `budget` characters of keys are held. */
export class TextMemo<V> {
  private readonly entries = new Map<string, V>();
  private chars = 0;

  constructor(private readonly budget: number) {}

  /** The value for `key`, marked most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    // Most recently used last: eviction takes from the front.
    this.entries.delete(key);
    this.entries.set(key, v);
    return v;
  }

  /** Stores `value` under `key`, evicting the oldest entries beyond the budget; returns `value`. */
  set(key: string, value: V): V {
    if (key.length > this.budget) return value; // would evict everything and not fit
    if (this.entries.delete(key)) this.chars -= key.length;
    this.entries.set(key, value);
    this.chars += key.length;
    for (const k of this.entries.keys()) {
      if (this.chars <= this.budget) break;
      this.entries.delete(k);
      this.chars -= k.length;
    }
    return value;
  }

  /** Number of entries held (for tests). */
  get size(): number {
    return this.entries.size;
  }
}
