/**
 * The shared remote tier on Redis: a far tier behind the local ones (see entry-cache.ts), read with
 * one MGET per file and written with one pipeline per file through a synchronous bridge
 * (remote-bridge.ts). An {@link EntryCache}: no epochs or definitions (the local ledger owns
 * those), just signed entries addressed by (macro id, fingerprint, signature key).
 *
 * A server that refuses, stalls or disappears costs at most one timeout: the tier is then down
 * for the rest of the build, with one warning, and the build goes on from the local tiers.
 * @packageDocumentation
 */
import { debug, warnOnce } from '../util/log';
import { redactUrl, type ResolvedRemoteOptions } from './remote-options';
import type { RemoteReport } from '../api/types';
import { remoteCall, type RemoteRequest, type RemoteResponse } from './remote-bridge';
import { decodeRemoteValue, encodeRemoteValue, remoteKey } from './remote-entry';
import type { CachedEntry, EntryCache, EntryKey } from './types';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function emptyReport(): RemoteReport {
  return { hits: 0, misses: 0, rejected: 0, written: 0, batches: 0, ms: 0, down: false };
}

/** The remote tier of one (server, namespace, key, mode). */
export class RemoteTier implements EntryCache {
  /** True after a failed call, until the next build begins. */
  private down = false;
  /** True once this outage was warned about; reset by the next successful call. */
  private warned = false;
  /** Outages so far (each one is warned about once). */
  private outages = 0;
  private pending = emptyReport();
  /** Totals since this tier was created (all files). */
  readonly totals = emptyReport();

  constructor(
    readonly options: ResolvedRemoteOptions,
    private readonly send: (req: RemoteRequest) => RemoteResponse = remoteCall,
  ) {}

  get name(): string {
    return this.options.readOnly ? 'redis (read-only)' : 'redis';
  }

  /** True while the server is considered unavailable (after a failure, for the rest of the build). */
  get isDown(): boolean {
    return this.down;
  }

  /** A new build may try a server that was down during the previous one (a watch process outlives outages). */
  beginBuild(): void {
    this.down = false;
  }

  /**
   * Looks `keys` up in one MGET. A value that fails verification (unsigned, tampered, another
   * key or namespace) is a miss, counted as rejected; so is everything while the tier is down.
   */
  getMany(keys: readonly EntryKey[]): Array<CachedEntry | undefined> {
    const misses = (): undefined[] => keys.map(() => undefined);
    if (keys.length === 0) return [];
    const redisKeys = keys.map((k) => remoteKey(this.options.namespace, k));
    const res = this.call({ op: 'get', keys: redisKeys, ...this.connection() }, `read ${plural(keys.length, 'entry', 'entries')}`);
    if (!res) return misses();
    let hits = 0;
    let rejected = 0;
    const out = keys.map((k, i): CachedEntry | undefined => {
      const value = res[i];
      if (typeof value !== 'string') return undefined;
      const decoded = decodeRemoteValue(this.options, k, value);
      if (typeof decoded === 'string') {
        rejected++;
        debug('remote entry %s for %s %s rejected: %s', redisKeys[i], k.macroId, k.sigKey, decoded);
        return undefined;
      }
      hits++;
      const { macroId, fingerprint, sigKey } = k;
      return { macroId, fingerprint, sigKey, expansion: decoded.expansion, deps: decoded.deps };
    });
    this.count({ hits, rejected, misses: keys.length - hits });
    if (rejected > 0) {
      warnOnce(
        `remote-rejected:${this.options.url}:${this.options.namespace}`,
        `the remote cache ${redactUrl(this.options.url)} held entries that failed verification (unsigned, tampered with, or signed ` +
          `with another key or namespace); they were ignored and regenerated locally`,
      );
    }
    return out;
  }

  /** Writes `entries` in one pipeline (nothing in read-only mode or while the tier is down). */
  putMany(entries: readonly CachedEntry[]): void {
    if (this.options.readOnly || entries.length === 0) return;
    const pairs: Array<readonly [string, string]> = [];
    for (const e of entries) {
      try {
        pairs.push([remoteKey(this.options.namespace, e), encodeRemoteValue(this.options, e, e.expansion, e.deps)]);
      } catch {
        // Not serialisable: the local tiers already warned about this expansion.
      }
    }
    if (pairs.length === 0) return;
    if (this.call({ op: 'set', entries: pairs, ...this.connection() }, `write ${plural(pairs.length, 'entry', 'entries')}`)) {
      this.count({ written: pairs.length });
    }
  }

  /** The counters since the last call (one file's lookups and writes), or null when nothing happened. */
  takeReport(): RemoteReport | null {
    const r = this.pending;
    this.pending = emptyReport();
    return r.batches > 0 || r.down ? r : null;
  }

  /** Disconnects the worker's connections (they reconnect on next use). */
  close(): void {
    if (this.totals.batches > 0) this.send({ op: 'close' });
  }

  private connection() {
    const { url, timeoutMs, connectTimeoutMs } = this.options;
    return { url, timeoutMs, connectTimeoutMs };
  }

  /** One round trip; null (and the tier down, with one warning per outage) when it failed. */
  private call(req: RemoteRequest, what: string): ReadonlyArray<string | null> | null {
    if (this.down) {
      this.pending.down = true;
      this.totals.down = true;
      return null;
    }
    const started = performance.now();
    const res = this.send(req);
    const ms = performance.now() - started;
    this.count({ batches: 1, ms });
    debug('remote %s: %s in %s ms%s', this.name, what, ms.toFixed(2), res.ok ? '' : ` failed: ${res.error}`);
    if (res.ok) {
      this.warned = false;
      return res.values;
    }
    this.down = true;
    this.pending.down = true;
    this.totals.down = true;
    if (!this.warned) {
      this.warned = true;
      warnOnce(
        `remote-down:${this.options.url}:${++this.outages}`,
        `the remote cache ${redactUrl(this.options.url)} is unavailable (could not ${what}: ${res.error}); ` +
          'continuing with the local cache for the rest of this build',
      );
    }
    return null;
  }

  private count(add: Partial<Omit<RemoteReport, 'down'>>): void {
    for (const r of [this.pending, this.totals]) {
      for (const [k, v] of Object.entries(add) as Array<[keyof typeof add, number]>) r[k] += v;
    }
  }
}
