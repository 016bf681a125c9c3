/**
 * Issue #12, security: weak keys refused, Ed25519 signing (CI writes, laptops read), keyed
 * environment digests, a CLI that never loads code named by the store, signed local stores, and
 * the error messages of two faults (Redis authentication, a throwing `inline` getter).
 * Remote tests use a real redis-server; builds run through the compiled plugin in dist/ (build
 * first: `npx tsc -p .`).
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { disposeSession } from '../src/build/session';
import { resolveOptions, REMOTE_KEY_ENV } from '../src/build/options';
import { encodePayload } from '../src/store/checksum';
import { RemoteTier } from '../src/store/remote';
import { expand } from '../src/testing';
import { stripAnsi } from './helpers/ansi';
import { startRedis, type RedisServer } from './helpers/redis-server';

jest.setTimeout(60_000);

const DIST = path.resolve(__dirname, '..', 'dist', 'index.js');
const KEY = 'k'.repeat(32);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-security-'));

afterAll(() => {
  disposeSession();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Runs `fn` with stderr captured; returns what it wrote. */
function captureStderr(fn: () => void): string {
  let out = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('weak HMAC keys', () => {
  const opts = (remote: Record<string, unknown>) => () => resolveOptions({ remote: { url: 'redis://h', ...remote } }, root);

  test('a signing key under 32 bytes is refused with an error naming the option, never echoing the key', () => {
    expect(opts({ signingKey: 'abc' })).toThrow(/option "remote.signingKey" must be at least 32 bytes \(got 3\)/);
    expect(opts({ signingKey: 'abc' })).not.toThrow(/abc/);
    expect(opts({ signingKey: 'é'.repeat(16) })).not.toThrow(); // 32 bytes of UTF-8
    expect(opts({ signingKey: KEY })).not.toThrow();
  });

  test('a short key from the environment is refused too, naming the variable', () => {
    const saved = process.env[REMOTE_KEY_ENV];
    process.env[REMOTE_KEY_ENV] = 'short-key';
    try {
      expect(opts({})).toThrow(new RegExp(`environment variable ${REMOTE_KEY_ENV} must be at least 32 bytes`));
    } finally {
      if (saved === undefined) delete process.env[REMOTE_KEY_ENV];
      else process.env[REMOTE_KEY_ENV] = saved;
    }
  });
});

describe('a Redis server that requires a password', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis('correct-horse-battery-staple');
  });
  afterAll(async () => {
    disposeSession();
    await server?.kill();
  });

  test.each([
    ['no password', (port: number) => `redis://127.0.0.1:${port}`],
    ['a wrong password', (port: number) => `redis://:wrong@127.0.0.1:${port}`],
  ])('with %s: the warning says authentication failed (not "Connection is closed")', (_what, url) => {
    disposeSession();
    const options = resolveOptions({ remote: { url: url(server.port), signingKey: KEY } }, root).remote;
    const tier = new RemoteTier(options!);
    const stderr = captureStderr(() => {
      expect(tier.getMany([{ macroId: 'm#default', fingerprint: 'f', sigKey: '(1)' }])).toEqual([undefined]);
    });
    expect(stderr).toMatch(/warning: the remote cache redis:\/\/.* is unavailable \(could not read 1 entry: authentication failed/);
    expect(stderr).not.toContain('wrong');
    tier.close();
  });
});

describe('a generator whose `inline` getter throws', () => {
  test('is an error with a code frame naming the macro and the signature', () => {
    const dir = path.join(root, 'getter');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'getter.macro.js'),
      `const { Generator } = require(${JSON.stringify(DIST)});
module.exports = class G extends Generator { generate() { return { get inline() { throw new Error('no inline today'); } }; } };\n`,
    );
    let error: Error | undefined;
    try {
      expand(`import getter from './getter.macro';\nexport const v = getter(7);\n`, { filename: path.join(dir, 'input.js') });
    } catch (e) {
      error = e as Error;
    }
    const message = stripAnsi(error?.message ?? '');
    expect(message).toMatch(/The macro getter threw while generating the signature \(7\): no inline today/);
    expect(message).toContain('> 2 | export const v = getter(7);');
  });
});

