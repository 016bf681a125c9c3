/**
 * The store: the ledger contract (epoch semantics, same suite on the SQLite and in-memory
 * ledgers), the entry-cache contract (same suite on every local entry cache and their layering),
 * the admin operations, and the persistent ledger under
 * concurrent processes, kill -9, file corruption and unusable directories. Child processes run
 * the compiled code in dist/ (build first: `npx tsc -p .`) from a script written to the temp
 * directory (a helper under __tests__/ would be collected by Jest's default testMatch).
 * `STORE_CRASH_ROUNDS=20` runs more kill -9 rounds (default 5).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { disposeSession } from '../src/build/session';
import { driverName, openDatabase, type SqliteDatabase } from '../src/store/sqlite-driver';
import { hash, hashFile } from '../src/util/hash';
import { debug, warnOnce } from '../src/util/log';
import { decodePayload } from '../src/store/checksum';
import { openLedger, openStore } from '../src/store/index';
import { openStoreAdmin, type StoreAdmin } from '../src/store/admin';
import { LayeredCache, ledgerEntries } from '../src/store/entry-cache';
import { MemoryLedger } from '../src/store/memory-ledger';
import { openSqliteLedger, SqliteLedger } from '../src/store/sqlite-ledger';
import type { Entry, EntryCache, EntryKey, Ledger } from '../src/store/types';
import type { SerializedExpansion } from '../src/api/types';
import { reachableByNobody, unprivileged } from './helpers/unprivileged';

jest.setTimeout(60_000);

const DIST = path.resolve(__dirname, '../dist/store/sqlite-ledger.js');
const CRASH_ROUNDS = Number(process.env.STORE_CRASH_ROUNDS ?? 5);
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cached-macros-store-'));
fs.chmodSync(tmpRoot, 0o755); // the read-only test runs a child as an unprivileged user
let dirCount = 0;
const freshDir = () => path.join(tmpRoot, `s${++dirCount}`);

const open: Array<{ close(): void }> = [];
const track = <S extends { close(): void }>(s: S): S => (open.push(s), s);
/** The admin operations on the store in `dir` (a second connection to the same file). */
const adminOf = (dir: string): StoreAdmin => track(openStoreAdmin(dir)!);

let warnings: string[] = [];
beforeEach(() => {
  disposeSession();
  warnings = [];
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    const text = String(chunk);
    if (text.includes('[cached-macros] warning:')) warnings.push(text);
    return true;
  });
});
afterEach(() => {
  jest.restoreAllMocks();
  for (const s of open.splice(0)) s.close();
  disposeSession();
});
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

const exp = (inline: string): SerializedExpansion => ({ hoist: null, inline, helpers: [] });
const key = (fingerprint: string, sigKey: string, macroId = 'm'): EntryKey => ({ macroId, fingerprint, sigKey });
const entry = (fingerprint: string, sigKey: string, inline = `${fingerprint}:${sigKey}`, macroId = 'm') => ({
  ...key(fingerprint, sigKey, macroId),
  expansion: exp(inline),
  deps: [{ kind: 'file' as const, path: '/dep.txt', hash: 'abc' }],
});
const inlines = (s: Ledger, keys: EntryKey[], epoch: number) => s.getMany(keys, epoch).map((e) => e?.expansion.inline);
/** Every row a ledger holds for `keys` (capped ones oldest first, then the open one), as the contract sees them. */
const rowsOf = (s: Ledger, keys: EntryKey[]): Entry[] =>
  keys.flatMap((k) => {
    const open = s.getMany([k], Number.MAX_SAFE_INTEGER)[0];
    return [...s.retainedMany([k])[0].reverse(), ...(open ? [open] : [])];
  });

