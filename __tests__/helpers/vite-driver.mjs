// Test driver: runs real Vite with vite-plugin-babel (running the Babel plugin) and, unless
// "--no-watch-plugin", babel-plugin-cached-macros/vite, in a separate process.
//   node vite-driver.mjs build <root> <cacheDir> [--no-watch-plugin]  → one JSON line { code }
//   node vite-driver.mjs watch <root> <cacheDir> [--no-watch-plugin]  → one JSON line { code } per (re)build
//   node vite-driver.mjs dev <root> <cacheDir> [--no-watch-plugin]    → { code } for /main.js; then for each stdin
//       line: waits (10 s at most) for main.js to be invalidated, prints { invalidated, code }
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build, createServer } from 'vite';
import babel from 'vite-plugin-babel';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../../dist');
const [mode, root, cacheDir, flag] = process.argv.slice(2);
const options = { cacheDir };
const { default: cachedMacros } = await import(path.join(dist, 'vite.js')); // as a user's ESM vite.config.js imports it
const plugins = [
  babel({ babelConfig: { babelrc: false, configFile: false, plugins: [[path.join(dist, 'index.js'), options]] } }),
  ...(flag === '--no-watch-plugin' ? [] : [cachedMacros(options)]),
];
const outDir = path.join(root, 'dist');
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const config = {
  root,
  configFile: false,
  logLevel: 'silent',
  plugins,
  build: { outDir, emptyOutDir: true, minify: false, rollupOptions: { input: path.join(root, 'main.js'), output: { entryFileNames: 'out.js' } } },
};
const output = () => fs.readFileSync(path.join(outDir, 'out.js'), 'utf8');

if (mode === 'build') {
  await build(config);
  print({ code: output() });
} else if (mode === 'watch') {
  const watcher = await build({ ...config, build: { ...config.build, watch: {} } });
  watcher.on('event', (e) => {
    if (e.result) e.result.close?.();
    if (e.code === 'END') print({ code: output() });
    if (e.code === 'ERROR') print({ error: String(e.error?.message) });
  });
} else if (mode === 'dev') {
  const server = await createServer({ ...config, server: { middlewareMode: true, ws: false } });
  const main = path.join(root, 'main.js');
  print({ code: (await server.transformRequest('/main.js')).code });
  for await (const _line of readline.createInterface({ input: process.stdin })) {
    let invalidated = false;
    for (let waited = 0; waited < 10_000 && !invalidated; waited += 50) {
      const mod = [...(server.moduleGraph.getModulesByFile(main) ?? [])][0];
      invalidated = !mod || mod.transformResult === null;
      if (!invalidated) await new Promise((r) => setTimeout(r, 50));
    }
    print({ invalidated, code: (await server.transformRequest('/main.js')).code });
  }
  await server.close();
}
