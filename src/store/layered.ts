/**
 * Composes a near (in-process) tier, a far (persistent) tier and optionally a shared remote tier,
 * after Parcel's layered cache: read near, fall back to far, then to remote, back-filling the
 * nearer tiers; write all of them, one batch each. The far tier owns epochs and definitions. The
 * near tier is a cache of far rows: its validity windows are advisory (keys carry the definition
 * fingerprint, and the plugin checks every hit's dependencies). The remote tier has no epochs at
 * all: its hits are valid for the fingerprint they are keyed by, and become local entries.
 * @packageDocumentation
 */
import type { MemoryStore } from './memory';
import type { RemoteTier } from './remote';
import type { DefinitionResult, Entry, EntryKey, Store, StoreStats } from './types';
import type { Dependency, RemoteReport } from '../api/types';

/** A {@link Store} reading through an in-memory tier to a persistent one. */
export class LayeredStore implements Store {
  constructor(
    readonly near: MemoryStore,
    readonly far: Store,
    readonly remote: RemoteTier | null = null,
  ) {}

  /** The tiers' names (the far one changes if it degrades to memory). */
  get name(): string {
    return `${this.near.name}+${this.far.name}${this.remote ? `+${this.remote.name}` : ''}`;
  }

  currentEpoch(): number {
    return this.far.currentEpoch();
  }

  registerDefinition(macroId: string, fingerprint: string): DefinitionResult {
    const r = this.far.registerDefinition(macroId, fingerprint);
    // Replay on the near tier at the far tier's epochs: caps (at the old epoch) and revivals match.
    this.near.syncEpoch(r.bumped ? r.epoch - 1 : r.epoch);
    this.near.registerDefinition(macroId, fingerprint);
    this.near.syncEpoch(r.epoch);
    return r;
  }

  definitions(): ReadonlyArray<{ macroId: string; fingerprint: string; files: readonly string[] }> {
    return this.far.definitions();
  }

  recordDefinitionFiles(macroId: string, files: readonly string[]): void {
    this.far.recordDefinitionFiles(macroId, files);
  }

  getMany(keys: readonly EntryKey[], epoch: number): Array<Entry | undefined> {
    const out = this.near.getMany(keys, epoch);
    const missing: number[] = [];
    out.forEach((e, i) => e === undefined && missing.push(i));
    if (missing.length === 0) return out;
    const found = this.far.getMany(
      missing.map((i) => keys[i]),
      epoch,
    );
    const fill: Entry[] = [];
    const farMisses: number[] = [];
    found.forEach((e, j) => {
      if (e) fill.push((out[missing[j]] = e));
      else farMisses.push(missing[j]);
    });
    this.near.fill(fill);
    if (this.remote && farMisses.length > 0) this.readRemote(keys, farMisses, epoch, out);
    return out;
  }

  putMany(entries: ReadonlyArray<Omit<Entry, 'minEpoch' | 'maxEpoch'>>): void {
    this.putLocal(entries);
    this.remote?.putMany(entries);
  }

  takeRemoteReport(): RemoteReport | null {
    return this.remote?.takeReport() ?? null;
  }

  /** One MGET for what no local tier had; hits are written to the local tiers (not back to remote). */
  private readRemote(keys: readonly EntryKey[], indexes: readonly number[], epoch: number, out: Array<Entry | undefined>): void {
    const remote = this.remote as RemoteTier;
    const got = remote.getMany(indexes.map((i) => keys[i]));
    const hits: Array<Omit<Entry, 'minEpoch' | 'maxEpoch'>> = [];
    got.forEach((decoded, j) => {
      if (!decoded) return;
      const { macroId, fingerprint, sigKey } = keys[indexes[j]];
      const entry = { macroId, fingerprint, sigKey, expansion: decoded.expansion, deps: decoded.deps };
      hits.push(entry);
      out[indexes[j]] = { ...entry, minEpoch: epoch, maxEpoch: null };
    });
    if (hits.length > 0) this.putLocal(hits);
  }

  private putLocal(entries: ReadonlyArray<Omit<Entry, 'minEpoch' | 'maxEpoch'>>): void {
    this.far.putMany(entries);
    this.near.syncEpoch(this.far.currentEpoch());
    this.near.putMany(entries);
  }

  invalidate(keys: readonly EntryKey[]): DefinitionResult {
    const r = this.far.invalidate(keys);
    // Whoever capped them in the far tier, the near copies are stale: read them again from far.
    this.near.evict(keys);
    this.near.syncEpoch(r.epoch);
    return r;
  }

  recordHits(hits: ReadonlyMap<string, number>): void {
    this.far.recordHits?.(hits);
  }

  stats(): StoreStats {
    return this.far.stats();
  }

  retainedMany(keys: readonly EntryKey[]): Entry[][] {
    return this.far.retainedMany(keys);
  }

  dependents(macroId: string, fingerprint: string): Array<{ sigKey: string; deps: readonly Dependency[] }> {
    return this.far.dependents(macroId, fingerprint);
  }

  entriesOf(macroId: string): Entry[] {
    return this.far.entriesOf(macroId);
  }

  gc(keepEpochs: number): number {
    this.near.syncEpoch(this.far.currentEpoch());
    this.near.gc(keepEpochs);
    return this.far.gc(keepEpochs);
  }

  clear(): void {
    this.near.clear();
    this.far.clear();
  }

  /** Closes the far tier's file (it reopens on next use); the near tier stays warm. */
  close(): void {
    this.far.close();
  }
}
