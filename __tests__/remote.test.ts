/**
 * The shared remote tier on a real redis-server (Debian's; `.ci/run` installs it when missing):
 * two machines sharing one server, signed entries (tampered, unsigned, wrong key, wrong
 * namespace), read-only mode, and a server that dies, stalls or is flushed in the middle of a
 * build. Builds run in separate Node processes through the compiled plugin (build first:
 * `npx tsc -p .`); each "machine" is a copy of the project with its own cache directory.
 * Also measures the synchronous bridge's cost per file.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import Redis from 'ioredis';
import { disposeSession } from '../src/build/session';
import { resolveOptions, REMOTE_KEY_ENV } from '../src/build/options';
import { openStoreAdmin } from '../src/store/admin';
import { LayeredCache, ledgerEntries } from '../src/store/entry-cache';
import { MemoryLedger } from '../src/store/memory-ledger';
import { RemoteTier } from '../src/store/remote';
import { encodeRemoteValue, KEY_PREFIX, remoteKey } from '../src/store/remote-entry';
import type { Entry } from '../src/store/types';
import { startRedis, type RedisServer } from './helpers/redis-server';

jest.setTimeout(60_000);

const DRIVER = path.join(__dirname, 'helpers', 'build.js');
const DIST = path.resolve(__dirname, '..', 'dist', 'index.js');
const KEY = 'test-signing-key-0123456789-abcdefgh';
/** Files per project, and call sites (distinct signatures) per file, plus one signature shared by all. */
const FILES = 30;
const PER_FILE = 4;
const DISTINCT = FILES * PER_FILE + 1;
const MACRO_ID = 'count.macro.js#default';

