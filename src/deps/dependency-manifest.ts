/**
 * The dependency manifest: a record, kept in the cache directory, of what each macro module's
 * output depends on: its definition files and the files and environment variables its
 * expansions read, for plain and cached generators alike (the store only knows about cached
 * ones). Babel takes external dependencies only in the plugin factory, before any file is
 * transformed (babel/babel#16016), and Jest computes a file's cache key before transforming it,
 * so both need what earlier transforms found out; this is where they read it.
 *
 * `dependencies.jsonl` holds one JSON object per line, appended (O_APPEND, one write) by
 * whichever process learns something new: concurrent processes (Jest workers, parallel builds)
 * never overwrite each other's lines and need no lock, and a line torn by `kill -9` is skipped.
 * It only grows: forgetting that a macro read a file could let Jest serve a stale cache entry.
 * @packageDocumentation
 */
import fs from 'fs';
import path from 'path';
import { warnOnce } from '../util/log';
import { ensureDir } from '../store/safe-dir';
import type { ModuleDependencies } from './observed-dependencies';
import { session } from '../build/session';

/** File name of the manifest in the cache directory. */
export const MANIFEST_FILE = 'dependencies.jsonl';

interface Bucket {
  graph: Set<string>;
  files: Set<string>;
  env: Set<string>;
}

/** One line: a macro module file and what was learnt about it. */
interface Line {
  m: string;
  g?: string[];
  f?: string[];
  e?: string[];
}

/** What is recorded about each macro module's dependencies, shared by every process using one cache directory. */
export class DependencyManifest {
  private readonly modules = new Map<string, Bucket>();
  /** Bytes of the file consumed so far, and the inode they came from. */
  private offset = 0;
  private inode: number | null = null;

  private constructor(
    /** The manifest file, or null for a manifest kept in this process only. */
    readonly file: string | null,
  ) {}

  /** The manifest of a cache directory: one instance per directory per session. */
  static at(cacheDir: string): DependencyManifest {
    const file = path.join(path.resolve(cacheDir), MANIFEST_FILE);
    const { manifests } = session();
    let m = manifests.get(file);
    if (!m) manifests.set(file, (m = new DependencyManifest(file)));
    return m;
  }

  /** The manifest kept in this session only (for `store: 'memory'`, which writes nothing to disk). */
  static inMemory(): DependencyManifest {
    const s = session();
    return (s.memoryManifest ??= new DependencyManifest(null));
  }

  /** What is recorded, by macro module file, including what other processes appended since the last call. */
  current(): ReadonlyMap<string, ModuleDependencies> {
    this.refresh();
    return this.modules;
  }

  /** Every recorded file (definition files and files read), sorted. */
  files(): string[] {
    const out = new Set<string>();
    for (const b of this.current().values()) {
      for (const f of b.graph) out.add(f);
      for (const f of b.files) out.add(f);
    }
    return [...out].sort();
  }

  /**
   * Records observations; appends to the file only what it does not hold yet (one write for
   * all of them). Returns how many items were new.
   */
  record(entries: Iterable<[string, ModuleDependencies]>): number {
    this.refresh();
    const lines: Line[] = [];
    let added = 0;
    for (const [moduleFile, deps] of entries) {
      const b = this.bucket(moduleFile);
      const line: Line = { m: moduleFile };
      const g = news(b.graph, deps.graph);
      const f = news(b.files, deps.files);
      const e = news(b.env, deps.env);
      if (g.length) line.g = g;
      if (f.length) line.f = f;
      if (e.length) line.e = e;
      if (g.length + f.length + e.length === 0) continue;
      added += g.length + f.length + e.length;
      lines.push(line);
    }
    if (lines.length > 0 && this.file) this.append(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    return added;
  }

  /** Reads what was appended since the last call (all of it when the file was replaced). */
  private refresh(): void {
    if (!this.file) return;
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      // Not written yet, or removed (`clear`): what this process learnt stays true.
      this.offset = 0;
      this.inode = null;
      return;
    }
    try {
      const st = fs.fstatSync(fd);
      if (st.ino !== this.inode || st.size < this.offset) {
        this.inode = st.ino;
        this.offset = 0;
      }
      if (st.size <= this.offset) return;
      const buf = Buffer.alloc(st.size - this.offset);
      const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
      // Only whole lines: a writer may be mid-append, and a torn line is never completed.
      const end = buf.lastIndexOf(0x0a, n - 1);
      if (end < 0) return;
      this.offset += end + 1;
      for (const text of buf.subarray(0, end).toString('utf8').split('\n')) this.merge(text);
    } catch (e) {
      warnOnce(`manifest-read:${this.file}`, `could not read ${this.file}: ${(e as Error).message}`);
    } finally {
      fs.closeSync(fd);
    }
  }

  private merge(text: string): void {
    if (!text) return;
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      return; // torn by a killed writer
    }
    if (!line || typeof line.m !== 'string') return;
    const b = this.bucket(line.m);
    for (const [set, list] of [
      [b.graph, line.g],
      [b.files, line.f],
      [b.env, line.e],
    ] as const) {
      if (Array.isArray(list)) for (const v of list) if (typeof v === 'string') set.add(v);
    }
  }

  private append(text: string): void {
    const file = this.file as string;
    try {
      ensureDir(path.dirname(file));
      const fd = fs.openSync(file, 'a+');
      try {
        // A line torn by a killed writer is ended first, so it cannot swallow ours.
        const size = fs.fstatSync(fd).size;
        const last = Buffer.alloc(1);
        if (size > 0 && fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) text = `\n${text}`;
        fs.writeSync(fd, text);
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      warnOnce(
        `manifest-write:${file}`,
        `could not record macro dependencies in ${file} (${(e as Error).message}): Jest and babel-loader caches may miss changes to them`,
      );
    }
  }

  private bucket(key: string): Bucket {
    let b = this.modules.get(key);
    if (!b) this.modules.set(key, (b = { graph: new Set(), files: new Set(), env: new Set() }));
    return b;
  }
}

/** Values of `next` not in `have`, added to `have`. */
function news(have: Set<string>, next: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const v of next) {
    if (!have.has(v)) {
      have.add(v);
      out.push(v);
    }
  }
  return out;
}

/** The manifest a build with these options records in: the cache directory's, or this process's for `store: 'memory'`. */
export function manifestFor(options: { readonly store: 'fs' | 'memory'; readonly cacheDir: string }): DependencyManifest {
  return options.store === 'memory' ? DependencyManifest.inMemory() : DependencyManifest.at(options.cacheDir);
}