describe('cached-macros verify on a tampered store', () => {
  const CLI = path.resolve(__dirname, '..', 'dist', 'cli', 'index.js');
  const ROOT = path.resolve(__dirname, '..');

  test('never loads a path read out of the store: macros resolve from the project only', () => {
    const project = path.join(root, 'verify-project');
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(project, rel)), { recursive: true });
      fs.writeFileSync(path.join(project, rel), text);
    };
    write('package.json', JSON.stringify({ name: 'sec-fixture', version: '1.0.0', private: true }));
    fs.mkdirSync(path.join(project, 'node_modules'), { recursive: true });
    fs.symlinkSync(ROOT, path.join(project, 'node_modules', 'babel-plugin-cached-macros'), 'dir');
    write(
      'macros/pure.macro.js',
      "const { CachedGenerator } = require('babel-plugin-cached-macros');\nmodule.exports = class extends CachedGenerator { generate(sig) { return { inline: JSON.stringify(sig.key) }; } };\n",
    );
    const cacheDir = path.join(project, 'node_modules', '.cache', 'cached-macros');
    // Seeded with the compiled plugin the CLI runs: the plugin's code is part of every key.
    const dist = require('../dist/testing') as typeof import('../src/testing');
    const distSession = require('../dist/build/session') as typeof import('../src/build/session');
    const cwd = process.cwd();
    process.chdir(project);
    try {
      dist.expand(`import pure from './macros/pure.macro';\nexport const v = [pure(1), pure(2)];\n`, {
        filename: path.join(project, 'a.js'),
        pluginOptions: { store: 'fs', cacheDir },
      });
    } finally {
      process.chdir(cwd);
      distSession.disposeSession();
    }
    // The attacker's file: running it leaves a marker.
    const marker = path.join(root, 'pwned');
    const evil = path.join(root, 'evil', 'evil.macro.js');
    fs.mkdirSync(path.dirname(evil), { recursive: true });
    fs.writeFileSync(evil, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\nmodule.exports = class {};\n`);
    const verify = () => spawnSync(process.execPath, [CLI, 'verify', '--json'], { cwd: project, encoding: 'utf8' });

    // Untampered: verified through normal resolution.
    const ok = verify();
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).totals).toMatchObject({ ok: 2, error: 0 });

    // 1. The definition's recorded files point at the attacker's file.
    const db = new Database(path.join(cacheDir, 'store.sqlite'));
    db.prepare('UPDATE definitions SET files = ?').run(JSON.stringify([evil]));
    const r1 = verify();
    expect(fs.existsSync(marker)).toBe(false);
    expect(r1.status).toBe(0);
    expect(JSON.parse(r1.stdout).totals).toMatchObject({ ok: 2 });

    // 2. The macro id itself climbs out of the project (ids are package-relative paths).
    const rel = path.relative(project, evil).split(path.sep).join('/');
    db.prepare('UPDATE definitions SET macro_id = ?').run(`sec-fixture/${rel}#default`);
    // Re-checksummed, as an attacker with write access would (the local checksum is unkeyed).
    const rows = db.prepare('SELECT id, fingerprint, sig_key, payload FROM entries').all() as Array<{ id: number; fingerprint: string; sig_key: string; payload: string }>;
    for (const row of rows) {
      const { e, d } = JSON.parse(row.payload);
      const enc = encodePayload({ macroId: `sec-fixture/${rel}#default`, fingerprint: row.fingerprint, sigKey: row.sig_key }, e, d);
      db.prepare('UPDATE entries SET macro_id = ?, payload = ?, checksum = ? WHERE id = ?').run(`sec-fixture/${rel}#default`, enc.payload, enc.checksum, row.id);
    }
    db.close();
    const r2 = verify();
    expect(fs.existsSync(marker)).toBe(false);
    expect(JSON.parse(r2.stdout).totals).toMatchObject({ ok: 0, skipped: 2 });
  });
});

