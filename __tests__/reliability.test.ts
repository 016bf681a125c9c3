/**
 * Reliability end to end, through the plugin (store.test.ts covers the store on its own):
 * concurrent builds, kill -9, damaged store files, unusable cache directories, impure
 * generators under `verify`, and property tests of inline argument evaluation and of malformed
 * generator output. Builds run in separate Node processes through the compiled plugin in dist/
 * (build first: `npx tsc -p .`), driven by a script written to the temp directory.
 * `RELIABILITY_CRASH_ROUNDS=20` runs more kill -9 rounds (default 5).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import fc from 'fast-check';
import { disposeSession } from '../src/build/session';
import { openDatabase } from '../src/store/sqlite-driver';
import { openLedger } from '../src/store';
import { openStoreAdmin } from '../src/store/admin';
import { decodePayload } from '../src/store/checksum';
import { expand } from '../src/testing';
import { stripAnsi } from './helpers/ansi';
import { reachableByNobody, unprivileged } from './helpers/unprivileged';

jest.setTimeout(90_000);

const DIST = path.resolve(__dirname, '..', 'dist', 'index.js');
const BABEL = require.resolve('@babel/core');
const CRASH_ROUNDS = Number(process.env.RELIABILITY_CRASH_ROUNDS ?? 5);
const MACRO_ID = 'm.macro.js#default';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-reliability-'));
fs.chmodSync(root, 0o755); // the read-only test runs a child as an unprivileged user
let dirs = 0;

/**
 * The driver: transforms generated sources through the plugin. Commands on stdin, one JSON line
 * out per command: `run <kind> <from> <to> <seed>` (files in a seeded order), `loop <kind>`
 * (transforms until killed). Kinds: `c` (3 call sites from 600 shared signatures), `w` (10 new
 * signatures per file: heavy writes).
 */
const DRIVER = path.join(root, 'driver.js');
fs.writeFileSync(
  DRIVER,
  `const crypto = require('crypto');
const path = require('path');
const readline = require('readline');
const babel = require(${JSON.stringify(BABEL)});
const [projectDir, optionsJson] = process.argv.slice(2);
const options = JSON.parse(optionsJson);
const source = {
  c: (k) => \`import m from './m.macro';\\nexport const v = [m(\${k % 250}), m(\${250 + ((k * 7) % 250)}), m('s\${k % 100}')];\\n\`,
  w: (k) => \`import m from './m.macro';\\nexport const v = [\${Array.from({ length: 10 }, (_, j) => \`m(\${k * 10 + j})\`).join(', ')}];\\n\`,
};
function transform(kind, k) {
  const filename = path.join(projectDir, kind + k + '.js');
  return babel.transformSync(source[kind](k), {
    filename, cwd: projectDir, configFile: false, babelrc: false, plugins: [[${JSON.stringify(DIST)}, options]],
  });
}
function shuffled(from, to, seed) {
  const a = Array.from({ length: to - from }, (_, i) => from + i);
  let s = seed >>> 0;
  const rnd = () => ((s = (s + 0x6d2b79f5) >>> 0), (((s ^ (s >>> 15)) * (s | 1)) >>> 0) / 4294967296);
  if (seed) for (let i = a.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [a[i], a[j]] = [a[j], a[i]]; }
  return a;
}
const out = (v) => process.stdout.write(JSON.stringify(v) + '\\n');
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, kind, ...n] = line.trim().split(' ');
  if (cmd === 'run') {
    const [from, to, seed] = n.map(Number);
    const hashes = {};
    const epochs = new Set();
    let generated = 0, hits = 0;
    for (const k of shuffled(from, to, seed)) {
      const r = transform(kind, k);
      hashes[k] = crypto.createHash('sha256').update(r.code).digest('hex').slice(0, 16);
      const report = r.metadata.cachedMacros;
      epochs.add(report.epoch);
      for (const m of Object.values(report.macros)) { generated += m.generated; hits += m.memoryHits + m.storeHits; }
    }
    out({ hashes, epochs: [...epochs], generated, hits });
  } else if (cmd === 'loop') {
    // Announced after the first file, so a kill lands in steady writing, not in start-up.
    let k = Number(n[0] || 0);
    transform(kind, k++);
    out('looping');
    for (; ; k++) transform(kind, k);
  }
});
out('ready');
`,
);

