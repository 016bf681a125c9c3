/**
 * babel-plugin-cached-macros/vite with real Vite 8 and vite-plugin-babel, in child processes
 * (__tests__/helpers/vite-driver.mjs; Vite is an ES module). Needs `npx tsc -p .` first.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import readline from 'readline';
import { projectFiles } from './helpers/temp-project';

const DRIVER = path.join(__dirname, 'helpers', 'vite-driver.mjs');
const PLUGIN = JSON.stringify(path.resolve(__dirname, '..', 'dist', 'index.js'));
// Several bundler starts per test, on a shared 2-core machine.
jest.setTimeout(180_000);

let dir = '';
const { write, edit } = projectFiles(() => dir);

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-vite-')));
  write('data/msg.txt', 'hello');
  write(
    'macros/message.macro.js',
    `const { CachedGenerator } = require(${PLUGIN});
module.exports = class Message extends CachedGenerator {
  generate(sig, ctx) { return { inline: JSON.stringify(ctx.readFile('../data/msg.txt').trim() + ' v1') }; }
};
`,
  );
  write('main.js', `import message from './macros/message.macro';\nexport const text = message();\nconsole.log(text);\n`);
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A clean `vite build`: fresh process, empty cache directory. */
function cleanBuild(): string {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-vite-clean-'));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-vite-root-'));
  try {
    for (const rel of ['data/msg.txt', 'macros/message.macro.js', 'main.js']) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.copyFileSync(path.join(dir, rel), path.join(root, rel));
    }
    const r = spawnSync(process.execPath, [DRIVER, 'build', root, cacheDir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return (JSON.parse(r.stdout) as { code: string }).code;
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function driver(mode: 'watch' | 'dev', ...flags: string[]) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [DRIVER, mode, dir, path.join(dir, '.cache'), ...flags]);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    /** The next line the driver prints, or null after `ms` without one. */
    async next(ms = 20_000): Promise<{ code?: string; invalidated?: boolean; error?: string } | null> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
      const line = await Promise.race([lines.next().then((l) => (l.done ? null : (l.value as string))), timeout]);
      clearTimeout(timer);
      if (line === null) return null;
      return JSON.parse(line);
    },
    send: () => child.stdin.write('next\n'),
    stderr: () => stderr,
    stop: () => child.kill(),
  };
}

/** The string the macro expanded to, as bundled (the build inlines `text` into the log call; the dev server keeps it). */
const textOf = (code: string | undefined) => /(?:console\.log\(|const text = )(".*?")/.exec(code ?? '')?.[1];

describe('vite build --watch', () => {
  it('rebuilds the importing module when a file the macro read changes, to the clean-build output', async () => {
    const watch = driver('watch');
    try {
      const first = await watch.next(60_000);
      expect(textOf(first?.code)).toBe('"hello v1"');
      expect(first?.code).toBe(cleanBuild());
      edit('data/msg.txt', 'hello', 'bonjour');
      const second = await watch.next();
      expect(second).not.toBeNull();
      expect(textOf(second?.code)).toBe('"bonjour v1"');
      expect(second?.code).toBe(cleanBuild());
      edit('macros/message.macro.js', "' v1'", "' v2'");
      const third = await watch.next();
      expect(textOf(third?.code)).toBe('"bonjour v2"');
      expect(third?.code).toBe(cleanBuild());
    } finally {
      watch.stop();
    }
  });

  it('without the plugin, the bridge alone does not rebuild (why the plugin exists)', async () => {
    const watch = driver('watch', '--no-watch-plugin');
    try {
      expect(textOf((await watch.next(60_000))?.code)).toBe('"hello v1"');
      edit('data/msg.txt', 'hello', 'bonjour');
      expect(await watch.next(4000)).toBeNull();
    } finally {
      watch.stop();
    }
  });
});

describe('vite dev server', () => {
  it('invalidates the importing module in the module graph when a file the macro read changes', async () => {
    const dev = driver('dev');
    try {
      expect(textOf((await dev.next(60_000))?.code)).toBe('"hello v1"');
      edit('data/msg.txt', 'hello', 'bonjour');
      dev.send();
      const after = await dev.next();
      expect(after?.invalidated).toBe(true);
      expect(textOf(after?.code)).toBe('"bonjour v1"');
    } finally {
      dev.stop();
    }
  });
});