describe('environment values are never stored or published as unkeyed digests', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    disposeSession();
    await server?.kill();
  });

  test('local store and Redis hold only keyed digests; the local key file is 0600; warm hits and invalidation still work', async () => {
    const dir = path.join(root, 'env');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'env.macro.js'),
      `const { CachedGenerator } = require(${JSON.stringify(DIST)});
module.exports = class E extends CachedGenerator { generate(sig, ctx) { return { inline: JSON.stringify(String(ctx.env('CM_SECRET_TOKEN')).length + sig.key) }; } };\n`,
    );
    const code = `import e from './env.macro';\nexport const v = e(1);\n`;
    const filename = path.join(dir, 'input.js');
    const secret = 'npm_0123456789abcdefghijklmnopqrstuvwxyz';
    const unkeyed = (v: string) => createHash('sha256').update(`=${v}`).digest('hex').slice(0, 32);
    const run = (cacheDir: string, extra: Record<string, unknown> = {}) => {
      const r = expand(code, { filename, pluginOptions: { store: 'fs', cacheDir, ...extra } });
      return { code: r.code, generated: Object.values(r.report?.macros ?? {}).reduce((n, m) => n + m.generated, 0) };
    };
    const saved = process.env.CM_SECRET_TOKEN;
    process.env.CM_SECRET_TOKEN = secret;
    try {
      const local = path.join(dir, 'cache');
      expect(run(local).generated).toBe(1);
      disposeSession();
      expect(run(local).generated).toBe(0); // a warm build still hits
      const files = fs.readdirSync(local, { recursive: true, encoding: 'utf8' }).map((f) => path.join(local, f));
      const bytes = files.filter((f) => fs.statSync(f).isFile()).map((f) => fs.readFileSync(f).toString('latin1')).join('');
      expect(bytes).not.toContain(unkeyed(secret));
      expect(bytes).not.toContain(secret);
      const keyFile = path.join(local, 'env-digest.key');
      expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
      process.env.CM_SECRET_TOKEN = `${secret}-rotated`;
      disposeSession();
      expect(run(local).generated).toBe(1); // a changed value still invalidates

      const remote = { url: server.url, namespace: 'env', signingKey: KEY };
      expect(run(path.join(dir, 'cache-a'), { remote }).generated).toBe(1);
      disposeSession();
      const redis = server.client();
      const keys = await redis.keys('*');
      expect(keys.length).toBeGreaterThan(0);
      const values = (await redis.mget(...keys)).join('\n');
      expect(values).not.toContain(unkeyed(`${secret}-rotated`));
      expect(values).not.toContain(secret);
      // Another machine sharing the key reads it (the remote digest is keyed by the shared secret).
      expect(run(path.join(dir, 'cache-b'), { remote }).generated).toBe(0);
    } finally {
      disposeSession();
      if (saved === undefined) delete process.env.CM_SECRET_TOKEN;
      else process.env.CM_SECRET_TOKEN = saved;
    }
  });
});

describe('Ed25519 signing: CI writes, laptops only read', () => {
  let server: RedisServer;
  const ci = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const pem = (k: KeyObject, type: 'spki' | 'pkcs8') => k.export({ format: 'pem', type }) as string;
  const publicKeys = [pem(ci.publicKey, 'spki')];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    disposeSession();
    await server?.kill();
  });

  test('options: keys are validated, naming the option; a public key alone means read-only', () => {
    const opts = (remote: Record<string, unknown>) => () => resolveOptions({ remote: { url: 'redis://h', ...remote } }, root);
    expect(opts({ publicKeys: ['not a key'] })).toThrow(/option "remote.publicKeys\[0\]" must be an Ed25519 public key \(PEM\)/);
    expect(opts({ publicKeys, privateKey: pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'pkcs8') })).toThrow(
      /option "remote.privateKey" must be an Ed25519 private key \(PEM\)/,
    );
    expect(opts({ publicKeys, signingKey: KEY })).toThrow(/"remote.signingKey" and "remote.publicKeys" cannot be combined/);
    expect(resolveOptions({ remote: { url: 'redis://h', publicKeys } }, root).remote).toMatchObject({ readOnly: true, signingKey: '' });
    expect(resolveOptions({ remote: { url: 'redis://h', publicKeys, privateKey: pem(ci.privateKey, 'pkcs8') } }, root).remote).toMatchObject({ readOnly: false });
  });

  test('a laptop with the public key reads CI entries and cannot write; entries signed by an unknown key or with HMAC are misses', async () => {
    const dir = path.join(root, 'ed');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'ed.macro.js'),
      `const { CachedGenerator } = require(${JSON.stringify(DIST)});
module.exports = class Ed extends CachedGenerator { generate(sig) { return { inline: JSON.stringify('gen' + sig.key) }; } };\n`,
    );
    const filename = path.join(dir, 'input.js');
    const run = (cacheDir: string, remote: Record<string, unknown>, code = `import ed from './ed.macro';\nexport const v = [ed(1), ed(2)];\n`) => {
      disposeSession();
      let r: ReturnType<typeof expand> | undefined;
      const stderr = captureStderr(() => {
        r = expand(code, { filename, pluginOptions: { store: 'fs', cacheDir: path.join(dir, cacheDir), remote: { url: server.url, namespace: 'ed', ...remote } } });
      });
      disposeSession();
      return { code: r!.code, stderr, remote: r!.report?.remote, generated: Object.values(r!.report?.macros ?? {}).reduce((n, m) => n + m.generated, 0) };
    };
    const redis = server.client();
    const ciRun = run('ci', { publicKeys, privateKey: pem(ci.privateKey, 'pkcs8') });
    expect(ciRun.generated).toBe(2);
    const keys = (await redis.keys('*')).sort();
    expect(keys).toHaveLength(2);
    expect((await redis.get(keys[0]))?.slice(0, 4)).toBe('cm2 ');

    const laptop = run('laptop', { publicKeys });
    expect(laptop.generated).toBe(0);
    expect(laptop.code).toBe(ciRun.code);
    // A laptop's own new signature is generated but never written: it holds no private key.
    const own = run('laptop', { publicKeys }, `import ed from './ed.macro';\nexport const v = ed(3);\n`);
    expect(own.generated).toBe(1);
    expect(own.remote?.written).toBe(0);
    expect(await redis.keys('*')).toHaveLength(2);

    // An attacker with another Ed25519 key, and one with an HMAC key, overwrite the entries.
    const stolen = await redis.mget(...keys);
    const attackerRun = run('attacker', { publicKeys: [pem(other.publicKey, 'spki')], privateKey: pem(other.privateKey, 'pkcs8') });
    expect(attackerRun.remote?.written).toBe(2); // overwritten with entries signed by an unknown key
    const victim = run('victim', { publicKeys });
    expect(victim.generated).toBe(2);
    expect(victim.remote?.rejected).toBe(2);
    expect(victim.stderr).toMatch(/held entries that failed verification/);
    run('hmac', { signingKey: KEY });
    expect(run('victim2', { publicKeys }).remote?.rejected).toBe(2);
    // Rotation: the old CI entries verify again once restored, under a second trusted key too.
    await redis.mset(...keys.flatMap((k, i) => [k, stolen[i] as string]));
    expect(run('rotated', { publicKeys: [pem(other.publicKey, 'spki'), ...publicKeys] }).generated).toBe(0);
  });
});