/** A project folder holding the macro `m.macro.js` (version `version`), logging each generator call. */
function project(version = 'v1'): string {
  const dir = path.join(root, `p${++dirs}`);
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o755);
  writeMacro(dir, version);
  return dir;
}

function writeMacro(dir: string, version: string): void {
  const file = path.join(dir, 'm.macro.js');
  fs.writeFileSync(
    file,
    `const fs = require('fs');
const { CachedGenerator } = require(${JSON.stringify(DIST)});
// Always logs: a variable read at module level would be part of the definition (issue #9).
const LOG = require('path').join(__dirname, 'gen.log');
module.exports = class M extends CachedGenerator {
  static version = ${JSON.stringify(version)};
  generate(sig) {
    try { fs.appendFileSync(LOG, sig.key + '\\n'); } catch {} // the unprivileged child of the read-only test cannot
    // ~400 bytes per entry, so writes are not trivially small.
    return { hoist: '(x) => ' + JSON.stringify(${JSON.stringify(version)} + ':' + sig.key + ':' + 'p'.repeat(400)) + ' + x', inline: '$hoisted($0)' };
  }
};
`,
  );
  // Past any earlier mtime, even on coarse file systems: long-lived builds must see the edit.
  const t = new Date(Date.now() + 10_000 * ++macroWrites);
  fs.utimesSync(file, t, t);
}
let macroWrites = 0;

interface RunResult {
  hashes: Record<string, string>;
  epochs: Array<number | null>;
  generated: number;
  hits: number;
}

/** One build in a fresh process; returns its result, stderr and exit status. */
function runOnce(dir: string, options: Record<string, unknown>, command: string, spawnOptions: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, [DRIVER, dir, JSON.stringify(options)], { input: `${command}\n`, encoding: 'utf8', ...spawnOptions });
  const lines = String(r.stdout).trim().split('\n');
  const result = r.status === 0 && lines.length === 2 ? (JSON.parse(lines[1]) as RunResult) : null;
  return { result, stderr: String(r.stderr), status: r.status };
}

