/**
 * A build: the life of one plugin instance (Babel re-creates it when `api.cache` says a macro
 * definition changed). It pins the macro definitions it loaded and the epoch it saw, so every
 * file of the build sees one consistent world, and memoises dependency hashes.
 */
import type { BabelRuntime } from './babel-runtime';
import { hashFile } from '../util/hash';
import { debug } from '../util/log';
import { defineMacro, loadMacroModule, type MacroDefinition, type MacroModule } from '../load/macro-loader';
import type { ResolvedOptions } from './options';
import { randomBytes } from 'node:crypto';
import { openStore, type OpenedStore } from '../store';
import type { RemoteTier } from '../store/remote';
import type { DefinitionResult, EntryCache, Ledger, ParsedCache } from '../store/types';
import type { PendingParses } from '../template/persisted-parse';
import { dependencyFile, depsUpToDate } from '../deps/dependency-check';
import { localDigestKey, remoteDigestKey } from '../deps/env-digest';
import { statSnapshot } from '../load/fingerprint';
import { ObservedDependencies } from '../deps/observed-dependencies';
import type { Dependency } from '../api/types';
import type { Generator } from '../api/generator';

/** Digest key of memory-store builds: nothing they record outlives the process. */
const memoryKey = randomBytes(32);

/** State of one build. */
export class Build {
  private opened: OpenedStore | null = null;
  private pinnedEpoch: number | null = null;
  private readonly modules = new Map<string, MacroModule>();
  private readonly definitions = new Map<string, MacroDefinition | null>();
  private readonly registered = new Set<string>();
  private readonly fileHashes = new Map<string, string>();
  private readonly instances = new Map<string, Generator>();
  /** Files this build read, with their stats when read (see {@link changedFile}). */
  private readonly watched = new Map<string, string>();
  /** What this build's output depends on, per macro module (reported to Babel's callers and Jest). */
  readonly observed = new ObservedDependencies();
  /** Parses of store hits the store had no row for: written with the file's entries (persisted-parse.ts). */
  readonly pendingParses: PendingParses = new Map();

  constructor(
    readonly options: ResolvedOptions,
    /** The running Babel core's node factories: everything this build puts into a tree is made with them. */
    readonly babel: BabelRuntime,
    /** The project root (Babel's `root`): relative file dependencies name files under it. */
    readonly root: string,
  ) {}

  private envKeyValue: Buffer | null = null;

  /**
   * Key of the environment digests this build records and checks: derived from the shared
   * tier's HMAC secret when there is one (so every holder of it can check them), else the cache
   * directory's own key (a process-wide one for the memory store).
   */
  get envKey(): Buffer {
    if (!this.envKeyValue) {
      const { remote, store, cacheDir } = this.options;
      if (remote?.signingKey) this.envKeyValue = remoteDigestKey(remote.signingKey);
      else this.envKeyValue = store === 'fs' ? localDigestKey(cacheDir) : memoryKey;
    }
    return this.envKeyValue;
  }

  /** The store, opened on first use. */
  private get store(): OpenedStore {
    if (!this.opened) {
      const { store: kind, cacheDir, remote } = this.options;
      this.opened = openStore({ kind, cacheDir, remote }, () => this.epoch);
      this.pinnedEpoch = this.opened.ledger.currentEpoch();
      debug('build opened store %s at %s, epoch %d', this.opened.entries.name, cacheDir, this.pinnedEpoch);
    }
    return this.opened;
  }

  /** The store's ledger: epochs, definitions, caps, hits. */
  get ledger(): Ledger {
    return this.store.ledger;
  }

  /** The entry caches this build reads and writes (local rows at {@link epoch}, then the remote tier). */
  get entries(): EntryCache {
    return this.store.entries;
  }

  /** Where parsed expansions persist across processes, or null (see {@link Ledger.parsed}). */
  get parsed(): ParsedCache | null {
    return this.store.ledger.parsed;
  }

  /** The remote tier, or null (for its per-file report). */
  get remote(): RemoteTier | null {
    return this.store.remote;
  }

  /** The epoch this build sees: the store's at its start, moved only by this build's own registrations. */
  get epoch(): number {
    void this.store;
    return this.pinnedEpoch as number;
  }

  /** The macro module at `file`, loaded once per build. */
  module(file: string, cwd: string): MacroModule {
    let mod = this.modules.get(file);
    if (!mod) {
      mod = loadMacroModule(file, cwd);
      this.modules.set(file, mod);
      for (const [f, stat] of mod.stats) this.watched.set(f, stat);
      this.observed.module(file, mod.graph.files);
    }
    return mod;
  }

