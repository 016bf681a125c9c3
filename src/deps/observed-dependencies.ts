/**
 * What one build's output depends on, as it finds out while transforming: per macro module, its
 * definition files and the files and environment variables its expansions read (generated or
 * served from a cache, plain and cached generators alike). The plugin turns this into external
 * dependencies for Babel's callers and into the dependency manifest read by the Jest transformer.
 * @packageDocumentation
 */
import type { Dependency } from '../api/types';

/** What one macro module's output depends on. */
export interface ModuleDependencies {
  /** The module and the local modules it loads. */
  readonly graph: ReadonlySet<string>;
  /** Files its expansions read (some may not exist: a dependency on a file's absence). */
  readonly files: ReadonlySet<string>;
  /** Environment variables its expansions read. */
  readonly env: ReadonlySet<string>;
}

/** Stands, among environment variable names, for the list of names (an `env-list` dependency). */
export const ENV_LISTING = '*';

/**
 * Key of the bucket for files the build depends on without a macro module to charge them to
 * (a babel-plugin-macros config file): reported to Babel's callers, not part of Jest keys.
 */
export const UNATTRIBUTED = '';

interface Bucket {
  graph: Set<string>;
  files: Set<string>;
  env: Set<string>;
}

/** Per-module dependencies observed by one build; only grows. */
export class ObservedDependencies {
  private readonly modules = new Map<string, Bucket>();
  private changes = 0;

  /** Grows whenever something new is observed, so a caller can skip a build that learnt nothing. */
  get version(): number {
    return this.changes;
  }

  /** Records a loaded macro module and its definition files. */
  module(file: string, graph: readonly string[]): void {
    const b = this.bucket(file);
    for (const f of graph) this.add(b.graph, f);
  }

  /** Records what an expansion of the macro module at `moduleFile` read. */
  reads(moduleFile: string, deps: readonly Dependency[]): void {
    if (deps.length === 0) return;
    const b = this.bucket(moduleFile);
    for (const d of deps) this.add(d.kind === 'file' ? b.files : b.env, d.kind === 'file' ? d.path : d.kind === 'env' ? d.name : ENV_LISTING);
  }

  /** Records a file the build depends on without knowing which macro it serves. */
  file(path: string): void {
    this.add(this.bucket(UNATTRIBUTED).files, path);
  }

  /** Every observed file, definition files first. */
  *files(): IterableIterator<string> {
    for (const b of this.modules.values()) yield* b.graph;
    for (const b of this.modules.values()) yield* b.files;
  }

  /** The observations, by macro module file ({@link UNATTRIBUTED} for the rest). */
  entries(): IterableIterator<[string, ModuleDependencies]> {
    return this.modules.entries();
  }

  private bucket(key: string): Bucket {
    let b = this.modules.get(key);
    if (!b) {
      this.modules.set(key, (b = { graph: new Set(), files: new Set(), env: new Set() }));
      this.changes++;
    }
    return b;
  }

  private add(set: Set<string>, value: string): void {
    if (set.has(value)) return;
    set.add(value);
    this.changes++;
  }
}