interface FileResult {
  code: string;
  report: {
    macros: Record<string, { generated: number; storeHits: number; memoryHits: number }>;
    remote?: { hits: number; misses: number; rejected: number; written: number; batches: number; ms: number; down: boolean };
  } | null;
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-remote-'));
let server: RedisServer;
let redis: Redis;
let reference: Record<string, string>;
let machines = 0;

const fileNames = (from = 0, to = FILES) => Array.from({ length: to - from }, (_, i) => `f${from + i}.js`);

/** A copy of the project: a cached macro that logs every generator call to gen.log, and FILES files. */
function machine(): string {
  const dir = path.join(root, `m${++machines}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'count.macro.js'),
    `const fs = require('fs');
const path = require('path');
const { CachedGenerator } = require(${JSON.stringify(DIST)});
module.exports = class Count extends CachedGenerator {
  generate(sig) {
    fs.appendFileSync(path.join(__dirname, 'gen.log'), sig.key + '\\n');
    return { hoist: '() => ' + JSON.stringify('gen:' + sig.key), inline: '$hoisted()' };
  }
};
`,
  );
  for (let i = 0; i < FILES; i++) {
    const calls = Array.from({ length: PER_FILE }, (_, j) => `count(${i * PER_FILE + j})`);
    fs.writeFileSync(path.join(dir, `f${i}.js`), `import count from './count.macro';\nexport const v = [${calls.join(', ')}, count('shared')];\n`);
  }
  return dir;
}

/** The generator calls logged on a machine since the last call. */
function genLog(dir: string): string[] {
  const file = path.join(dir, 'gen.log');
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  fs.rmSync(file, { force: true });
  return lines.sort();
}

const remote = (namespace: string, extra: Record<string, unknown> = {}) => ({ url: server.url, namespace, signingKey: KEY, ...extra });
const warningsIn = (stderr: string) => stderr.match(/\[cached-macros\] warning:[^\n]*/g) ?? [];
const codes = (results: Record<string, FileResult>) => Object.fromEntries(Object.entries(results).map(([f, r]) => [f, r.code]));
const sum = (results: Record<string, FileResult>, field: 'hits' | 'rejected' | 'written' | 'batches') =>
  Object.values(results).reduce((n, r) => n + (r.report?.remote?.[field] ?? 0), 0);
const generated = (results: Record<string, FileResult>) =>
  Object.values(results).reduce((n, r) => n + (r.report?.macros['./count.macro']?.generated ?? 0), 0);

/** One build in a fresh process (a CI job, a developer's `babel` run). */
function build(dir: string, options: Record<string, unknown>, files = fileNames(), env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(
    process.execPath,
    [DRIVER, JSON.stringify({ cacheDir: path.join(dir, 'cache'), ...options }), ...files.map((f) => path.join(dir, f))],
    { encoding: 'utf8', env },
  );
  if (r.status !== 0) throw new Error(`build failed (${r.status}): ${r.stderr}`);
  return { results: JSON.parse(r.stdout) as Record<string, FileResult>, stderr: r.stderr };
}

/** A long-lived build process (a watch process, a Jest worker): batches of files sent one by one. */
function longBuild(dir: string, options: Record<string, unknown>) {
  const proc = spawn(process.execPath, [DRIVER, JSON.stringify({ cacheDir: path.join(dir, 'cache'), ...options }), '--stdin'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = readline.createInterface({ input: proc.stdout });
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  return {
    get stderr() {
      return stderr;
    },
    /** Builds `files`; resolves with the results and the wall time. */
    async batch(files: string[]): Promise<{ results: Record<string, FileResult>; ms: number }> {
      const started = Date.now();
      const line = await new Promise<string>((resolve) => {
        waiting.push(resolve);
        proc.stdin.write(`${JSON.stringify(files.map((f) => path.join(dir, f)))}\n`);
      });
      const out = JSON.parse(line) as { ok: boolean; results: Record<string, FileResult>; error?: string };
      if (!out.ok) throw new Error(out.error);
      return { results: out.results, ms: Date.now() - started };
    },
    end(): Promise<void> {
      proc.stdin.end();
      return new Promise((resolve) => proc.once('exit', () => resolve()));
    },
  };
}

async function keysIn(namespace: string, r: Redis = redis): Promise<string[]> {
  return (await r.keys(`${KEY_PREFIX}${namespace}:*`)).sort();
}

/** The entries a machine holds locally (to name the remote keys of particular entries). */
function localEntries(dir: string): Entry[] {
  const store = openStoreAdmin(path.join(dir, 'cache'))!;
  try {
    return store.entriesOf(MACRO_ID).filter((e) => e.maxEpoch === null);
  } finally {
    store.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  // What every build must produce, remote tier or not: a local-only build of a fresh copy.
  reference = codes(build(machine(), { store: 'memory' }).results);
});

afterAll(async () => {
  disposeSession();
  redis?.disconnect();
  await server?.kill();
  fs.rmSync(root, { recursive: true, force: true });
});

test('two machines (separate cache directories) sharing one Redis: the second generates nothing', () => {
  const a = machine();
  const b = machine();
  const first = build(a, { remote: remote('two') });
  expect(genLog(a)).toHaveLength(DISTINCT);
  expect(sum(first.results, 'written')).toBe(DISTINCT);
  expect(warningsIn(first.stderr)).toEqual([]);
  expect(codes(first.results)).toEqual(reference);

  const second = build(b, { remote: remote('two') });
  expect(genLog(b)).toEqual([]);
  expect(generated(second.results)).toBe(0);
  expect(sum(second.results, 'hits')).toBe(DISTINCT);
  expect(sum(second.results, 'written')).toBe(0);
  expect(codes(second.results)).toEqual(reference);
  expect(warningsIn(second.stderr)).toEqual([]);

  // Remote hits were written to b's local store: its next build does not ask the server at all.
  const third = build(b, { remote: remote('two') });
  expect(genLog(b)).toEqual([]);
  expect(sum(third.results, 'batches')).toBe(0);
  expect(codes(third.results)).toEqual(reference);

  // The bridge's cost per file, as the plugin reports it: one MGET round trip (4-5 keys), the
  // first file of the process also starting the worker thread and connecting.
  const perFile = Object.values(second.results).map((r) => (r.report?.remote?.ms ?? NaN) * 1000);
  const [startup, ...rest] = perFile;
  // eslint-disable-next-line no-console
  console.log(
    `remote lookup per file, through the plugin (${rest.length} files): median ${median(rest).toFixed(0)} us, ` +
      `p95 ${p95(rest).toFixed(0)} us; first file (worker start + connect) ${(startup / 1000).toFixed(1)} ms`,
  );
});

test('unsigned, tampered, wrong-key and wrong-namespace entries are rejected, counted, regenerated and replaced', async () => {
  const a = machine();
  build(a, { remote: remote('tamper') });
  genLog(a);
  const entries = localEntries(a).sort((x, y) => x.sigKey.localeCompare(y.sigKey));
  expect(entries).toHaveLength(DISTINCT);
  const [tampered, unsigned, otherKey, otherNamespace, garbage] = entries;
  const rk = (e: Entry) => remoteKey('tamper', e);
  const evil = (e: Entry) => ({ ...e.expansion, hoist: `() => "EVIL"` });

  const value = (await redis.get(rk(tampered))) as string;
  expect(value).toContain('gen:');
  await redis.set(rk(tampered), value.replace('gen:', 'EVIL:'));
  const v2 = (await redis.get(rk(unsigned))) as string;
  await redis.set(rk(unsigned), v2.slice(v2.indexOf('\n') + 1));
  await redis.set(rk(otherKey), encodeRemoteValue({ namespace: 'tamper', signingKey: 'not-the-key' }, otherKey, evil(otherKey), []));
  await redis.set(rk(otherNamespace), encodeRemoteValue({ namespace: 'elsewhere', signingKey: KEY }, otherNamespace, evil(otherNamespace), []));
  await redis.set(rk(garbage), 'hello');

  const b = machine();
  const { results, stderr } = build(b, { remote: remote('tamper') });
  const bad = [tampered, unsigned, otherKey, otherNamespace, garbage].map((e) => e.sigKey).sort();
  expect(genLog(b)).toEqual(bad);
  expect(sum(results, 'rejected')).toBe(5);
  expect(sum(results, 'hits')).toBe(DISTINCT - 5);
  expect(codes(results)).toEqual(reference);
  expect(JSON.stringify(results)).not.toContain('EVIL');
  expect(warningsIn(stderr)).toHaveLength(1);
  expect(warningsIn(stderr)[0]).toMatch(/failed verification/);

  // b wrote its regenerated entries over the rejected ones: the next machine generates nothing.
  const c = machine();
  const next = build(c, { remote: remote('tamper') });
  expect(genLog(c)).toEqual([]);
  expect(sum(next.results, 'rejected')).toBe(0);
  expect(codes(next.results)).toEqual(reference);
});

test('a machine with another signing key rejects everything and generates locally', () => {
  const a = machine();
  build(a, { remote: remote('keys') });
  const b = machine();
  const { results, stderr } = build(b, { remote: remote('keys', { readOnly: true, signingKey: 'another-key-of-at-least-thirty-two-bytes' }) });
  expect(genLog(b)).toHaveLength(DISTINCT);
  expect(sum(results, 'rejected')).toBe(DISTINCT);
  expect(codes(results)).toEqual(reference);
  expect(warningsIn(stderr)).toHaveLength(1);
});

test('readOnly reads the shared tier and writes nothing', async () => {
  // A laptop on an empty namespace: generates everything, writes nothing.
  const laptop = machine();
  const first = build(laptop, { remote: remote('ro', { readOnly: true }) });
  expect(genLog(laptop)).toHaveLength(DISTINCT);
  expect(sum(first.results, 'written')).toBe(0);
  expect(await keysIn('ro')).toEqual([]);

  // CI fills the namespace; a second laptop reads it and sends no write at all.
  const ci = machine();
  build(ci, { remote: remote('ro') });
  expect(await keysIn('ro')).toHaveLength(DISTINCT);
  await redis.config('RESETSTAT');
  const laptop2 = machine();
  const second = build(laptop2, { remote: remote('ro', { readOnly: true }) });
  expect(genLog(laptop2)).toEqual([]);
  expect(sum(second.results, 'hits')).toBe(DISTINCT);
  const stats = (await redis.info('commandstats')) as string;
  expect(stats).toMatch(/cmdstat_mget:calls=\d+/);
  expect(stats).not.toMatch(/cmdstat_set:/);
});

test('without a signing key the remote tier is off, with one warning; the key can come from the environment', async () => {
  const env = { ...process.env };
  delete env[REMOTE_KEY_ENV];
  const a = machine();
  const { results, stderr } = build(a, { remote: { url: server.url, namespace: 'nokey' } }, fileNames(), env);
  expect(warningsIn(stderr)).toHaveLength(1);
  expect(warningsIn(stderr)[0]).toMatch(/is off: it needs a signing key .*CACHED_MACROS_REMOTE_KEY/);
  expect(codes(results)).toEqual(reference);
  expect(await keysIn('nokey')).toEqual([]);

  const b = machine();
  const withEnv = build(b, { remote: { url: server.url, namespace: 'nokey' } }, fileNames(), { ...env, [REMOTE_KEY_ENV]: KEY });
  expect(warningsIn(withEnv.stderr)).toEqual([]);
  expect(await keysIn('nokey')).toHaveLength(DISTINCT);
});

test('the remote option is validated, naming the bad field', () => {
  const opts = (remoteOpt: unknown) => () => resolveOptions({ remote: remoteOpt }, root);
  expect(opts('redis://x')).toThrow(/option "remote" must be an object/);
  expect(opts({ url: 'http://x' })).toThrow(/option "remote.url" must be a redis:\/\/ or rediss:\/\/ URL/);
  expect(opts({ url: 'redis://x', signingKey: KEY, timeoutMs: 0 })).toThrow(/"remote.timeoutMs" must be a whole number of milliseconds from 1 to 5000/);
  expect(opts({ url: 'redis://x', signingKey: KEY, readOnly: 'yes' })).toThrow(/"remote.readOnly" must be a boolean/);
  expect(opts({ url: 'redis://x', signingKey: KEY, ttl: 1 })).toThrow(/unknown option "remote.ttl"/);
  expect(opts({ url: 'redis://x', signingKey: 42 })).toThrow(/"remote.signingKey" must be a non-empty string, got number$/);
  expect(resolveOptions({ remote: { url: 'rediss://h:6380/2', signingKey: KEY } }, root).remote).toEqual({
    url: 'rediss://h:6380/2',
    namespace: 'default',
    signingKey: KEY,
    publicKeys: [],
    privateKey: '',
    readOnly: false,
    signLocal: false,
    timeoutMs: 250,
    connectTimeoutMs: 500,
  });
});

describe('a server that fails in the middle of a build', () => {
  let own: RedisServer;
  beforeEach(async () => {
    own = await startRedis();
  });
  afterEach(async () => {
    await own.kill();
  });

  test('killed: one warning, the build completes from the local tiers within bounded time', async () => {
    const dir = machine();
    const b = longBuild(dir, { remote: { url: own.url, namespace: 'killed', signingKey: KEY } });
    const first = await b.batch(fileNames(0, 10));
    expect(sum(first.results, 'written')).toBeGreaterThan(0);
    await own.kill();
    const second = await b.batch(fileNames(10, 20));
    const third = await b.batch(fileNames(20, 30));
    await b.end();
    expect(warningsIn(b.stderr)).toHaveLength(1);
    expect(warningsIn(b.stderr)[0]).toMatch(/remote cache redis:\/\/127\.0\.0\.1:\d+\/? is unavailable .*continuing with the local cache/);
    expect(second.ms).toBeLessThan(3000);
    expect(third.ms).toBeLessThan(3000);
    expect(Object.values(third.results).every((r) => r.report?.remote?.down === true && r.report.remote.batches === 0)).toBe(true);
    expect({ ...codes(first.results), ...codes(second.results), ...codes(third.results) }).toEqual(reference);
    // eslint-disable-next-line no-console
    console.log(`redis killed mid-build: next 10 files ${second.ms} ms (incl. the failed call), then 10 files ${third.ms} ms`);
  });

  test('stalled (SIGSTOP): bounded by the timeout, one warning; the next build uses it again', async () => {
    const dir = machine();
    const options = { remote: { url: own.url, namespace: 'stalled', signingKey: KEY, timeoutMs: 200 } };
    const b = longBuild(dir, options);
    await b.batch(fileNames(0, 10));
    own.pause();
    let second;
    let third;
    try {
      second = await b.batch(fileNames(10, 20));
      third = await b.batch(fileNames(20, 30));
    } finally {
      own.resume();
    }
    await b.end();
    expect(warningsIn(b.stderr)).toHaveLength(1);
    expect(warningsIn(b.stderr)[0]).toMatch(/timed out after 200 ms/);
    const stalledFile = Object.values(second.results).find((r) => r.report?.remote?.batches === 1);
    expect(stalledFile?.report?.remote?.ms).toBeGreaterThanOrEqual(190);
    expect(stalledFile?.report?.remote?.ms).toBeLessThan(1000);
    expect(second.ms).toBeLessThan(3000);
    expect(third.ms).toBeLessThan(3000);
    expect({ ...codes(second.results), ...codes(third.results) }).toEqual(
      Object.fromEntries(fileNames(10, 30).map((f) => [f, reference[f]])),
    );
    // eslint-disable-next-line no-console
    console.log(`redis stalled (timeoutMs 200): the stalled batch failed after ${stalledFile?.report?.remote?.ms.toFixed(0)} ms; next 10 files ${second.ms} ms, then ${third.ms} ms`);
    // The server answers again: a new build on another machine reads what the first batch wrote.
    const other = machine();
    const after = build(other, options, fileNames(0, 10));
    expect(warningsIn(after.stderr)).toEqual([]);
    expect(genLog(other)).toEqual([]);
  });

  test('flushed (FLUSHALL): the build goes on; what was flushed is simply generated again elsewhere', async () => {
    const dir = machine();
    const options = { remote: { url: own.url, namespace: 'flushed', signingKey: KEY } };
    const b = longBuild(dir, options);
    const first = await b.batch(fileNames(0, 10));
    const c = own.client();
    await c.flushall();
    const second = await b.batch(fileNames(10, 30));
    await b.end();
    expect(warningsIn(b.stderr)).toEqual([]);
    expect({ ...codes(first.results), ...codes(second.results) }).toEqual(reference);
    const flushed = 10 * PER_FILE + 1; // files 0-9 and the shared signature
    expect(await keysIn('flushed', c)).toHaveLength(DISTINCT - flushed);
    const other = machine();
    const after = build(other, options);
    expect(genLog(other)).toHaveLength(flushed);
    expect(codes(after.results)).toEqual(reference);
  });
});

describe('entry cache contract: the Redis tier', () => {
  const tierOf = (namespace: string) =>
    new RemoteTier(resolveOptions({ remote: { url: server.url, namespace, signingKey: KEY, timeoutMs: 250, connectTimeoutMs: 500 } }, root).remote!);
  const k = (sigKey: string) => ({ macroId: MACRO_ID, fingerprint: 'fp', sigKey });
  const e = (sigKey: string, inline = `'${sigKey}'`) => ({ ...k(sigKey), expansion: { hoist: null, inline, helpers: [] }, deps: [{ kind: 'env' as const, name: 'X', hash: 'h' }] });

  test('entries round-trip by key; misses are undefined; an empty batch is empty', () => {
    const tier = tierOf('contract-a');
    tier.putMany([e('a'), e('b')]);
    expect(tier.getMany([k('a')])).toEqual([e('a')]);
    expect(tier.getMany([k('b'), k('zz'), { ...k('a'), fingerprint: 'other' }]).map((x) => x?.expansion.inline)).toEqual(["'b'", undefined, undefined]);
    expect(tier.getMany([])).toEqual([]);
    tier.close();
    expect(tier.getMany([k('a')])).toEqual([e('a')]);
  });

  test('layered under the ledger\'s rows: remote hits are back-filled locally, writes reach both', () => {
    const tier = tierOf('contract-b');
    tier.putMany([e('remote')]);
    const local = ledgerEntries(new MemoryLedger(), () => 0);
    const layered = new LayeredCache(local, tier);
    expect(layered.name).toBe('memory+redis');
    expect(layered.getMany([k('remote'), k('none')]).map((x) => x?.expansion.inline)).toEqual(["'remote'", undefined]);
    expect(local.getMany([k('remote')])).toEqual([expect.objectContaining(e('remote'))]);
    layered.putMany([e('both')]);
    expect(local.getMany([k('both')])).toEqual([expect.objectContaining(e('both'))]);
    expect(tier.getMany([k('both')])).toEqual([e('both')]);
  });
});

test('bridge cost: one synchronous round trip per file, against an async MGET', async () => {
  disposeSession();
  const tier = new RemoteTier({ url: server.url, namespace: 'bench', signingKey: KEY, readOnly: false, timeoutMs: 250, connectTimeoutMs: 500 });
  const keys = (file: number) =>
    Array.from({ length: 5 }, (_, j) => ({ macroId: MACRO_ID, fingerprint: 'fp', sigKey: `(${file * 5 + j})` }));
  const entry = (k: ReturnType<typeof keys>[number]) => ({ ...k, expansion: { hoist: `() => "${k.sigKey}"`, inline: '$hoisted()', helpers: [] }, deps: [] });
  const t0 = performance.now();
  tier.getMany(keys(0));
  const startup = performance.now() - t0;
  const gets: number[] = [];
  const puts: number[] = [];
  for (let f = 0; f < 300; f++) {
    let t = performance.now();
    const got = tier.getMany(keys(f));
    gets.push((performance.now() - t) * 1000);
    t = performance.now();
    if (got.some((g) => !g)) tier.putMany(keys(f).map(entry));
    puts.push((performance.now() - t) * 1000);
  }
  // Every entry written in the first pass is read back (signed, verified).
  expect(tier.getMany(keys(7)).every(Boolean)).toBe(true);
  // The same MGETs without the bridge: async ioredis on this thread.
  const raw: number[] = [];
  for (let f = 0; f < 300; f++) {
    const t = performance.now();
    await redis.mget(...keys(f).map((k) => remoteKey('bench', k)));
    raw.push((performance.now() - t) * 1000);
  }
  const warmGets = gets.slice(1);
  tier.close();
  // eslint-disable-next-line no-console
  console.log(
    `bridge (synckit worker + Atomics.wait), 5 keys per file: lookup median ${median(warmGets).toFixed(0)} us ` +
      `(p95 ${p95(warmGets).toFixed(0)}), write median ${median(puts).toFixed(0)} us; async MGET on the main thread ` +
      `median ${median(raw).toFixed(0)} us; bridge overhead ~${(median(warmGets) - median(raw)).toFixed(0)} us per file; ` +
      `first call (worker start + connect) ${startup.toFixed(1)} ms`,
  );
  expect(median(warmGets)).toBeLessThan(5000);
});