/** A long-lived driver process. */
class Driver {
  readonly proc: ChildProcessWithoutNullStreams;
  stderr = '';
  private buf = '';
  private readonly lines: string[] = [];
  private readonly waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(dir: string, options: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env) {
    this.proc = spawn(process.execPath, [DRIVER, dir, JSON.stringify(options)], { stdio: 'pipe', env });
    this.exited = new Promise((res) => this.proc.on('exit', (code) => (res(code), this.wake())));
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.proc.stdout.on('data', (d: Buffer) => {
      this.buf += d.toString();
      const parts = this.buf.split('\n');
      this.buf = parts.pop() as string;
      this.lines.push(...parts);
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The next output line (JSON-decoded). */
  async next<T>(): Promise<T> {
    while (this.lines.length === 0) {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`driver exited: ${this.stderr}`);
      await new Promise<void>((res) => this.waiters.push(res));
    }
    return JSON.parse(this.lines.shift() as string) as T;
  }

  send(command: string): void {
    this.proc.stdin.write(`${command}\n`);
  }
}

const warningsIn = (stderr: string) => stderr.match(/\[cached-macros\] warning:[^\n]*/g) ?? [];
/**
 * Warnings about the store. The dependency manifest (dependency-manifest.ts) also warns, once,
 * when it cannot write into an unusable cache directory.
 */
const storeWarningsIn = (stderr: string) => warningsIn(stderr).filter((w) => !/could not record macro dependencies/.test(w));
const storeFile = (cacheDir: string) => path.join(cacheDir, 'store.sqlite');
const movedAside = (cacheDir: string) => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((f) => /^store\.sqlite\.corrupt-/.test(f) && !/-(wal|shm)$/.test(f)) : []);

interface Row {
  macro_id: string;
  fingerprint: string;
  sig_key: string;
  max_epoch: number | null;
  payload: string;
  checksum: string;
}

/**
 * Reads the store file directly: SQLite's integrity check, every row against its checksum and
 * against what its key implies (`<version>:<sigKey>:` in the code), and the invariant that no
 * open entry belongs to a definition other than the recorded one.
 */
function inspectStore(cacheDir: string) {
  const db = openDatabase(storeFile(cacheDir), { timeout: 10_000 });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    const rows = db.prepare('SELECT macro_id, fingerprint, sig_key, max_epoch, payload, checksum FROM entries').all() as Row[];
    const versionOf = new Map<string, string>();
    let bad = 0;
    for (const r of rows) {
      const decoded = decodePayload({ macroId: r.macro_id, fingerprint: r.fingerprint, sigKey: r.sig_key }, r.payload, r.checksum);
      // The macro's code embeds "<version>:<signature key>:ppp…": the row holds its own key's code.
      const literal = /=> ("(?:[^"\\]|\\.)*")/.exec(decoded?.expansion.hoist ?? '');
      const m = literal ? /^(v\d+):([\s\S]*):p{400}$/.exec(JSON.parse(literal[1]) as string) : null;
      if (!decoded || !m || m[2] !== r.sig_key) {
        bad++;
        continue;
      }
      // One fingerprint, one version: an entry never carries another definition's code.
      if ((versionOf.get(r.fingerprint) ?? m[1]) !== m[1]) bad++;
      versionOf.set(r.fingerprint, m[1]);
    }
    const openForeign = db
      .prepare('SELECT COUNT(*) FROM entries e JOIN definitions d USING (macro_id) WHERE e.max_epoch IS NULL AND e.fingerprint <> d.fingerprint')
      .pluck()
      .get() as number;
    const epoch = db.prepare("SELECT value FROM meta WHERE key = 'epoch'").pluck().get() as number;
    const open = rows.filter((r) => r.max_epoch === null);
    return { integrity, rows: rows.length, bad, openForeign, epoch, open, versionOf };
  } finally {
    db.close();
  }
}