describe.each<[string, () => Ledger]>([
  ['MemoryLedger', () => track(new MemoryLedger())],
  ['SqliteLedger', () => track(openSqliteLedger(freshDir()))],
])('%s semantics', (_name, make) => {
  test('a new store is at epoch 0; the first registration records without a bump', () => {
    const s = make();
    expect(s.currentEpoch()).toBe(0);
    expect(s.registerDefinition('m', 'F1')).toEqual({ epoch: 0, bumped: false, previous: null });
    expect(s.registerDefinition('m', 'F1')).toEqual({ epoch: 0, bumped: false, previous: 'F1' });
    expect(s.registerDefinition('other', 'G1')).toEqual({ epoch: 0, bumped: false, previous: null });
    expect(s.definitions().map((d) => [d.macroId, d.fingerprint])).toEqual([
      ['m', 'F1'],
      ['other', 'G1'],
    ]);
    expect(warnings).toEqual([]);
  });

  test('entries round-trip, with their dependencies and epochs', () => {
    const s = make();
    s.registerDefinition('m', 'F1');
    const e = { ...entry('F1', 'a'), expansion: { hoist: '(x) => x', inline: '$hoisted($0)', helpers: [{ placeholder: '_h', source: 'lib', name: 'h' }] } };
    s.putMany([e]);
    const [got] = s.getMany([key('F1', 'a')], 0);
    expect(got).toEqual({ ...e, minEpoch: 0, maxEpoch: null });
    expect(s.getMany([key('F1', 'zz'), key('F2', 'a')], 0)).toEqual([undefined, undefined]);
    expect(s.getMany([], 0)).toEqual([]);
  });

  test('a definition change bumps by exactly 1 and caps the old entries at the old epoch', () => {
    const s = make();
    s.registerDefinition('m', 'F1');
    s.registerDefinition('other', 'G1');
    s.putMany([entry('F1', 'a'), entry('F1', 'b'), entry('G1', 'a', 'g', 'other')]);
    expect(s.registerDefinition('m', 'F2')).toEqual({ epoch: 1, bumped: true, previous: 'F1' });
    expect(s.currentEpoch()).toBe(1);
    // Invisible at the new epoch, still there for a build pinned at the old one.
    expect(inlines(s, [key('F1', 'a'), key('F1', 'b')], 1)).toEqual([undefined, undefined]);
    expect(inlines(s, [key('F1', 'a'), key('F1', 'b')], 0)).toEqual(['F1:a', 'F1:b']);
    expect(rowsOf(s, [key('F1', 'a'), key('F1', 'b')]).map((e) => [e.sigKey, e.minEpoch, e.maxEpoch])).toEqual([
      ['a', 0, 0],
      ['b', 0, 0],
    ]);
    // Other macros are untouched.
    expect(inlines(s, [key('G1', 'a', 'other')], 1)).toEqual(['g']);
    s.putMany([entry('F2', 'a')]);
    expect(rowsOf(s, [key('F2', 'a')])).toEqual([expect.objectContaining({ minEpoch: 1, maxEpoch: null })]);
    expect(s.registerDefinition('m', 'F2')).toEqual({ epoch: 1, bumped: false, previous: 'F2' });
  });

  test('reverting to a retained fingerprint revives its entries', () => {
    const s = make();
    s.registerDefinition('m', 'F1');
    s.putMany([entry('F1', 'a'), entry('F1', 'b')]);
    s.registerDefinition('m', 'F2');
    s.putMany([entry('F2', 'a')]);
    expect(s.registerDefinition('m', 'F1')).toEqual({ epoch: 2, bumped: true, previous: 'F2' });
    expect(inlines(s, [key('F1', 'a'), key('F1', 'b'), key('F2', 'a')], 2)).toEqual(['F1:a', 'F1:b', undefined]);
    expect(inlines(s, [key('F2', 'a')], 1)).toEqual(['F2:a']);
    const open = rowsOf(s, [key('F1', 'a'), key('F1', 'b'), key('F2', 'a')]).filter((e) => e.maxEpoch === null);
    expect(open.map((e) => `${e.fingerprint}:${e.sigKey}`).sort()).toEqual(['F1:a', 'F1:b']);
    // Going back again caps the revived ones and revives F2's.
    expect(s.registerDefinition('m', 'F2').epoch).toBe(3);
    expect(inlines(s, [key('F1', 'a'), key('F2', 'a')], 3)).toEqual([undefined, 'F2:a']);
  });

  test('a revert revives only the newest retained entry per signature, never beside an open one', () => {
    const s = make();
    s.registerDefinition('m', 'F1');
    s.putMany([entry('F1', 'a', 'old')]);
    s.invalidate([key('F1', 'a')]); // epoch 1, 'old' capped at 0
    s.putMany([entry('F1', 'a', 'new')]);
    s.registerDefinition('m', 'F2'); // epoch 2, 'new' capped at 1
    s.registerDefinition('m', 'F1'); // epoch 3: revives 'new' only
    expect(inlines(s, [key('F1', 'a')], 3)).toEqual(['new']);
    expect(rowsOf(s, [key('F1', 'a')]).map((e) => [e.expansion.inline, e.maxEpoch])).toEqual([
      ['old', 0],
      ['new', null],
    ]);
  });

  test('invalidate bumps once; invalidating the same keys again does not bump', () => {
    const s = make();
    s.registerDefinition('m', 'F1');
    s.putMany([entry('F1', 'a'), entry('F1', 'b'), entry('F1', 'c')]);
    expect(s.invalidate([key('F1', 'a'), key('F1', 'b')])).toEqual({ epoch: 1, bumped: true, previous: null });
    expect(inlines(s, [key('F1', 'a'), key('F1', 'b'), key('F1', 'c')], 1)).toEqual([undefined, undefined, 'F1:c']);
    expect(inlines(s, [key('F1', 'a'), key('F1', 'b')], 0)).toEqual(['F1:a', 'F1:b']);
    expect(s.invalidate([key('F1', 'a'), key('F1', 'b')])).toEqual({ epoch: 1, bumped: false, previous: null });
    expect(s.invalidate([key('F1', 'nothing')])).toEqual({ epoch: 1, bumped: false, previous: null });
    expect(s.currentEpoch()).toBe(1);
    // A regenerated entry is open again.
    s.putMany([entry('F1', 'a', 'regenerated')]);
    expect(inlines(s, [key('F1', 'a')], 1)).toEqual(['regenerated']);
  });

  test('putMany is first-writer-wins per open key', () => {
    const s = make();
    s.registerDefinition('m', 'F1');
    s.putMany([entry('F1', 'a', 'first')]);
    s.putMany([entry('F1', 'a', 'second'), entry('F1', 'b', 'b1'), entry('F1', 'b', 'b2')]);
    expect(inlines(s, [key('F1', 'a'), key('F1', 'b')], 0)).toEqual(['first', 'b1']);
    expect(rowsOf(s, [key('F1', 'a'), key('F1', 'b')])).toHaveLength(2);
  });

  test('a late writer of a superseded definition is stored already capped', () => {
    const s = make();
    s.registerDefinition('m', 'F1');
    s.registerDefinition('m', 'F2'); // epoch 1, F2 recorded since 1
    s.putMany([entry('F1', 'late')]);
    expect(inlines(s, [key('F1', 'late')], 1)).toEqual([undefined]);
    expect(inlines(s, [key('F1', 'late')], 0)).toEqual(['F1:late']); // the writer's pinned world
    expect(rowsOf(s, [key('F1', 'late')])).toEqual([expect.objectContaining({ sigKey: 'late', minEpoch: 1, maxEpoch: 0 })]);
    s.putMany([entry('F1', 'late', 'again')]); // not duplicated
    expect(rowsOf(s, [key('F1', 'late')])).toHaveLength(1);
    s.registerDefinition('m', 'F1'); // a revert revives it
    expect(inlines(s, [key('F1', 'late')], 2)).toEqual(['F1:late']);
  });

  test('entries of a macro never registered are stored open', () => {
    const s = make();
    s.putMany([entry('F1', 'a')]);
    expect(inlines(s, [key('F1', 'a')], 0)).toEqual(['F1:a']);
  });

  test('definition files can be recorded before or after the definition', () => {
    const s = make();
    s.recordDefinitionFiles('m', ['/a.js', '/b.js']);
    s.registerDefinition('m', 'F1');
    s.registerDefinition('n', 'G1');
    s.recordDefinitionFiles('n', ['/n.js']);
    expect(s.definitions()).toEqual([
      { macroId: 'm', fingerprint: 'F1', files: ['/a.js', '/b.js'] },
      { macroId: 'n', fingerprint: 'G1', files: ['/n.js'] },
    ]);
  });

  test('a closed store keeps working', () => {
    const s = make();
    s.registerDefinition('m', 'F1');
    s.putMany([entry('F1', 'a')]);
    s.close();
    expect(inlines(s, [key('F1', 'a')], 0)).toEqual(['F1:a']);
    s.putMany([entry('F1', 'b')]);
    s.close();
    s.close();
    expect(inlines(s, [key('F1', 'b')], 0)).toEqual(['F1:b']);
    expect(warnings).toEqual([]);
  });

  test('unserialisable expansions are dropped with a warning, not thrown', () => {
    const s = make();
    const bad = { ...entry('F1', 'bad'), expansion: { hoist: null, inline: 'x', helpers: [], big: BigInt(1) } as unknown as SerializedExpansion };
    expect(() => s.putMany([bad, entry('F1', 'good')])).not.toThrow();
    expect(inlines(s, [key('F1', 'bad'), key('F1', 'good')], 0)).toEqual([undefined, 'F1:good']);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
  });
});