  /** The Generator exported as `exportName`, or null when that export is not a Generator. */
  definition(mod: MacroModule, exportName: string): MacroDefinition | null {
    const key = `${mod.file}#${exportName}`;
    if (!this.definitions.has(key)) this.definitions.set(key, defineMacro(mod, exportName, this.babel.major));
    return this.definitions.get(key) as MacroDefinition | null;
  }

  /**
   * Records a cached macro's definition in the store once per build (may bump the epoch) and
   * caps its entries whose dependencies changed; returns how many were capped.
   */
  register(def: MacroDefinition): number {
    if (this.registered.has(def.id)) return 0;
    this.registered.add(def.id);
    const ledger = this.ledger;
    ledger.recordDefinitionFiles(def.id, def.module.graph.files);
    const result = ledger.registerDefinition(def.id, def.fingerprint);
    if (result.bumped) {
      debug('macro %s changed: epoch %d -> %d', def.id, result.epoch - 1, result.epoch);
      this.advanceEpoch(result);
    }
    // Entries whose recorded files or variables changed are capped now, all in one
    // transaction: one epoch bump per change, however many files later use them.
    const stale = ledger
      .dependents(def.id, def.fingerprint)
      .filter((d) => !depsUpToDate(d.deps, (p) => this.fileHash(p), this.envKey))
      .map((d) => ({ macroId: def.id, fingerprint: def.fingerprint, sigKey: d.sigKey }));
    if (stale.length > 0) {
      const r = ledger.invalidate(stale);
      debug('macro %s: %d entries read changed files or variables%s', def.id, stale.length, r.bumped ? `: epoch -> ${r.epoch}` : '');
      this.advanceEpoch(r);
    }
    return stale.length;
  }

  /** Notes an epoch bump made by this build (a definition change or an invalidation). */
  advanceEpoch(result: DefinitionResult): void {
    if (result.bumped) this.pinnedEpoch = Math.max(this.pinnedEpoch ?? 0, result.epoch);
  }

  /**
   * The first file this build depends on (a macro definition file, or a file a cached
   * expansion read) that changed on disk since the build read it, or null. The plugin keys
   * `api.cache` on it, so Babel starts a new build when it changes.
   */
  changedFile(): string | null {
    for (const [file, stat] of this.watched) if (statSnapshot([file]) !== stat) return file;
    return null;
  }

  /** The generator instance for a definition, one per build. */
  instance(def: MacroDefinition): Generator {
    let g = this.instances.get(def.id);
    if (!g) {
      g = new def.cls();
      this.instances.set(def.id, g);
    }
    return g;
  }

  /**
   * Notes what an expansion of `def` read (when generated, or served from a cache): the files
   * become watched (see {@link changedFile}) and everything is recorded in {@link observed}.
   */
  noteReads(def: MacroDefinition, deps: readonly Dependency[]): void {
    const files = deps.flatMap((d) => (d.kind === 'file' ? [dependencyFile(this.root, d.path)] : []));
    this.noteModuleReads(def.module.file, files, deps.flatMap((d) => (d.kind === 'env' ? [d.name] : [])));
  }

  /**
   * Notes files (absolute) and environment variables read on behalf of the macro module at
   * `moduleFile` (a babel-plugin-macros `createMacro` run, or an expansion): the files become
   * watched and everything is recorded in {@link observed}.
   */
  noteModuleReads(moduleFile: string, files: readonly string[], env: readonly string[]): void {
    for (const f of files) if (!this.watched.has(f)) this.watched.set(f, statSnapshot([f]));
    // `observed` keeps names only: the hash of a Dependency is not used there.
    this.observed.reads(moduleFile, [
      ...files.map((path): Dependency => ({ kind: 'file', path, hash: '' })),
      ...env.map((name): Dependency => ({ kind: 'env', name, hash: '' })),
    ]);
  }

  /** Content hash of a dependency file (a stored path: see {@link dependencyFile}), memoised for the build. */
  fileHash(stored: string): string {
    const path = dependencyFile(this.root, stored);
    let h = this.fileHashes.get(path);
    if (h === undefined) {
      this.watched.set(path, statSnapshot([path]));
      this.observed.file(path);
      h = hashFile(path) ?? 'missing';
      this.fileHashes.set(path, h);
    }
    return h;
  }
}
