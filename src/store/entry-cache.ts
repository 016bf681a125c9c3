/**
 * Entry caches and their composition, after Parcel's `LayeredCache`: tiers that only get and
 * put expansions by key, read near → far with the far tier's hits back-filled into the near
 * one, written to every tier. Validity stays outside: the keys carry the definition
 * fingerprint, the build checks every hit's dependencies, and the ledger decides which local
 * rows a build's epoch sees.
 * @packageDocumentation
 */
import type { CachedEntry, EntryCache, EntryKey, Ledger } from './types';

/**
 * The ledger's rows as an entry cache: reads see the entries valid at the epoch `epochOf`
 * returns at the time of the read (a build's pinned epoch); writes are the ledger's.
 */
export function ledgerEntries(ledger: Ledger, epochOf: () => number): EntryCache {
  return {
    get name() {
      return ledger.name;
    },
    getMany: (keys) => ledger.getMany(keys, epochOf()),
    putMany: (entries) => ledger.putMany(entries),
    close: () => ledger.close(),
  };
}

/** Two entry caches as one: `near` first, `far` for what it missed, back-filling `near`. */
export class LayeredCache implements EntryCache {
  constructor(
    readonly near: EntryCache,
    readonly far: EntryCache,
  ) {}

  get name(): string {
    return `${this.near.name}+${this.far.name}`;
  }

  getMany(keys: readonly EntryKey[]): Array<CachedEntry | undefined> {
    const out = this.near.getMany(keys);
    const missing: number[] = [];
    out.forEach((e, i) => e === undefined && missing.push(i));
    if (missing.length === 0) return out;
    const found = this.far.getMany(missing.map((i) => keys[i]));
    const fill: CachedEntry[] = [];
    found.forEach((e, j) => {
      if (e) fill.push((out[missing[j]] = e));
    });
    // Far hits become near entries (never written back to the far tier).
    if (fill.length > 0) this.near.putMany(fill);
    return out;
  }

  putMany(entries: readonly CachedEntry[]): void {
    this.near.putMany(entries);
    this.far.putMany(entries);
  }

  close(): void {
    this.near.close();
    this.far.close();
  }
}