describe('StoreAdmin (the CLI\'s operations)', () => {
  test('gc drops entries capped before the retention window, never open ones', () => {
    const dir = freshDir();
    const s = track(openSqliteLedger(dir));
    const admin = adminOf(dir);
    s.registerDefinition('m', 'F1');
    s.putMany([entry('F1', 'a'), entry('F1', 'keep')]);
    s.registerDefinition('m', 'F2'); // epoch 1: F1 capped at 0
    s.putMany([entry('F2', 'a')]);
    s.registerDefinition('m', 'F3'); // epoch 2: F2 capped at 1
    s.putMany([entry('F3', 'a')]);
    s.registerDefinition('m', 'F4'); // epoch 3: F3 capped at 2
    s.putMany([entry('F4', 'a')]);
    expect(admin.gc(5)).toBe(0);
    expect(admin.gc(2)).toBe(2); // max_epoch 0 < 3 - 2
    expect(admin.entriesOf('m').map((e) => e.fingerprint).sort()).toEqual(['F2', 'F3', 'F4']);
    expect(admin.gc(0)).toBe(2);
    expect(admin.entriesOf('m').map((e) => e.fingerprint)).toEqual(['F4']);
    expect(admin.gc(0)).toBe(0);
  });

  test('gc drops capped entries of macros with no recorded definition', () => {
    const dir = freshDir();
    const s = track(openSqliteLedger(dir));
    const admin = adminOf(dir);
    s.putMany([entry('F1', 'a', 'x', 'ghost'), entry('F1', 'b', 'y', 'ghost')]);
    s.invalidate([key('F1', 'a', 'ghost')]);
    expect(admin.gc(100)).toBe(1);
    expect(admin.entriesOf('ghost').map((e) => e.sigKey)).toEqual(['b']);
  });

  test('stats and hits', () => {
    const dir = freshDir();
    const s = track(openSqliteLedger(dir));
    const admin = adminOf(dir);
    s.registerDefinition('m', 'F1');
    s.putMany([entry('F1', 'a'), entry('F1', 'b')]);
    s.invalidate([key('F1', 'a')]);
    s.recordHits(new Map([['m', 3]]));
    s.recordHits(new Map([['m', 2], ['unknown', 1]]));
    const st = admin.stats();
    expect(st).toMatchObject({ epoch: 1, entries: 2, openEntries: 1 });
    expect(st.bytes).toBeGreaterThan(0);
    expect(st.macros).toEqual([{ macroId: 'm', fingerprint: 'F1', sinceEpoch: 0, entries: 2, hits: 5 }]);
  });

  test('clear drops entries and definitions but keeps the epoch monotonic', () => {
    const dir = freshDir();
    const s = track(openSqliteLedger(dir));
    const admin = adminOf(dir);
    s.registerDefinition('m', 'F1');
    s.putMany([entry('F1', 'a')]);
    s.registerDefinition('m', 'F2');
    admin.clear();
    expect(s.currentEpoch()).toBe(1);
    expect(s.definitions()).toEqual([]);
    expect(admin.entriesOf('m')).toEqual([]);
    expect(s.registerDefinition('m', 'F1')).toEqual({ epoch: 1, bumped: false, previous: null });
    s.putMany([entry('F1', 'a')]);
    expect(inlines(s, [key('F1', 'a')], 1)).toEqual(['F1:a']);
  });

});

