/**
 * The in-process store tier: plain Maps with the same epoch semantics as the SQLite tier.
 * Used on its own for `store: 'memory'`, as the near tier of a {@link LayeredStore}, and as the
 * fallback when the persistent store is unusable.
 * @packageDocumentation
 */
import { warnOnce } from '../util/log';
import type { Dependency, SerializedExpansion } from '../api/types';
import { decodePayload, encodePayload } from './checksum';
import type { DefinitionResult, Entry, EntryKey, Store, StoreStats } from './types';

interface Row {
  readonly id: number;
  readonly entry: Entry;
  maxEpoch: number | null;
  /** Payload size, for `stats().bytes`. */
  readonly bytes: number;
}

interface Definition {
  fingerprint: string;
  sinceEpoch: number;
  files: readonly string[];
  hits: number;
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Tier name for logs (default `memory`). */
  readonly name?: string;
  /** Starting epoch (a fallback store continues from the persistent store's last epoch). */
  readonly epoch?: number;
  /**
   * Most keys kept; beyond it the oldest key is forgotten. For a near tier only (its far tier
   * still has them): a store used on its own must keep everything.
   */
  readonly maxKeys?: number;
}

function keyString(k: EntryKey): string {
  return `${k.macroId}\0${k.fingerprint}\0${k.sigKey}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A {@link Store} kept in this process's memory. */
export class MemoryStore implements Store {
  readonly name: string;
  private epoch: number;
  private readonly maxKeys: number;
  private nextId = 1;
  private readonly defs = new Map<string, Definition>();
  /** Rows per key string, oldest first. */
  private readonly rows = new Map<string, Row[]>();
  /** Key strings per macro, to cap a macro's entries without scanning everything. */
  private readonly byMacro = new Map<string, Set<string>>();
  /** Definition files recorded before the definition itself. */
  private readonly pendingFiles = new Map<string, readonly string[]>();

  constructor(options: MemoryStoreOptions = {}) {
    this.name = options.name ?? 'memory';
    this.epoch = options.epoch ?? 0;
    this.maxKeys = options.maxKeys ?? Infinity;
  }

  currentEpoch(): number {
    return this.epoch;
  }

  /**
   * Sets the epoch (not part of {@link Store}): a {@link LayeredStore} keeps its near tier on
   * the far tier's epoch, which other processes may have moved.
   */
  syncEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  registerDefinition(macroId: string, fingerprint: string): DefinitionResult {
    const def = this.defs.get(macroId);
    if (!def) {
      const files = this.pendingFiles.get(macroId) ?? [];
      this.pendingFiles.delete(macroId);
      this.defs.set(macroId, { fingerprint, sinceEpoch: this.epoch, files, hits: 0 });
      return { epoch: this.epoch, bumped: false, previous: null };
    }
    if (def.fingerprint === fingerprint) return { epoch: this.epoch, bumped: false, previous: fingerprint };
    const old = this.epoch;
    this.epoch = old + 1;
    for (const ks of this.byMacro.get(macroId) ?? []) {
      const list = this.rows.get(ks)!;
      if (list[0].entry.fingerprint !== fingerprint) {
        for (const r of list) if (r.maxEpoch === null) r.maxEpoch = old;
      } else if (!list.some((r) => r.maxEpoch === null)) {
        // Reverting to a retained fingerprint revives its newest entry per signature.
        list[list.length - 1].maxEpoch = null;
      }
    }
    const previous = def.fingerprint;
    def.fingerprint = fingerprint;
    def.sinceEpoch = this.epoch;
    return { epoch: this.epoch, bumped: true, previous };
  }

  definitions(): ReadonlyArray<{ macroId: string; fingerprint: string; files: readonly string[] }> {
    return [...this.defs].map(([macroId, d]) => ({ macroId, fingerprint: d.fingerprint, files: d.files }));
  }

  recordDefinitionFiles(macroId: string, files: readonly string[]): void {
    const def = this.defs.get(macroId);
    // Before the first registerDefinition there is no record yet: keep the files for it.
    if (def) def.files = [...files];
    else this.pendingFiles.set(macroId, [...files]);
  }

  getMany(keys: readonly EntryKey[], epoch: number): Array<Entry | undefined> {
    return keys.map((k) => {
      const list = this.rows.get(keyString(k));
      if (!list) return undefined;
      for (let i = list.length - 1; i >= 0; i--) {
        const r = list[i];
        if (r.maxEpoch === null || r.maxEpoch >= epoch) return this.view(r);
      }
      return undefined;
    });
  }

  putMany(entries: ReadonlyArray<Omit<Entry, 'minEpoch' | 'maxEpoch'>>): void {
    for (const e of entries) {
      const def = this.defs.get(e.macroId);
      // A late writer of a superseded definition: stored already capped (see SqliteStore).
      const cap = def && def.fingerprint !== e.fingerprint ? def.sinceEpoch - 1 : null;
      const list = this.rows.get(keyString(e));
      if (list?.some((r) => r.maxEpoch === null || (cap !== null && r.maxEpoch >= cap))) continue;
      try {
        this.insert(e, this.epoch, cap);
      } catch (err) {
        // Not serialisable (a generator bug): dropping the write keeps the build going.
        warnOnce(`memory-put:${e.macroId}`, `could not store an expansion of ${e.macroId}: ${String(err)}`);
      }
    }
  }

  /**
   * Inserts entries as another tier returned them, epochs included (not part of {@link Store}):
   * the back-fill of a {@link LayeredStore}. Keys already holding an open row are skipped.
   */
  fill(entries: readonly Entry[]): void {
    for (const e of entries) {
      const list = this.rows.get(keyString(e));
      if (list?.some((r) => r.maxEpoch === null || (r.maxEpoch === e.maxEpoch && r.entry.minEpoch === e.minEpoch))) {
        continue;
      }
      this.insert(e, e.minEpoch, e.maxEpoch);
    }
  }

  /** Forgets every row of these keys (not part of {@link Store}): the near tier re-reads them. */
  evict(keys: readonly EntryKey[]): void {
    for (const k of keys) this.removeKey(keyString(k), k.macroId);
  }

  invalidate(keys: readonly EntryKey[]): DefinitionResult {
    let capped = 0;
    for (const k of keys) {
      for (const r of this.rows.get(keyString(k)) ?? []) {
        if (r.maxEpoch === null) {
          r.maxEpoch = this.epoch;
          capped++;
        }
      }
    }
    if (capped > 0) this.epoch++;
    return { epoch: this.epoch, bumped: capped > 0, previous: null };
  }

  recordHits(hits: ReadonlyMap<string, number>): void {
    for (const [macroId, n] of hits) {
      const def = this.defs.get(macroId);
      if (def) def.hits += n;
    }
  }

  stats(): StoreStats {
    let entries = 0;
    let openEntries = 0;
    let bytes = 0;
    const perMacro = new Map<string, number>();
    for (const list of this.rows.values()) {
      for (const r of list) {
        entries++;
        if (r.maxEpoch === null) openEntries++;
        bytes += r.bytes;
        perMacro.set(r.entry.macroId, (perMacro.get(r.entry.macroId) ?? 0) + 1);
      }
    }
    const macros = [...this.defs].map(([macroId, d]) => ({
      macroId,
      fingerprint: d.fingerprint,
      sinceEpoch: d.sinceEpoch,
      entries: perMacro.get(macroId) ?? 0,
      hits: d.hits,
    }));
    return { epoch: this.epoch, entries, openEntries, bytes, macros };
  }

  retainedMany(keys: readonly EntryKey[]): Entry[][] {
    return keys.map((k) =>
      (this.rows.get(keyString(k)) ?? [])
        .filter((r) => r.maxEpoch !== null)
        .sort((a, b) => b.id - a.id)
        .map((r) => this.view(r)),
    );
  }

  dependents(macroId: string, fingerprint: string): Array<{ sigKey: string; deps: readonly Dependency[] }> {
    const out: Array<{ sigKey: string; deps: readonly Dependency[] }> = [];
    for (const ks of this.byMacro.get(macroId) ?? []) {
      for (const r of this.rows.get(ks) ?? []) {
        if (r.maxEpoch === null && r.entry.fingerprint === fingerprint && r.entry.deps.length > 0) {
          out.push({ sigKey: r.entry.sigKey, deps: r.entry.deps });
        }
      }
    }
    return out;
  }

  entriesOf(macroId: string): Entry[] {
    const out: Row[] = [];
    for (const ks of this.byMacro.get(macroId) ?? []) out.push(...this.rows.get(ks)!);
    return out.sort((a, b) => a.id - b.id).map((r) => this.view(r));
  }

  gc(keepEpochs: number): number {
    const limit = this.epoch - keepEpochs;
    let dropped = 0;
    for (const [ks, list] of this.rows) {
      const macroId = list[0].entry.macroId;
      const orphan = !this.defs.has(macroId);
      const kept = list.filter((r) => r.maxEpoch === null || (r.maxEpoch >= limit && !orphan));
      dropped += list.length - kept.length;
      if (kept.length === 0) this.removeKey(ks, macroId);
      else if (kept.length !== list.length) this.rows.set(ks, kept);
    }
    return dropped;
  }

  clear(): void {
    // The epoch is kept: builds still running keep a consistent, monotonic world.
    this.rows.clear();
    this.byMacro.clear();
    this.defs.clear();
    this.pendingFiles.clear();
  }

  close(): void {
    // Nothing to release; the data stays usable (a memoised store may be shared).
  }

  private insert(
    e: { macroId: string; fingerprint: string; sigKey: string; expansion: SerializedExpansion; deps: readonly Dependency[] },
    minEpoch: number,
    maxEpoch: number | null,
  ): void {
    // A JSON round trip, as the persistent tier does: callers cannot alias the stored value,
    // and what a later build reads here equals what it would read from disk.
    const { payload, checksum } = encodePayload(e, e.expansion, e.deps);
    const decoded = decodePayload(e, payload, checksum)!;
    const entry: Entry = deepFreeze({
      macroId: e.macroId,
      fingerprint: e.fingerprint,
      sigKey: e.sigKey,
      expansion: decoded.expansion,
      deps: decoded.deps,
      minEpoch,
      maxEpoch,
    });
    const ks = keyString(e);
    let list = this.rows.get(ks);
    if (!list) {
      if (this.rows.size >= this.maxKeys) {
        const [oldest, oldRows] = this.rows.entries().next().value as [string, Row[]];
        this.removeKey(oldest, oldRows[0].entry.macroId);
      }
      this.rows.set(ks, (list = []));
      let set = this.byMacro.get(e.macroId);
      if (!set) this.byMacro.set(e.macroId, (set = new Set()));
      set.add(ks);
    }
    list.push({ id: this.nextId++, entry, maxEpoch, bytes: payload.length });
  }

  private removeKey(ks: string, macroId: string): void {
    if (!this.rows.delete(ks)) return;
    const set = this.byMacro.get(macroId);
    set?.delete(ks);
    if (set?.size === 0) this.byMacro.delete(macroId);
  }

  /** The row's entry with its current `maxEpoch` (the stored entry object is frozen). */
  private view(r: Row): Entry {
    return r.maxEpoch === r.entry.maxEpoch ? r.entry : { ...r.entry, maxEpoch: r.maxEpoch };
  }
}