describe('remote.signLocal: a local store restored from an untrusted job is verified', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    disposeSession();
    await server?.kill();
  });

  test('a row tampered with (re-checksummed without the key) is a miss; untouched rows are hits', () => {
    const dir = path.join(root, 'signlocal');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'sl.macro.js'),
      `const { CachedGenerator } = require(${JSON.stringify(DIST)});
module.exports = class Sl extends CachedGenerator { generate(sig) { return { inline: JSON.stringify('gen' + sig.key) }; } };\n`,
    );
    const code = `import sl from './sl.macro';\nexport const v = [sl(1), sl(2)];\n`;
    const filename = path.join(dir, 'input.js');
    const run = (cacheDir: string, namespace: string, signLocal: boolean) => {
      const r = expand(code, {
        filename,
        pluginOptions: { store: 'fs', cacheDir: path.join(dir, cacheDir), remote: { url: server.url, namespace, signingKey: KEY, signLocal } },
      });
      disposeSession();
      return { code: r.code, generated: Object.values(r.report?.macros ?? {}).reduce((n, m) => n + m.generated, 0) };
    };
    const clean = run('ci', 'job-a', true);
    expect(clean.generated).toBe(2);
    // The cache of another job, restored here, with one row replaced by an attacker without the key.
    const tamper = (target: string) => {
      fs.cpSync(path.join(dir, 'ci'), path.join(dir, target), { recursive: true });
      const db = new Database(path.join(dir, target, 'store.sqlite'));
      const row = db.prepare("SELECT id, macro_id, fingerprint, sig_key FROM entries WHERE sig_key = '(1)'").get() as { id: number; macro_id: string; fingerprint: string; sig_key: string };
      const enc = encodePayload({ macroId: row.macro_id, fingerprint: row.fingerprint, sigKey: row.sig_key }, { hoist: null, inline: '"EVIL"', helpers: [] }, []);
      db.prepare('UPDATE entries SET payload = ?, checksum = ? WHERE id = ?').run(enc.payload, enc.checksum, row.id);
      db.close();
    };
    tamper('restored-unsigned');
    // The threat: an unsigned local store serves the planted code.
    expect(run('restored-unsigned', 'job-b', false).code).toContain('"EVIL"');
    tamper('restored-signed');
    const verified = run('restored-signed', 'job-c', true);
    expect(verified.code).toBe(clean.code);
    expect(verified.generated).toBe(1);
  });
});