describe('helpers', () => {
  test('hash / hashFile', () => {
    expect(hash('abc')).toMatch(/^[0-9a-f]{32}$/);
    expect(hash('abc')).toBe(hash(Buffer.from('abc')));
    expect(hash('abc')).not.toBe(hash('abd'));
    const f = path.join(tmpRoot, 'hashed.txt');
    fs.writeFileSync(f, 'abc');
    expect(hashFile(f)).toBe(hash('abc'));
    expect(hashFile(path.join(tmpRoot, 'missing.txt'))).toBeNull();
    // A directory hashes its listing (names and kinds), not its entries' contents (issue #9).
    const d = path.join(tmpRoot, 'hashed-dir');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'x'), '1');
    const listed = hashFile(d);
    expect(listed).toMatch(/^[0-9a-f]{32}$/);
    fs.writeFileSync(path.join(d, 'x'), '2');
    expect(hashFile(d)).toBe(listed);
    fs.mkdirSync(path.join(d, 'y'));
    expect(hashFile(d)).not.toBe(listed);
  });

  test('warnOnce prints once per key; debug only with CACHED_MACROS_DEBUG', () => {
    const lines: string[] = [];
    (process.stderr.write as unknown as jest.Mock).mockImplementation((c: string) => (lines.push(String(c)), true));
    expect(warnOnce('k', 'first')).toBe(true);
    expect(warnOnce('k', 'again')).toBe(false);
    warnOnce('other', 'second');
    const saved = process.env.CACHED_MACROS_DEBUG;
    try {
      delete process.env.CACHED_MACROS_DEBUG;
      debug('hidden %d', 1);
      process.env.CACHED_MACROS_DEBUG = '0';
      debug('hidden %d', 2);
      process.env.CACHED_MACROS_DEBUG = '*';
      debug('shown %d', 3);
    } finally {
      if (saved === undefined) delete process.env.CACHED_MACROS_DEBUG;
      else process.env.CACHED_MACROS_DEBUG = saved;
    }
    expect(lines).toEqual(['[cached-macros] warning: first\n', '[cached-macros] warning: second\n', '[cached-macros] shown 3\n']);
  });

});

const cached = (c: EntryCache, keys: EntryKey[]) => c.getMany(keys).map((e) => e?.expansion.inline);

describe.each<[string, () => EntryCache]>([
  ['the memory ledger\'s entries', () => ledgerEntries(track(new MemoryLedger()), () => 0)],
  ['the SQLite ledger\'s entries', () => ledgerEntries(track(openSqliteLedger(freshDir())), () => 0)],
  ['a LayeredCache (memory over SQLite)', () => new LayeredCache(ledgerEntries(new MemoryLedger(), () => 0), ledgerEntries(track(openSqliteLedger(freshDir())), () => 0))],
])('entry cache contract: %s', (_name, make) => {
  test('entries round-trip by key; misses are undefined; an empty batch is empty', () => {
    const c = make();
    const e = { ...entry('F1', 'a'), expansion: { hoist: '(x) => x', inline: '$hoisted($0)', helpers: [{ placeholder: '_h', source: 'lib', name: 'h' }] } };
    c.putMany([e, entry('F1', 'b')]);
    expect(c.getMany([key('F1', 'a')])).toEqual([expect.objectContaining(e)]);
    expect(cached(c, [key('F1', 'b'), key('F1', 'zz'), key('F2', 'a'), key('F1', 'a', 'other')])).toEqual(['F1:b', undefined, undefined, undefined]);
    expect(c.getMany([])).toEqual([]);
  });

  test('first writer wins per key; a closed cache keeps working', () => {
    const c = make();
    c.putMany([entry('F1', 'a', 'first')]);
    c.putMany([entry('F1', 'a', 'second'), entry('F1', 'b', 'b1'), entry('F1', 'b', 'b2')]);
    expect(cached(c, [key('F1', 'a'), key('F1', 'b')])).toEqual(['first', 'b1']);
    c.close();
    expect(cached(c, [key('F1', 'a')])).toEqual(['first']);
    expect(warnings).toEqual([]);
  });
});

describe('LayeredCache and the ledger\'s entries', () => {
  test('reads near, then far for what near missed, back-filling near; writes go to both', () => {
    const nearLedger = new MemoryLedger();
    const farLedger = track(openSqliteLedger(freshDir()));
    const near = ledgerEntries(nearLedger, () => 0);
    const far = ledgerEntries(farLedger, () => 0);
    const reads: EntryKey[][] = [];
    const counting: EntryCache = { name: 'far', getMany: (keys) => (reads.push([...keys]), far.getMany(keys)), putMany: (e) => far.putMany(e), close: () => far.close() };
    const layered = new LayeredCache(near, counting);
    expect(layered.name).toBe('memory+far');
    far.putMany([entry('F1', 'a', 'from far')]);
    near.putMany([entry('F1', 'n', 'near only')]);
    expect(cached(layered, [key('F1', 'n'), key('F1', 'a'), key('F1', 'x')])).toEqual(['near only', 'from far', undefined]);
    expect(reads).toEqual([[key('F1', 'a'), key('F1', 'x')]]);
    // The far hit was back-filled: served by near from now on, without asking far.
    expect(cached(near, [key('F1', 'a')])).toEqual(['from far']);
    expect(cached(layered, [key('F1', 'a'), key('F1', 'n')])).toEqual(['from far', 'near only']);
    expect(reads).toHaveLength(1);
    layered.putMany([entry('F1', 'w', 'written')]);
    expect(cached(near, [key('F1', 'w')])).toEqual(['written']);
    expect(cached(far, [key('F1', 'w')])).toEqual(['written']);
  });

  test("the ledger's entries read at the epoch the caller pins, read when it reads", () => {
    const ledger = track(openSqliteLedger(freshDir()));
    let pinned = 0;
    const entries = ledgerEntries(ledger, () => pinned);
    ledger.registerDefinition('m', 'F1');
    entries.putMany([entry('F1', 'a')]);
    ledger.invalidate([key('F1', 'a')]); // epoch 1: capped at 0
    expect(cached(entries, [key('F1', 'a')])).toEqual(['F1:a']); // still pinned at 0
    pinned = 1;
    expect(cached(entries, [key('F1', 'a')])).toEqual([undefined]);
  });
});