afterAll(() => {
  disposeSession();
  fs.rmSync(root, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

// About 25 s of CPU on the 2-core machine; the limit leaves room for a loaded machine.
test('8 processes x 1,000 transforms on one store at once: no lost or corrupt entry; a macro change seen by all at once bumps the epoch once', async () => {
  const dir = project('v1');
  const cacheDir = path.join(dir, 'cache');
  const options = { cacheDir };
  const started = Date.now();
  const drivers = Array.from({ length: 8 }, () => new Driver(dir, options));
  try {
    await Promise.all(drivers.map((d) => d.next()));
    // Every process the same 1,000 files in its own order: they race for the same 600 keys.
    drivers.forEach((d, i) => d.send(`run c 0 1000 ${i + 1}`));
    const phase1 = await Promise.all(drivers.map((d) => d.next<RunResult>()));
    const phase1Ms = Date.now() - started;

    // Every process produced the same 1,000 outputs, equal to a store-less build's (checked on
    // the first 200 files: the rows are also checked against their keys below).
    for (const r of phase1) expect(r.hashes).toEqual(phase1[0].hashes);
    const reference1 = runOnce(project('v1'), { store: 'memory' }, 'run c 0 200 0').result as RunResult;
    expect(Object.keys(phase1[0].hashes)).toHaveLength(1000);
    expect(Object.fromEntries(Object.entries(phase1[0].hashes).filter(([k]) => Number(k) < 200))).toEqual(reference1.hashes);
    expect(phase1.every((r) => r.epochs.length === 1 && r.epochs[0] === 0)).toBe(true);
    const s1 = inspectStore(cacheDir);
    expect(s1.integrity).toBe('ok');
    expect(s1.bad).toBe(0);
    expect(s1.rows).toBe(600);
    expect(new Set(s1.open.map((r) => r.sig_key)).size).toBe(600);
    // Each process generated what it did not find; together at least once per signature.
    const generated = phase1.reduce((n, r) => n + r.generated, 0);
    expect(generated).toBeGreaterThanOrEqual(600);

    // The definition changes while all eight are running; each sees it on its next file.
    writeMacro(dir, 'v2');
    const t2 = Date.now();
    drivers.forEach((d, i) => d.send(`run c 0 250 ${i + 11}`));
    const phase2 = await Promise.all(drivers.map((d) => d.next<RunResult>()));
    const phase2Ms = Date.now() - t2;
    const reference2 = runOnce(project('v2'), { store: 'memory' }, 'run c 0 250 0').result as RunResult;
    for (const r of phase2) expect(r.hashes).toEqual(reference2.hashes);
    const s2 = inspectStore(cacheDir);
    expect(s2.epoch).toBe(1);
    expect(s2.integrity).toBe('ok');
    expect(s2.bad).toBe(0);
    expect(s2.openForeign).toBe(0);
    expect(s2.rows).toBe(1200);
    expect(s2.open).toHaveLength(600);
    expect([...new Set(s2.versionOf.values())].sort()).toEqual(['v1', 'v2']);
    for (const d of drivers) expect(warningsIn(d.stderr)).toEqual([]);
    // eslint-disable-next-line no-console
    console.log(
      `8 processes x 1,000 transforms: ${phase1Ms} ms (incl. process start), ${generated} generator calls for 600 signatures; ` +
        `after the macro edit: 8 x 250 transforms ${phase2Ms} ms, epoch 0 -> ${s2.epoch}`,
    );
  } finally {
    for (const d of drivers) d.proc.kill('SIGKILL');
  }
}, 240_000);

test(`kill -9 in the middle of heavy builds, ${CRASH_ROUNDS} rounds: the store opens every time, every entry whole or absent, and the next build is identical to a clean one`, async () => {
  const dir = project('v0');
  const cacheDir = path.join(dir, 'cache');
  let killedWhileWriting = 0;
  let previousRows = 0;
  for (let round = 0; round < CRASH_ROUNDS; round++) {
    // Rounds cycle through three definitions, so kills also land in epoch bumps and revivals.
    writeMacro(dir, `v${round % 3}`);
    const drivers = [new Driver(dir, { cacheDir }), new Driver(dir, { cacheDir })];
    await Promise.all(drivers.map((d) => d.next()));
    // Different starting files per round: every round writes, and rounds of one definition overlap.
    drivers.forEach((d) => d.send(`loop w ${(round * 53) % 150}`));
    await Promise.all(drivers.map((d) => d.next()));
    await Promise.all(
      drivers.map(async (d) => {
        await new Promise((res) => setTimeout(res, 50 + Math.floor(Math.random() * 400)));
        d.proc.kill('SIGKILL');
        expect(await d.exited).toBe(null);
      }),
    );
    for (const d of drivers) expect(d.stderr).toBe('');

    const s = inspectStore(cacheDir);
    expect(s.integrity).toBe('ok');
    expect(s.bad).toBe(0);
    expect(s.openForeign).toBe(0);
    if (s.rows > previousRows) killedWhileWriting++;
    previousRows = s.rows;
    expect(movedAside(cacheDir)).toEqual([]);
    // It opens as the persistent store (not moved aside, not degraded), and serves every row.
    disposeSession();
    expect(openLedger({ kind: 'fs', cacheDir }).name).toBe('sqlite');
    const admin = openStoreAdmin(cacheDir)!;
    expect(admin.entriesOf(MACRO_ID)).toHaveLength(s.rows);
    admin.close();
    disposeSession();
  }
  expect(killedWhileWriting).toBeGreaterThan(0);

  // After the crashes, a build over signatures the crashed rounds wrote (under several
  // definitions) equals a clean build byte for byte, and does use the store.
  writeMacro(dir, 'v1');
  const after = runOnce(dir, { cacheDir }, 'run w 0 200 0');
  const clean = runOnce(project('v1'), { cacheDir: path.join(root, `clean${dirs}`) }, 'run w 0 200 0');
  expect({ status: after.status, stderr: after.stderr }).toEqual({ status: 0, stderr: '' });
  expect(after.result?.hashes).toEqual(clean.result?.hashes);
  expect(after.result?.hits).toBeGreaterThan(0);
  // eslint-disable-next-line no-console
  console.log(`kill -9: ${CRASH_ROUNDS} rounds x 2 processes, ${previousRows} rows survived; store opened whole every round`);
});

describe('a damaged store file', () => {
  const N = 40;
  let cleanHashes: Record<string, string>;

  function populated(): { dir: string; cacheDir: string } {
    const dir = project('v1');
    const cacheDir = path.join(dir, 'cache');
    const first = runOnce(dir, { cacheDir }, `run w 0 ${N} 0`);
    expect(first.status).toBe(0);
    cleanHashes ??= first.result?.hashes as Record<string, string>;
    expect(first.result?.hashes).toEqual(cleanHashes);
    // Checkpoint the WAL into the file, so the damage below hits the data.
    openDatabase(storeFile(cacheDir), { timeout: 10_000 }).close();
    expect(fs.existsSync(`${storeFile(cacheDir)}-wal`)).toBe(false);
    return { dir, cacheDir };
  }

  function rebuild(dir: string, cacheDir: string, log?: string) {
    if (log) fs.rmSync(log, { force: true });
    const r = runOnce(dir, { cacheDir }, `run w 0 ${N} 0`);
    expect(r.status).toBe(0);
    expect(r.result?.hashes).toEqual(cleanHashes);
    return r;
  }

  test('flipped bytes in one entry: caught by its checksum, regenerated, one warning', () => {
    const { dir, cacheDir } = populated();
    const buf = fs.readFileSync(storeFile(cacheDir));
    const at = buf.indexOf('v1:(123):ppp');
    expect(at).toBeGreaterThan(0);
    buf[at + 12] ^= 0x01; // 'p' -> 'q': still a well-formed row to SQLite
    fs.writeFileSync(storeFile(cacheDir), buf);
    const log = path.join(dir, 'gen.log');
    const r = rebuild(dir, cacheDir, log);
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual(['(123)']);
    expect(warningsIn(r.stderr)).toHaveLength(1);
    expect(warningsIn(r.stderr)[0]).toMatch(/damaged entries; they were dropped/);
  });

  test.each([
    ['truncated to half its size', (f: string) => fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2))],
    ['garbage over its header', (f: string) => {
      const fd = fs.openSync(f, 'r+');
      fs.writeSync(fd, Buffer.from('not an SQLite header, just garbage bytes, really!'), 0, 48, 0);
      fs.closeSync(fd);
    }],
    ['4 KiB of flipped bytes in the middle', (f: string) => {
      const buf = fs.readFileSync(f);
      const mid = Math.floor(buf.length / 2);
      for (let i = 0; i < 4096; i++) buf[mid + i] ^= 0x5a;
      fs.writeFileSync(f, buf);
    }],
  ])('%s: moved aside and rebuilt, one warning, identical output', (_what, damage) => {
    const { dir, cacheDir } = populated();
    damage(storeFile(cacheDir));
    const r = rebuild(dir, cacheDir);
    expect(warningsIn(r.stderr)).toHaveLength(1);
    expect(movedAside(cacheDir)).toHaveLength(1);
    // The rebuilt store serves the next build without a warning.
    const next = rebuild(dir, cacheDir);
    expect(warningsIn(next.stderr)).toEqual([]);
    expect(next.result?.generated).toBe(0);
  });
});

describe('an unusable cache directory: the build succeeds from memory with one warning', () => {
  let reference: Record<string, string>;
  beforeAll(() => {
    reference = runOnce(project('v1'), { store: 'memory' }, 'run w 0 30 0').result?.hashes as Record<string, string>;
  });

  test('a path under a regular file (ENOTDIR)', () => {
    const dir = project('v1');
    fs.writeFileSync(path.join(dir, 'plain-file'), 'x');
    const r = runOnce(dir, { cacheDir: path.join(dir, 'plain-file', 'cache') }, 'run w 0 30 0');
    expect(r.status).toBe(0);
    expect(r.result?.hashes).toEqual(reference);
    expect(storeWarningsIn(r.stderr)).toHaveLength(1);
    expect(storeWarningsIn(r.stderr)[0]).toMatch(/cannot use the macro cache .*memory only/);
  });

  test('a read-only directory', async () => {
    const dir = project('v1');
    const cacheDir = path.join(dir, 'cache');
    fs.mkdirSync(cacheDir, { mode: 0o555 });
    fs.chmodSync(cacheDir, 0o555);
    // root writes through permissions: build as an unprivileged user instead.
    const r = await reachableByNobody([path.resolve(__dirname, '..'), dir], () => runOnce(dir, { cacheDir }, 'run w 0 30 0', unprivileged()));
    expect(r.status).toBe(0);
    expect(r.result?.hashes).toEqual(reference);
    expect(storeWarningsIn(r.stderr)).toHaveLength(1);
    expect(storeWarningsIn(r.stderr)[0]).toMatch(/cannot use the macro cache .*(READONLY|EACCES|CANTOPEN)/);
  });

  test('a full file system (file size limit reached mid-build)', () => {
    const dir = project('v1');
    const cacheDir = path.join(dir, 'cache');
    // RLIMIT_FSIZE makes writes past 64 KiB fail (EFBIG) as on a full disk; SIGXFSZ is ignored
    // so the write fails instead of killing the process.
    const r = spawnSync(
      'bash',
      ['-c', `trap '' XFSZ; ulimit -f 64; exec "$0" "$@"`, process.execPath, DRIVER, dir, JSON.stringify({ cacheDir })],
      { input: 'run w 0 30 0\n', encoding: 'utf8' },
    );
    expect({ status: r.status, stderr: r.stderr.slice(0, 2000) }).toMatchObject({ status: 0 });
    const result = JSON.parse(r.stdout.trim().split('\n')[1]) as RunResult;
    expect(result.hashes).toEqual(reference);
    expect(storeWarningsIn(r.stderr)).toHaveLength(1);
    expect(fs.statSync(storeFile(cacheDir)).size).toBeLessThanOrEqual(64 * 1024);
  });
});

// ---------------------------------------------------------------------------------------------
// In-process: verify mode and property tests (the plugin from src/, macros from temp files).

describe('in-process', () => {
  const dir = path.join(root, 'inproc');
  fs.mkdirSync(dir, { recursive: true });
  const macro = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `const { Generator, CachedGenerator } = require(${JSON.stringify(DIST)});\n${body}\n`);
  macro('impure.macro.js', `let n = 0;\nmodule.exports = class Impure extends CachedGenerator { generate() { n++; return { inline: String(n) }; } };`);
  macro('pure.macro.js', `module.exports = class Pure extends CachedGenerator { generate(sig) { return { inline: JSON.stringify(sig.key) }; } };`);
  macro('inline.macro.js', `module.exports = class Inline extends Generator { generate() { return { inline: globalThis.__cmInline }; } };`);
  macro('junk.macro.js', `module.exports = class Junk extends CachedGenerator { generate() { return globalThis.__cmJunk; } };`);
  const filename = path.join(dir, 'input.js');
  const g = globalThis as unknown as { __cmInline?: string; __cmJunk?: unknown };

  beforeEach(() => {
    disposeSession();
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  test('verify: an impure generator is an error naming the macro and the signature', () => {
    const cacheDir = path.join(dir, 'verify-cache');
    const code = `import impure from './impure.macro';\nimport pure from './pure.macro';\nexport const v = [impure(1), pure(2)];\n`;
    const first = expand(code, { filename, pluginOptions: { store: 'fs', cacheDir } });
    expect(first.code).toContain('[1, "(2)"]');
    // Without verify a hit is served as stored.
    expect(expand(code, { filename, pluginOptions: { store: 'fs', cacheDir } }).code).toContain('[1, "(2)"]');
    let error: Error | undefined;
    try {
      expand(code, { filename, pluginOptions: { store: 'fs', cacheDir, verify: true } });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(/The macro impure is impure: re-running it for the signature \(1\) produced a different expansion/);
    expect(stripAnsi(error?.message ?? '')).toContain('impure(1)'); // the code frame
    // A pure generator passes verification at any rate.
    const verified = expand(`import pure from './pure.macro';\npure(2);\n`, { filename, pluginOptions: { store: 'fs', cacheDir, verify: 1 } });
    // A verification run re-runs the generator but is not a generation: the hit is reported as a hit.
    const pure = verified.report?.macros['./pure.macro'];
    expect(pure?.generated).toBe(0);
    expect((pure?.memoryHits ?? 0) + (pure?.storeHits ?? 0)).toBe(1);
  });

  /** A random argument expression: side effects logged, some sharing the mutable binding `x`. */
  const argArb = fc.oneof(
    fc.integer({ min: 0, max: 9 }).map((v) => ({ code: `log("a", ${v})` })),
    fc.constant({ code: '(x = x + 1)' }),
    fc.constant({ code: 'x' }),
    fc.constant({ code: 'c' }),
    fc.integer({ min: -5, max: 5 }).map((v) => ({ code: String(v) })),
    fc.constant({ code: '"s"' }),
    fc.constant({ code: 'obj.p' }),
    fc.constant({ code: 'next()' }),
    fc.constant({ code: '[log("arr", 1)]' }),
    fc.constant({ code: '{ k: log("obj", 2) }' }),
    fc.constant({ code: '() => log("fn", 3)' }),
    fc.constant({ code: 'x++' }),
  );

  /** A random inline template over `$0…$(n-1)`: any order, any multiplicity, short-circuits, its own effects. */
  const templateArb = (n: number) =>
    fc.letrec<{ t: string }>((tie) => ({
      t: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        n > 0 ? fc.integer({ min: 0, max: n - 1 }).map((i) => `$${i}`) : fc.constant('0'),
        fc.constant('__t("T")'),
        fc.integer({ min: 0, max: 3 }).map(String),
        fc.tuple(tie('t'), tie('t')).map(([a, b]) => `[${a}, ${b}]`),
        fc.tuple(tie('t'), tie('t')).map(([a, b]) => `(${a} === ${b})`),
        fc.tuple(tie('t'), tie('t'), tie('t')).map(([a, b, c]) => `(${a} ? ${b} : ${c})`),
        fc.tuple(tie('t'), tie('t')).map(([a, b]) => `(${a} && ${b})`),
        fc.tuple(tie('t'), tie('t')).map(([a, b]) => `(${a} || ${b})`),
        tie('t').map((a) => `typeof ${a}`),
        tie('t').map((a) => `((v) => [v, v])(${a})`),
      ),
    })).t;

  const PRELUDE = `let x = 0; const c = 7; let n = 0;
const log = (tag, v) => (__log.push(tag + v), v);
const next = () => (__log.push('next'), ++n);
const obj = { get p() { __log.push('get p'); return 'P'; } };
`;

  /** Runs scripts in one fresh context; returns the log and a printable result (object identity kept). */
  function run(...scripts: string[]): { log: string[]; result: string } {
    const sandbox = { __log: [] as string[], __t: (tag: string) => (sandbox.__log.push(`template ${tag}`), tag), __result: undefined as unknown };
    const context = vm.createContext(sandbox);
    for (const script of scripts) vm.runInContext(script, context, { timeout: 1000 });
    const seen: unknown[] = [];
    const show = (v: unknown): string => {
      if (typeof v === 'function') return 'fn';
      if (v && typeof v === 'object') {
        const i = seen.indexOf(v);
        if (i >= 0) return `#${i}`;
        seen.push(v);
        return Array.isArray(v) ? `[${v.map(show).join(',')}]` : `{${Object.entries(v).map(([k, x]) => `${k}:${show(x)}`).join(',')}}`;
      }
      return typeof v === 'string' ? JSON.stringify(v) : String(v);
    };
    return { log: sandbox.__log, result: show(sandbox.__result) };
  }

  test('property: inline expansions evaluate every argument exactly once, left to right', () => {
    fc.assert(
      fc.property(
        fc.array(argArb, { maxLength: 4 }).chain((args) => fc.tuple(fc.constant(args), templateArb(args.length), fc.boolean())),
        ([args, template, declared]) => {
          g.__cmInline = template;
          const call = `inline(${args.map((a) => a.code).join(', ')})`;
          // The bindings are declared in the file (the plugin sees which are reassigned), or are
          // globals it cannot see at all.
          const file = `import inline from './inline.macro';\n${declared ? PRELUDE : ''}__result = [${call}, x, n];\n`;
          const expanded = expand(file, { filename }).code;
          const actual = declared ? run(expanded) : run(PRELUDE, expanded);
          // Reference semantics: the arguments first, in order, into values; then the template.
          const values = `const __v = [${args.map((a) => a.code).join(', ')}];\n`;
          const body = template.replace(/\$(\d+)/g, (_, i: string) => `__v[${i}]`);
          const expected = run(`${PRELUDE}${values}__result = [(${body}), x, n];`);
          expect({ call, template, declared, ...actual }).toEqual({ call, template, declared, ...expected });
        },
      ),
      { numRuns: 300 },
    );
  });

  test('property: malformed generator output is an error and never reaches the store', () => {
    const cacheDir = path.join(dir, 'junk-cache');
    const junkArb = fc.oneof(
      fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.bigInt()),
      fc.array(fc.anything(), { maxLength: 3 }),
      fc.dictionary(fc.string().filter((k) => k !== 'inline'), fc.anything(), { maxKeys: 3 }),
      fc.anything().filter((v) => typeof v !== 'string').map((v) => ({ inline: v })),
      // Never parses, whatever follows (a trailing ")(" would not do: "a// )(" is valid code).
      fc.string().map((s) => `)( ${s}`),
      fc.string().map((s) => ({ inline: `)( ${s}` })),
      fc.integer({ min: 2, max: 99 }).map((i) => ({ inline: `$${i}` })), // the call has 2 arguments
      fc.constantFrom(
        '1 + 2', // a bare expansion must be a function expression
        { inline: '$0 = 1' },
        { inline: '$0++' },
        { hoist: '$0', inline: '$hoisted' },
        { inline: '$hoisted' },
        { inline: 'a', extra: 1 },
        { inline: '$helper0_x' },
        { type: 'ExpressionStatement', expression: { type: 'NumericLiteral', value: 1 } },
        { type: 'Bogus' },
        Promise.resolve({ inline: '1' }),
        () => 1,
        Symbol('s'),
      ),
    );
    fc.assert(
      fc.property(junkArb, (junk) => {
        g.__cmJunk = junk;
        expect(() => expand(`import junk from './junk.macro';\nexport const v = junk(1, x);\n`, { filename, pluginOptions: { store: 'fs', cacheDir } })).toThrow(
          /junk.*(returned an invalid expansion|returned a Promise)/,
        );
        const admin = openStoreAdmin(cacheDir);
        try {
          expect(admin?.stats().entries ?? 0).toBe(0);
        } finally {
          admin?.close();
        }
      }),
      { numRuns: 300 },
    );
  });
});
