/**
 * The in-memory {@link Ledger}: plain Maps, the same decisions as the SQLite ledger
 * (ledger-rules.ts). It is the whole store for `store: 'memory'`, and the fallback of the SQLite
 * ledger when the persistent file is unusable. Not a cache tier: the one in-process tier is the
 * parsed-template tier (memory-tier.ts).
 * @packageDocumentation
 */
import { warnOnce } from '../util/log';
import type { Dependency } from '../api/types';
import { decodePayload, encodePayload } from './checksum';
import { decideRegistration, insertCap, invalidation, type RecordedDefinition } from './ledger-rules';
import type { CachedEntry, DefinitionRecord, DefinitionResult, Entry, EntryKey, Ledger } from './types';

interface Row {
  readonly id: number;
  readonly entry: Entry;
  maxEpoch: number | null;
}

interface Definition extends RecordedDefinition {
  fingerprint: string;
  sinceEpoch: number;
  files: readonly string[];
  hits: number;
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

/** A {@link Ledger} kept in this process's memory. */
export class MemoryLedger implements Ledger {
  readonly name = 'memory';
  /** The process's own parse memo is all a memory store needs. */
  readonly parsed = null;
  private epoch: number;
  private nextId = 1;
  private readonly defs = new Map<string, Definition>();
  /** Rows per key string, oldest first. */
  private readonly rows = new Map<string, Row[]>();
  /** Key strings per macro, to cap a macro's entries without scanning everything. */
  private readonly byMacro = new Map<string, Set<string>>();
  /** Definition files recorded before the definition itself. */
  private readonly pendingFiles = new Map<string, readonly string[]>();

  /** `epoch`: where to start (a fallback continues from the persistent ledger's last epoch). */
  constructor(epoch = 0) {
    this.epoch = epoch;
  }

  currentEpoch(): number {
    return this.epoch;
  }

  registerDefinition(macroId: string, fingerprint: string): DefinitionResult {
    const def = this.defs.get(macroId);
    const { result, action } = decideRegistration(def, fingerprint, this.epoch);
    if (action === 'record') {
      const files = this.pendingFiles.get(macroId) ?? [];
      this.pendingFiles.delete(macroId);
      this.defs.set(macroId, { fingerprint, sinceEpoch: this.epoch, files, hits: 0 });
    } else if (action === 'bump' && def) {
      const old = this.epoch;
      this.epoch = result.epoch;
      for (const ks of this.byMacro.get(macroId) ?? []) {
        const list = this.rows.get(ks)!;
        if (list[0].entry.fingerprint !== fingerprint) {
          for (const r of list) if (r.maxEpoch === null) r.maxEpoch = old;
        } else if (!list.some((r) => r.maxEpoch === null)) {
          // Reverting to a retained fingerprint revives its newest entry per signature.
          list[list.length - 1].maxEpoch = null;
        }
      }
      def.fingerprint = fingerprint;
      def.sinceEpoch = this.epoch;
    }
    return result;
  }

  definitions(): readonly DefinitionRecord[] {
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

  putMany(entries: readonly CachedEntry[]): void {
    for (const e of entries) {
      const cap = insertCap(this.defs.get(e.macroId), e.fingerprint);
      const list = this.rows.get(keyString(e));
      if (list?.some((r) => r.maxEpoch === null || (cap !== null && r.maxEpoch >= cap))) continue;
      try {
        this.insert(e, cap);
      } catch (err) {
        // Not serialisable (a generator bug): dropping the write keeps the build going.
        warnOnce(`memory-put:${e.macroId}`, `could not store an expansion of ${e.macroId}: ${String(err)}`);
      }
    }
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
    const result = invalidation(this.epoch, capped);
    this.epoch = result.epoch;
    return result;
  }

  recordHits(hits: ReadonlyMap<string, number>): void {
    for (const [macroId, n] of hits) {
      const def = this.defs.get(macroId);
      if (def) def.hits += n;
    }
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

  beginBuild(): void {
    // Nothing to retry: memory is always available.
  }

  close(): void {
    // Nothing to release; the data stays usable (a memoised ledger may be shared).
  }

  private insert(e: CachedEntry, maxEpoch: number | null): void {
    // A JSON round trip, as the persistent ledger does: callers cannot alias the stored value,
    // and what a later build reads here equals what it would read from disk.
    const { payload, checksum } = encodePayload(e, e.expansion, e.deps);
    const decoded = decodePayload(e, payload, checksum)!;
    const { macroId, fingerprint, sigKey } = e;
    const entry: Entry = deepFreeze({ macroId, fingerprint, sigKey, ...decoded, minEpoch: this.epoch, maxEpoch });
    const ks = keyString(e);
    let list = this.rows.get(ks);
    if (!list) {
      this.rows.set(ks, (list = []));
      let set = this.byMacro.get(e.macroId);
      if (!set) this.byMacro.set(e.macroId, (set = new Set()));
      set.add(ks);
    }
    list.push({ id: this.nextId++, entry, maxEpoch });
  }

  /** The row's entry with its current `maxEpoch` (the stored entry object is frozen). */
  private view(r: Row): Entry {
    return r.maxEpoch === r.entry.maxEpoch ? r.entry : { ...r.entry, maxEpoch: r.maxEpoch };
  }
}