describe('SqliteLedger specifics', () => {
  const sqlite = (dir = freshDir()) => {
    const s = track(openSqliteLedger(dir));
    expect(s).toBeInstanceOf(SqliteLedger);
    return s as SqliteLedger;
  };
  const raw = (dir: string) => openDatabase(path.join(dir, 'store.sqlite'), { timeout: 10_000 });

  test('persists across instances; the schema has the partial unique index', () => {
    const dir = freshDir();
    const a = sqlite(dir);
    a.registerDefinition('m', 'F1');
    a.putMany([entry('F1', 'a')]);
    a.registerDefinition('m', 'F2');
    a.close();
    const b = sqlite(dir);
    expect(b.currentEpoch()).toBe(1);
    expect(inlines(b, [key('F1', 'a')], 0)).toEqual(['F1:a']);
    b.close();
    const db = raw(dir);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const idx = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'entries_open'").pluck().get() as string;
    expect(idx).toMatch(/UNIQUE INDEX.*WHERE max_epoch IS NULL/);
    db.close();
  });

  test('a row failing its checksum is a miss and is deleted; a damaged key column never answers for another key', () => {
    const dir = freshDir();
    const s = sqlite(dir);
    s.putMany([entry('F1', 'a'), entry('F1', 'b'), entry('F1', 'c')]);
    const db = raw(dir);
    db.prepare("UPDATE entries SET payload = replace(payload, 'F1:a', 'F1:A') WHERE sig_key = 'a'").run();
    db.prepare("UPDATE entries SET sig_key = 'x' WHERE sig_key = 'b'").run();
    db.prepare("UPDATE entries SET payload = 'not json' WHERE sig_key = 'c'").run();
    expect(inlines(s, [key('F1', 'a'), key('F1', 'x'), key('F1', 'c')], 0)).toEqual([undefined, undefined, undefined]);
    // All three were bad for the key they were read under, and are gone.
    expect(db.prepare('SELECT sig_key FROM entries').pluck().all()).toEqual([]);
    db.close();
    expect(warnings).toHaveLength(1);
    // Missing entries are simply regenerated and stored again.
    s.putMany([entry('F1', 'a')]);
    expect(inlines(s, [key('F1', 'a')], 0)).toEqual(['F1:a']);
  });

  test('a full disk drops writes with one warning; reads keep working', () => {
    const dir = freshDir();
    const s = sqlite(dir);
    s.registerDefinition('m', 'F1');
    s.putMany([entry('F1', 'a')]);
    // Fault injection: cap the file at its current size.
    const db = (s as unknown as { connection: { conn: { db: SqliteDatabase } } }).connection.conn.db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const big = Array.from({ length: 200 }, (_, i) => entry('F1', `big${i}`, 'x'.repeat(2000)));
    expect(() => s.putMany(big)).not.toThrow();
    expect(() => s.putMany(big)).not.toThrow();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/SQLITE_FULL/);
    expect(inlines(s, [key('F1', 'a'), key('F1', 'big0')], 0)).toEqual(['F1:a', undefined]);
    expect(s.degraded).toBe(false);
  });

  test('a cache directory deleted (or the file moved) under an open store: the next call uses a fresh store', () => {
    const dir = freshDir();
    const s = sqlite(dir);
    s.registerDefinition('m', 'F1');
    s.putMany([entry('F1', 'a')]);
    fs.rmSync(dir, { recursive: true });
    expect(inlines(s, [key('F1', 'a')], 0)).toEqual([undefined]);
    s.putMany([entry('F1', 'b')]);
    expect(fs.existsSync(path.join(dir, 'store.sqlite'))).toBe(true);
    const other = sqlite(dir); // another process sees the write
    expect(inlines(other, [key('F1', 'b')], 0)).toEqual(['F1:b']);
    fs.renameSync(path.join(dir, 'store.sqlite'), path.join(dir, 'elsewhere.sqlite'));
    s.putMany([entry('F1', 'c')]);
    expect(inlines(other, [key('F1', 'c')], 0)).toEqual(['F1:c']);
    expect(warnings).toEqual([]);
  });

  test('openLedger shares one ledger per cache directory; closing it, or clearing the store, leaves it usable', () => {
    const dir = freshDir();
    const a = openLedger({ kind: 'fs', cacheDir: dir });
    const b = openLedger({ kind: 'fs', cacheDir: path.join(dir, '.') });
    expect(a).toBe(b);
    expect(a).toBeInstanceOf(SqliteLedger);
    a.registerDefinition('m', 'F1');
    a.putMany([entry('F1', 'a')]);
    a.close();
    expect(inlines(b, [key('F1', 'a')], 0)).toEqual(['F1:a']);
    adminOf(dir).clear();
    expect(inlines(a, [key('F1', 'a')], 0)).toEqual([undefined]);
    a.putMany([entry('F1', 'a')]);
    expect(inlines(b, [key('F1', 'a')], 0)).toEqual(['F1:a']);
    expect(openLedger({ kind: 'memory', cacheDir: dir })).not.toBe(openLedger({ kind: 'memory', cacheDir: dir }));
  });

  test("openStore: a build's entries are the shared ledger's rows at the build's epoch (no in-process tier of rows)", () => {
    const dir = freshDir();
    let epoch = 0;
    const opened = openStore({ kind: 'fs', cacheDir: dir }, () => epoch);
    expect(opened.ledger).toBe(openLedger({ kind: 'fs', cacheDir: dir }));
    expect(opened.remote).toBeNull();
    expect(opened.entries.name).toBe('sqlite');
    opened.ledger.registerDefinition('m', 'F1');
    opened.entries.putMany([entry('F1', 'a')]);
    // Another process's invalidation is seen at once: nothing in this process kept a copy.
    const other = sqlite(dir);
    epoch = other.invalidate([key('F1', 'a')]).epoch;
    expect(cached(opened.entries, [key('F1', 'a')])).toEqual([undefined]);
    epoch = 0;
    expect(cached(opened.entries, [key('F1', 'a')])).toEqual(['F1:a']);
  });
});

// ---------------------------------------------------------------------------------------------
// Child processes

