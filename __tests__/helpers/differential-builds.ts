/**
 * Builds for the differential property test, each in a real Node process running
 * `differential-driver.js`: a long-lived build process (the plugin instance and Node's require
 * cache kept between builds, as in watch mode or a Jest worker), a build in a new process, and
 * the reference: a clean build (empty cache directory, fresh process). The test process itself
 * never loads the plugin, so nothing it caches can leak into a build.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import fs from 'fs';
import path from 'path';
import readline from 'readline';
import { hash } from '../../src/util/hash';
import { projectFiles } from './temp-project';
import { APP_FILES, EDITABLE, FIXED, render, type Tree } from './differential-project';

const DRIVER = path.join(__dirname, 'differential-driver.js');

/** One file's outcome: its code, or the error message of a failed transform. */
export type Outcome = { code: string } | { error: string };
/** Outcomes by app file (relative path). */
export type Outputs = Record<string, Outcome>;
/** Environment variables the macros read: a value, or null when unset. */
export type Env = Record<string, string | null>;

/** The environment of a build process: ours without the test's variables, plus `env`. */
function processEnv(env: Env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CM_PROP_')) out[k] = v;
  for (const [k, v] of Object.entries(env)) if (v !== null) out[k] = v;
  return out;
}

/** Results keyed by absolute path → keyed by the app file's relative path. */
function relative(root: string, results: Record<string, Outcome>): Outputs {
  const out: Outputs = {};
  for (const [file, outcome] of Object.entries(results)) out[path.relative(root, file)] = outcome;
  return out;
}

const appFiles = (root: string) => APP_FILES.map((f) => path.join(root, f));

/** A copy of the project at `root`, whose files follow a {@link Tree}; it remembers each file's history for reverts. */
export class Checkout {
  readonly tree: Tree = new Map();
  private readonly history = new Map<string, (number | null)[]>();
  private readonly files = projectFiles(() => this.root);

  constructor(readonly root: string) {}

  /** Wipes the folder and writes the initial project. */
  reset(initial: Tree): void {
    fs.rmSync(this.root, { recursive: true, force: true });
    this.tree.clear();
    this.history.clear();
    for (const [rel, content] of Object.entries(FIXED)) this.files.write(rel, content);
    for (const [rel, variant] of initial) this.set(rel, variant);
  }

  /** Writes `rel` at `variant`, or deletes it (null). */
  set(rel: string, variant: number | null): void {
    if (variant === null) fs.rmSync(path.join(this.root, rel), { force: true });
    else this.files.write(rel, render(rel, variant));
    this.tree.set(rel, variant);
    const h = this.history.get(rel) ?? [];
    h.push(variant);
    this.history.set(rel, h);
  }

  /** The content `rel` had `back` edits ago (clamped to its first), or undefined without history. */
  earlier(rel: string, back: number): number | null | undefined {
    const h = this.history.get(rel) ?? [];
    if (h.length < 2) return undefined;
    return h[Math.max(0, h.length - 1 - back)];
  }

  /** Rewrites `rel` with its current content: a new mtime, nothing else. */
  touch(rel: string): void {
    const v = this.tree.get(rel);
    if (v !== null && v !== undefined) this.files.write(rel, render(rel, v));
  }

  /** A key for what this checkout's files contain, and where (clean outputs depend on nothing else). */
  key(): string {
    return hash(this.root + '\0' + EDITABLE.map((f) => `${f.rel}=${this.tree.get(f.rel)}`).join('\n'));
  }
}

/** A build process (differential-driver.js): sent one request, a new process; sent many, a long-lived one. */
export class BuildProcess {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor() {
    this.proc = spawn(process.execPath, [DRIVER], { stdio: 'pipe', env: processEnv({}) });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.lines = readline.createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  /** Builds every app file of `root` against `cacheDir`, with `env` applied to the process's environment. */
  async build(root: string, cacheDir: string, env: Env): Promise<Outputs> {
    this.proc.stdin.write(JSON.stringify({ options: JSON.stringify({ cacheDir }), root, files: appFiles(root), env }) + '\n');
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`build process exited: ${this.stderr}`);
    return relative(root, JSON.parse(value as string) as Record<string, Outcome>);
  }

  /** Ends the process and waits for it. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    this.proc.kill();
    await exited;
  }
}

/**
 * Build processes started ahead of use (Node and Babel take ~0.4 s to start; the next process
 * starts while the test uses the previous one). Each is handed out once, never reused.
 */
export class ProcessPool {
  private readonly ready: BuildProcess[] = [];

  constructor(size: number) {
    while (this.ready.length < size) this.ready.push(new BuildProcess());
  }

  /** A fresh build process; the caller stops it. */
  take(): BuildProcess {
    this.ready.push(new BuildProcess());
    return this.ready.shift() as BuildProcess;
  }

  /** A build in a new process. */
  async buildOnce(root: string, cacheDir: string, env: Env): Promise<Outputs> {
    const p = this.take();
    try {
      return await p.build(root, cacheDir, env);
    } finally {
      await p.stop();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.ready.splice(0).map((p) => p.stop()));
  }
}

/**
 * The reference builds: a fresh process and an empty cache directory each time. The outcome of a
 * clean build depends only on the checkout's files, its path and the environment, so it is
 * memoised on those (the same tree recurs within and across sequences); the build itself is
 * never shortcut.
 */
export class CleanBuilder {
  private readonly memo = new Map<string, Outputs>();
  private count = 0;
  /** How many clean builds actually ran (the rest were memoised). */
  runs = 0;

  constructor(
    private readonly scratch: string,
    private readonly pool: ProcessPool,
  ) {}

  async build(checkout: Checkout, env: Env): Promise<Outputs> {
    const key = checkout.key() + '\0' + JSON.stringify(Object.entries(env).sort());
    let out = this.memo.get(key);
    if (!out) {
      const cacheDir = path.join(this.scratch, `clean-${this.count++}`);
      try {
        out = await this.pool.buildOnce(checkout.root, cacheDir, env);
      } finally {
        fs.rmSync(cacheDir, { recursive: true, force: true });
      }
      this.runs++;
      this.memo.set(key, out);
    }
    return out;
  }
}
