/**
 * The generator watchdog's heartbeat (src/generate/watchdog.ts): the worker reads a shared
 * buffer the main thread writes around each run. Warnings go to file descriptor 2 from the
 * worker, so the runs that should warn happen in a child process using dist/ (build first:
 * `npx tsc -p .`); the worker's lifecycle is checked in this process. The end-to-end warning of
 * a stuck build (macro, signature, call site) is in faults.test.ts.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { disposeSession, session } from '../src/build/session';
import { MESSAGE_BYTES, MAX_DEPTH, watched } from '../src/generate/watchdog';

jest.setTimeout(60_000);

const WATCHDOG = path.resolve(__dirname, '..', 'dist', 'generate', 'watchdog.js');

/** Runs `body` in a fresh process with `watched` and `busy(ms)` in scope; its stderr. */
function child(body: string): string {
  const script = `
const { watched } = require(${JSON.stringify(WATCHDOG)});
const busy = (ms) => { const end = Date.now() + ms; while (Date.now() < end); };
${body}
`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status).toBe(0);
  return r.stderr;
}

describe('the heartbeat, in a real process', () => {
  test('a stuck run is named once, even after many fast runs that were not', () => {
    const stderr = child(`
for (let i = 0; i < 100000; i++) watched(200, () => 'fast ' + i + '\\n', () => i);
watched(200, () => 'stuck run\\n', () => busy(900));
for (let i = 0; i < 1000; i++) watched(200, () => 'fast again ' + i + '\\n', () => i);
`);
    expect(stderr).toBe('stuck run\n');
  });

  test('a long message is cut at a character boundary and ends with an ellipsis; the next frame is intact', () => {
    // Multi-byte characters, so a cut in the middle of one would show as invalid UTF-8.
    const long = 'é€😀'.repeat(1000);
    const stderr = child(`
watched(150, () => 'outer\\n', () => {
  watched(150, () => ${JSON.stringify(long)} + '\\n', () => busy(700));
});
`);
    const lines = stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines).toContain('outer');
    const inner = lines.find((l) => l !== 'outer')!;
    expect(Buffer.byteLength(inner + '\n')).toBeLessThanOrEqual(MESSAGE_BYTES);
    expect(Buffer.byteLength(inner + '\n')).toBeGreaterThan(MESSAGE_BYTES - 8);
    expect(inner.endsWith('…')).toBe(true);
    expect(long.startsWith(inner.slice(0, -1))).toBe(true);
    expect(inner).not.toContain('\uFFFD');
  });

  test('nested runs: each stuck level is named once, deeper levels than the buffer holds run unwatched, and the outer run stays watched after them', () => {
    const stderr = child(`
const nest = (level) => watched(150, () => 'level ' + level + '\\n', () => {
  if (level < ${MAX_DEPTH + 2}) return nest(level + 1);
  busy(600);
});
watched(150, () => 'outer\\n', () => {
  nest(1);
  busy(50); // back in the outer run, whose frame must still be watched (it already warned)
});
watched(150, () => 'after\\n', () => busy(600));
`);
    const lines = stderr.split('\n').filter(Boolean).sort();
    // The outer run is level 0; levels 1 .. MAX_DEPTH - 1 have frames; deeper ones do not.
    const watchedLevels = Array.from({ length: MAX_DEPTH - 1 }, (_, i) => `level ${i + 1}`);
    expect(lines).toEqual(['after', ...watchedLevels, 'outer'].sort());
  });

  test('a throwing run frees its frame: after more throws than frames, a stuck run is still named', () => {
    const stderr = child(`
for (let i = 0; i < ${MAX_DEPTH * 2}; i++) {
  try { watched(150, () => 'threw\\n', () => { throw new Error('boom'); }); } catch (e) { if (e.message !== 'boom') throw e; }
}
watched(150, () => 'stuck\\n', () => busy(600));
`);
    expect(stderr).toBe('stuck\n');
  });

  test('a lower threshold than the first one is honoured (the worker polls faster)', () => {
    const stderr = child(`
watched(60000, () => 'never\\n', () => 0);
watched(100, () => 'quick\\n', () => busy(1500));
`);
    expect(stderr).toBe('quick\n');
  });
});

describe("the worker's lifecycle", () => {
  afterEach(() => disposeSession());

  test('no worker before the first watched run, none for a run without a threshold; dispose() stops it and the next session starts its own', async () => {
    disposeSession();
    expect(session().watchdog).toBeUndefined();
    expect(watched(null, () => 'x', () => 1)).toBe(1);
    expect(session().watchdog).toBeUndefined();

    expect(watched(10_000, () => 'x', () => 2)).toBe(2);
    const first = session().watchdog;
    expect(first).toBeTruthy();
    const exited = new Promise<number>((resolve) => first!.worker.once('exit', resolve));
    disposeSession();
    await exited; // the thread is gone, not only forgotten
    expect(first!.worker.threadId).toBe(-1);

    watched(10_000, () => 'x', () => 3);
    const second = session().watchdog;
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);
  });
});