const CHILD = `
const { openSqliteLedger } = require(${JSON.stringify(DIST)});
const [dir, mode, id, count, batchSize] = process.argv.slice(2);
const store = openSqliteLedger(dir);
if (mode === 'readonly') {
  const got = store.getMany([{ macroId: 'm', fingerprint: 'F1', sigKey: 'k1' }], 0);
  store.putMany([{ macroId: 'm', fingerprint: 'F1', sigKey: 'new', expansion: { hoist: null, inline: 'n', helpers: [] }, deps: [] }]);
  const again = store.getMany([{ macroId: 'm', fingerprint: 'F1', sigKey: 'new' }], 0);
  console.log(JSON.stringify({ name: store.name, read: got.map(Boolean), wrote: again[0].expansion.inline }));
  process.exit(0);
}
if (store.name !== 'sqlite') { console.error('not sqlite: ' + store.name); process.exit(2); }
const payload = (sig) => ({ hoist: '(a) => a /* ' + sig + ' ' + 'p'.repeat(${1500}) + ' */', inline: '$hoisted($0)', helpers: [] });
const put = (fp, sigs) => store.putMany(sigs.map((sig) => ({ macroId: 'm', fingerprint: fp, sigKey: sig, expansion: payload(sig), deps: [{ kind: 'env', name: 'X', hash: sig }] })));
if (mode === 'concurrent') {
  process.stdout.write('ready\\n');
  process.stdin.once('data', () => {
    const r = store.registerDefinition('m', 'F2');
    const n = Number(count), b = Number(batchSize);
    for (let i = 0; i < n; i += b) {
      const sigs = [];
      for (let j = i; j < Math.min(n, i + b); j++) sigs.push('c' + id + '-' + j);
      // One key every batch is written by every child: first writer wins.
      sigs.push('shared-' + (i / b));
      put('F2', sigs);
    }
    store.close();
    process.stdout.write(JSON.stringify(r) + '\\n');
    process.exit(0);
  });
} else if (mode === 'crash') {
  let n = 0;
  for (let batch = 0; ; batch++) {
    if (batch % 7 === 3) store.registerDefinition('m', batch % 2 ? 'FA' : 'FB');
    const fp = store.definitions().find((d) => d.macroId === 'm')?.fingerprint ?? 'FA';
    const sigs = [];
    for (let j = 0; j < 40; j++) sigs.push(id + '-' + n++);
    put(fp, sigs);
    if (batch % 5 === 4) store.invalidate(sigs.slice(0, 5).map((sigKey) => ({ macroId: 'm', fingerprint: fp, sigKey })));
    if (batch === 1) process.stdout.write('ready\\n');
  }
}
`;

let childScript = '';
beforeAll(() => {
  if (!fs.existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npx tsc -p .\` before these tests`);
  childScript = path.join(tmpRoot, 'store-child.js');
  fs.writeFileSync(childScript, CHILD);
});

interface Child {
  proc: ChildProcessWithoutNullStreams;
  lines: string[];
  stderr: string;
  exited: Promise<number | null>;
  waitLine(n: number): Promise<void>;
}

function child(args: Array<string | number>, options: { uid?: number; gid?: number } = {}): Child {
  const proc = spawn(process.execPath, [childScript, ...args.map(String)], { stdio: 'pipe', ...options });
  const c: Child = {
    proc,
    lines: [],
    stderr: '',
    exited: new Promise((res) => proc.on('exit', (code) => res(code))),
    waitLine: (n) =>
      new Promise((res, rej) => {
        const check = () => (c.lines.length >= n ? res() : undefined);
        proc.stdout.on('data', check);
        proc.on('exit', () => (c.lines.length >= n ? res() : rej(new Error(`child exited early: ${c.stderr}`))));
        check();
      }),
  };
  let buf = '';
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    c.lines.push(...parts);
  });
  proc.stderr.on('data', (d: Buffer) => (c.stderr += d.toString()));
  return c;
}

/** Every row of the file, checked against its checksum and the content its key implies. */
function verifyFile(dir: string, skip: (sigKey: string) => boolean = () => false): { rows: number; byFingerprint: Record<string, number> } {
  const db = openDatabase(path.join(dir, 'store.sqlite'), { timeout: 10_000 });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = db.prepare('SELECT macro_id, fingerprint, sig_key, max_epoch, payload, checksum FROM entries').all() as Array<{
      macro_id: string;
      fingerprint: string;
      sig_key: string;
      max_epoch: number | null;
      payload: string;
      checksum: string;
    }>;
    const byFingerprint: Record<string, number> = {};
    for (const r of rows) {
      const decoded = decodePayload({ macroId: r.macro_id, fingerprint: r.fingerprint, sigKey: r.sig_key }, r.payload, r.checksum);
      expect(decoded).toBeDefined();
      if (!skip(r.sig_key)) expect(decoded?.expansion.hoist).toContain(`/* ${r.sig_key} ppp`);
      byFingerprint[r.fingerprint] = (byFingerprint[r.fingerprint] ?? 0) + 1;
    }
    // Invariant: no open entry of a definition other than the recorded one.
    const stale = db
      .prepare('SELECT COUNT(*) FROM entries e JOIN definitions d USING (macro_id) WHERE e.max_epoch IS NULL AND e.fingerprint <> d.fingerprint')
      .pluck()
      .get();
    expect(stale).toBe(0);
    return { rows: rows.length, byFingerprint };
  } finally {
    db.close();
  }
}

