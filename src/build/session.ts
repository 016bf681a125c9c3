/**
 * The session: the one owner of the state this plugin keeps across files and builds in a process
 * (see docs/architecture.md, "Process-wide state"). A Babel plugin cannot be handed an object by
 * its host, so there is one process-wide session, created on first use (never on import) and
 * reached only through {@link session}; {@link disposeSession} ends it, and the next use starts a
 * fresh one that behaves as a fresh process would.
 *
 * This module holds the registries; the modules that use them keep their logic. It imports only
 * types, so any module can reach the session without an import cycle. What a module hooked into
 * the process (Node's loader, `fs`, `require.cache`) it releases through {@link Session.onDispose}.
 * @packageDocumentation
 */
import type { Build } from './build';
import type { MacroModule } from '../load/macro-loader';
import type { LoaderHooks } from '../load/module-recorder';
import type { DependencyManifest } from '../deps/dependency-manifest';
import type { GraphMemo } from '../deps/graph-memo';
import type { TextMemo } from '../template/text-memo';
import type { Watchdog } from '../generate/watchdog';
import type { Ledger, RemoteTier } from '../store';
import type { MemoryEntry } from '../store/memory-tier';

/** Everything this plugin keeps in a process beyond one file, and how to release it. */
export class Session {
  /** plugin/plugin.ts: builds handed over, by options key, to the factory run replacing an incomplete instance. */
  readonly handoff = new Map<string, Map<string, Build>>();
  /** plugin/plugin.ts: each build's `observed.version` when last recorded in the manifest (entries die with their builds). */
  readonly recorded = new WeakMap<Build, number>();

  /** load/macro-loader.ts: macro modules loaded, by resolved file. */
  readonly macroModules = new Map<string, MacroModule>();
  /** load/module-recorder.ts: Node's loader hooks and the compiled bytes they saw; null until the first recording. */
  loaderHooks: LoaderHooks | null = null;
  /** generate/tracking.ts: true once `fs` is wrapped for this session. */
  fsWrapped = false;
  /** generate/tracking.ts: undeclared reads already logged (macro, target). */
  readonly undeclaredLogged = new Set<string>();
  /** generate/watchdog.ts: the watchdog (its thread and heartbeat); undefined until first use, null when threads are unavailable. */
  watchdog: Watchdog | null | undefined = undefined;

  /** store/index.ts: the ledger of each cache directory (and local signing identity). */
  readonly ledgers = new Map<string, Ledger>();
  /** store/index.ts: one remote tier per remote configuration. */
  readonly remoteTiers = new Map<string, RemoteTier>();
  /** store/memory-tier.ts: parsed expansions (an LRU: least recently used first) and their total code size. */
  readonly templates = { entries: new Map<string, { entry: MemoryEntry; size: number }>(), total: 0 };

  /** deps/dependency-manifest.ts: the manifest of each cache directory, by manifest file. */
  readonly manifests = new Map<string, DependencyManifest>();
  /** deps/dependency-manifest.ts: the manifest of `store: 'memory'` builds, kept in this session only. */
  memoryManifest: DependencyManifest | null = null;
  /** deps/env-digest.ts: each cache directory's digest key as read (or created) on disk. */
  readonly digestKeys = new Map<string, Buffer>();
  /** deps/env-digest.ts: the digest key of a cache directory that cannot hold one. */
  fallbackDigestKey: Buffer | null = null;

  /** deps/graph-memo.ts: macro module graphs and file content hashes for the Jest, Vite and Metro keys; null until first use. */
  graphMemo: GraphMemo | null = null;

  /** template/expansion.ts: parsed expansions by code text, per Babel runtime (bounded memos); null until first use. */
  parsedTexts: WeakMap<object, TextMemo<unknown>> | null = null;
  /** template/expansion.ts: validated, serialised generator outputs by code text (a bounded memo); null until first use. */
  serializedTexts: TextMemo<unknown> | null = null;

  /** util/log.ts: keys of the warnings printed. */
  readonly warnings = new Set<string>();

  private readonly releases: Array<() => void> = [];
  private disposed = false;

  /** Registers `release`, run by {@link dispose}: newest first, so a hook installed over another is removed first. */
  onDispose(release: () => void): void {
    this.releases.push(release);
  }

  /** True once {@link dispose} ran: whoever holds this session must reach for {@link session} again. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Closes and forgets the stores and remote tiers opened in this session (the CLI does at the
   * end of a command; the SQLite file is then free). The next `openStore` opens them afresh.
   */
  closeStores(): void {
    const ledgers = [...this.ledgers.values()];
    const tiers = [...this.remoteTiers.values()];
    this.ledgers.clear();
    this.remoteTiers.clear();
    for (const ledger of ledgers) ledger.close();
    for (const tier of tiers) tier.close();
  }

  /**
   * Ends the session: unhooks what it hooked into the process (loader, `fs`, the macro modules
   * in `require.cache`), closes its stores and remote tiers, stops the watchdog thread, and
   * forgets everything else. Idempotent; a failing release does not stop the others.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    const attempt = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        errors.push(e);
      }
    };
    for (const release of this.releases.splice(0).reverse()) attempt(release);
    attempt(() => this.closeStores());
    const watchdog = this.watchdog;
    if (watchdog) attempt(() => watchdog.terminate());
    this.watchdog = undefined;
    this.loaderHooks = null;
    this.fsWrapped = false;
    this.memoryManifest = null;
    this.fallbackDigestKey = null;
    this.graphMemo = null;
    this.parsedTexts = null;
    this.serializedTexts = null;
    this.templates.total = 0;
    for (const registry of [
      this.handoff,
      this.macroModules,
      this.undeclaredLogged,
      this.templates.entries,
      this.manifests,
      this.digestKeys,
      this.warnings,
    ]) {
      registry.clear();
    }
    // Last: what the releases warn about (a store failing to close) is this session's, not the next one's.
    if (current === this) current = null;
    if (errors.length > 0) throw new AggregateError(errors, 'cached-macros: disposing the session failed');
  }
}

let current: Session | null = null;

/** The process's session, created on first use. */
export function session(): Session {
  return (current ??= new Session());
}

/**
 * Disposes the process's session, if one was started (see {@link Session.dispose}); the next
 * {@link session} call starts a fresh one. For tests, and for hosts that end a long-lived
 * process's use of the plugin.
 */
export function disposeSession(): void {
  current?.dispose();
}
