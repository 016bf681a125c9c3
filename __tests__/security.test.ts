/**
 * Issue #12, security: weak keys refused, Ed25519 signing (CI writes, laptops read), keyed
 * environment digests, a CLI that never loads code named by the store, signed local stores, and
 * the error messages of two faults (Redis authentication, a throwing `inline` getter).
 * Remote tests use a real redis-server; builds run through the compiled plugin in dist/ (build
 * first: `npx tsc -p .`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resetWarnings } from '../src/log';
import { resolveOptions, REMOTE_KEY_ENV } from '../src/options';
import { closeAllStores } from '../src/store';
import { RemoteTier } from '../src/store/remote';
import { expand } from '../src/testing';
import { stripAnsi } from './helpers/ansi';
import { startRedis, type RedisServer } from './helpers/redis-server';

jest.setTimeout(60_000);

const DIST = path.resolve(__dirname, '..', 'dist', 'index.js');
const KEY = 'k'.repeat(32);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-security-'));

afterAll(() => {
  closeAllStores();
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
    closeAllStores();
    await server?.kill();
  });

  test.each([
    ['no password', (port: number) => `redis://127.0.0.1:${port}`],
    ['a wrong password', (port: number) => `redis://:wrong@127.0.0.1:${port}`],
  ])('with %s: the warning says authentication failed (not "Connection is closed")', (_what, url) => {
    resetWarnings();
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