describe('SqliteLedger across processes', () => {
  test('8 processes writing 1,000 entries each and registering the same new definition at once', async () => {
    const dir = freshDir();
    const setup = openSqliteLedger(dir);
    setup.registerDefinition('m', 'F1');
    setup.putMany([entry('F1', 'old')]);
    setup.close();

    const started = Date.now();
    const children = Array.from({ length: 8 }, (_, i) => child([dir, 'concurrent', i, 1000, 25]));
    await Promise.all(children.map((c) => c.waitLine(1)));
    for (const c of children) c.proc.stdin.write('go\n');
    const codes = await Promise.all(children.map((c) => c.exited));
    const elapsed = Date.now() - started;
    expect(children.map((c) => c.stderr)).toEqual(Array(8).fill(''));
    expect(codes).toEqual(Array(8).fill(0));
    const results = children.map((c) => JSON.parse(c.lines[1]) as { epoch: number; bumped: boolean });
    expect(results.filter((r) => r.bumped)).toHaveLength(1);
    expect(results.every((r) => r.epoch === 1)).toBe(true);

    const s = track(openSqliteLedger(dir));
    expect(s.currentEpoch()).toBe(1);
    const keys = children.flatMap((_, i) => Array.from({ length: 1000 }, (_, j) => key('F2', `c${i}-${j}`)));
    const t0 = process.hrtime.bigint();
    const got = s.getMany(keys, 1);
    const perKeyUs = Number(process.hrtime.bigint() - t0) / 1e3 / keys.length;
    expect(got.filter((e) => e !== undefined)).toHaveLength(8000);
    got.forEach((e, i) => expect(e?.expansion.hoist).toContain(`/* ${keys[i].sigKey} `));
    // The shared keys: one open row each, whoever wrote first.
    const shared = adminOf(dir).entriesOf('m').filter((e) => e.sigKey.startsWith('shared-'));
    expect(shared).toHaveLength(40);
    expect(inlines(s, [key('F1', 'old')], 1)).toEqual([undefined]);
    expect(inlines(s, [key('F1', 'old')], 0)).toEqual(['F1:old']);
    s.close();
    expect(verifyFile(dir, (sig) => sig === 'old').rows).toBe(8000 + 40 + 1);
    // eslint-disable-next-line no-console
    console.log(`8 writers x 1,000 entries: ${elapsed} ms wall (incl. process start); getMany ${perKeyUs.toFixed(1)} us/key`);
  });

  test(`kill -9 mid-write, ${CRASH_ROUNDS} rounds: the store opens and every entry is whole or absent`, async () => {
    const dir = freshDir();
    let previousRows = 0;
    for (let round = 0; round < CRASH_ROUNDS; round++) {
      const c = child([dir, 'crash', `r${round}`]);
      await c.waitLine(1);
      await new Promise((res) => setTimeout(res, 30 + Math.floor(Math.random() * 250)));
      c.proc.kill('SIGKILL');
      expect(await c.exited).toBe(null);
      expect(c.stderr).toBe('');

      const s = track(openSqliteLedger(dir));
      expect(s.name).toBe('sqlite');
      const { rows } = verifyFile(dir);
      expect(rows).toBeGreaterThan(previousRows - 1);
      previousRows = rows;
      // Everything the file holds reads back through the store.
      expect(adminOf(dir).entriesOf('m')).toHaveLength(rows);
      s.close();
    }
    expect(warnings).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Damaged files and unusable directories

describe('SqliteLedger robustness', () => {
  const N = 2000;
  const marked = (i: number) => entry('F1', `k${i}`, `MARK-${String(i).padStart(5, '0')}-${'z'.repeat(500)}`);
  const allKeys = Array.from({ length: N }, (_, i) => key('F1', `k${i}`));

  function populated(): string {
    const dir = freshDir();
    const s = openSqliteLedger(dir);
    s.registerDefinition('m', 'F1');
    for (let i = 0; i < N; i += 100) s.putMany(Array.from({ length: 100 }, (_, j) => marked(i + j)));
    s.close(); // the last connection checkpoints the WAL into the file and removes it
    expect(fs.existsSync(path.join(dir, 'store.sqlite-wal'))).toBe(false);
    return dir;
  }
  const file = (dir: string) => path.join(dir, 'store.sqlite');
  const corruptFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith('store.sqlite.corrupt-') && !/-(wal|shm)$/.test(f));

  /** Reads every key: each one is a miss or exactly the right entry, never an exception. */
  function readBack(s: Ledger): number {
    let hits = 0;
    s.getMany(allKeys, 0).forEach((e, i) => {
      if (e) {
        hits++;
        expect(e.expansion.inline.startsWith(`MARK-${String(i).padStart(5, '0')}-`)).toBe(true);
      }
    });
    return hits;
  }
  /** The store (whatever tier it fell back to) takes writes and serves them. */
  function stillWorks(s: Ledger): void {
    s.registerDefinition('m', 'F1');
    s.putMany([entry('F1', 'fresh')]);
    expect(inlines(s, [key('F1', 'fresh')], s.currentEpoch())).toEqual(['F1:fresh']);
    expect(() => s.dependents('m', 'F1')).not.toThrow();
  }

  test('a damaged payload byte is a miss (checksum), the rest still hits', () => {
    const dir = populated();
    const buf = fs.readFileSync(file(dir));
    const at = buf.indexOf('MARK-01234-');
    expect(at).toBeGreaterThan(0);
    buf[at + 20] ^= 0x01; // 'z' -> '{' inside the JSON string: still well-formed to SQLite
    fs.writeFileSync(file(dir), buf);
    const s = track(openSqliteLedger(dir));
    expect(s.name).toBe('sqlite');
    expect(readBack(s)).toBe(N - 1);
    expect(s.getMany([key('F1', 'k1234')], 0)).toEqual([undefined]);
    expect(warnings).toHaveLength(1);
    stillWorks(s);
  });

  test('bytes flipped in the middle of the file: never throws, never wrong code', () => {
    const dir = populated();
    const buf = fs.readFileSync(file(dir));
    const mid = Math.floor(buf.length / 2);
    for (let i = 0; i < 512; i++) buf[mid + i] ^= 0x5a;
    fs.writeFileSync(file(dir), buf);
    let s!: Ledger;
    expect(() => (s = track(openSqliteLedger(dir)))).not.toThrow();
    const hits = readBack(s);
    // Depending on what the bytes hit: a few checksum misses, or the whole file moved aside.
    expect(hits).toBeLessThan(N);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(2);
    stillWorks(s);
  });

  test('a truncated file is moved aside and replaced', () => {
    const dir = populated();
    fs.truncateSync(file(dir), Math.floor(fs.statSync(file(dir)).size / 2));
    const s = track(openSqliteLedger(dir));
    expect(readBack(s)).toBe(0);
    expect(corruptFiles(dir)).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/moved it aside to .*store\.sqlite\.corrupt-/);
    stillWorks(s);
    expect(s.name).toBe('sqlite');
  });

  test('garbage over the header: the file is moved aside and a fresh store works', () => {
    const dir = populated();
    const fd = fs.openSync(file(dir), 'r+');
    fs.writeSync(fd, Buffer.from('this is not an SQLite header, just garbage bytes!!'), 0, 50, 0);
    fs.closeSync(fd);
    const s = track(openSqliteLedger(dir));
    expect(s.name).toBe('sqlite');
    expect(readBack(s)).toBe(0);
    expect(corruptFiles(dir)).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/not a database/);
    stillWorks(s);
    // The next process opens the fresh store without complaint.
    disposeSession();
    const again = track(openSqliteLedger(dir));
    expect(inlines(again, [key('F1', 'fresh')], again.currentEpoch())).toEqual(['F1:fresh']);
    expect(warnings).toHaveLength(1);
  });

  test('corruption found mid-use: one warning, the file moved aside, memory from then on', () => {
    const dir = populated();
    const s = openSqliteLedger(dir) as SqliteLedger;
    track(s);
    s.registerDefinition('m', 'F1');
    // Make the connection read pages from disk again, then damage everything past the header page.
    (s as unknown as { connection: { conn: { db: SqliteDatabase } } }).connection.conn.db.pragma('cache_size = 0');
    const size = fs.statSync(file(dir)).size;
    const fd = fs.openSync(file(dir), 'r+');
    fs.writeSync(fd, Buffer.alloc(size - 8192, 0xa5), 0, size - 8192, 8192);
    fs.closeSync(fd);
    expect(readBack(s)).toBe(0);
    expect(s.degraded).toBe(true);
    expect(corruptFiles(dir)).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/damaged .*SQLITE_CORRUPT/);
    expect(s.currentEpoch()).toBe(0);
    stillWorks(s);
    expect(warnings).toHaveLength(1);
    // A new process starts from a fresh file.
    const next = track(openSqliteLedger(dir));
    expect(next.name).toBe('sqlite');
    expect(readBack(next)).toBe(0);
  });

  test.each([
    ['a path under a regular file (ENOTDIR)', () => {
      const f = path.join(tmpRoot, `plain-file-${++dirCount}`);
      fs.writeFileSync(f, 'x');
      return path.join(f, 'cache');
    }],
    ['a path under /proc', () => `/proc/self/cached-macros-${++dirCount}`],
  ])('an unusable directory (%s) gives a memory store and one warning', (_what, makeDir) => {
    const dir = makeDir();
    const s = track(openSqliteLedger(dir));
    expect(s).toBeInstanceOf(MemoryLedger);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot use the macro cache .*memory only/);
    stillWorks(s);
    // The build as a whole: openStore degrades the same way, without another warning.
    const viaOpen = openLedger({ kind: 'fs', cacheDir: dir });
    expect(viaOpen).toBeInstanceOf(MemoryLedger);
    expect(warnings).toHaveLength(1);
  });

  test('a read-only cache directory gives a memory store and one warning', async () => {
    const dir = populated();
    fs.chmodSync(file(dir), 0o444);
    fs.chmodSync(dir, 0o555);
    try {
      // root writes through permissions: run the reader as an unprivileged user instead.
      const c = await reachableByNobody([path.resolve(__dirname, '..'), dir], async () => {
        const reader = child([dir, 'readonly'], unprivileged());
        await reader.exited;
        return reader;
      });
      expect(await c.exited).toBe(0);
      expect(JSON.parse(c.lines[0])).toEqual({ name: 'memory', read: [false], wrote: 'n' });
      expect(c.stderr.match(/\[cached-macros\] warning:/g)).toHaveLength(1);
      expect(c.stderr).toMatch(/cannot use the macro cache .*(READONLY|EACCES|CANTOPEN)/);
    } finally {
      fs.chmodSync(dir, 0o755);
    }
  });
});

describe('SQLite driver', () => {
  test("node:sqlite where Node has it unflagged (22.13+), else better-sqlite3; the store's error codes either way", () => {
    const [major, minor] = process.versions.node.split('.').map(Number);
    expect(driverName()).toBe(major > 22 || (major === 22 && minor >= 13) ? 'node:sqlite' : 'better-sqlite3');
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'not-a-db.sqlite');
    fs.writeFileSync(file, 'x'.repeat(4096));
    const db = openDatabase(file, { timeout: 100 });
    try {
      let code: string | undefined;
      try {
        db.pragma('journal_mode = WAL');
      } catch (e) {
        code = (e as { code?: string }).code;
      }
      expect(code).toBe('SQLITE_NOTADB');
    } finally {
      db.close();
    }
  });

  test('transactions commit, roll back on a throw, and nest', () => {
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    const db = openDatabase(path.join(dir, 't.sqlite'), { timeout: 1000 });
    try {
      db.exec('CREATE TABLE t (v INTEGER)');
      const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
      const count = db.prepare('SELECT COUNT(*) FROM t').pluck();
      db.transaction(() => insert.run(1)).immediate();
      expect(() => db.transaction(() => (insert.run(2), fail()))()).toThrow('boom');
      db.transaction(() => {
        insert.run(3);
        expect(() => db.transaction(() => (insert.run(4), fail()))()).toThrow('boom');
      }).immediate();
      expect(count.get()).toBe(2);
      expect(db.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual([1, 3]);
    } finally {
      db.close();
    }
    function fail(): never {
      throw new Error('boom');
    }
  });
});
