// Test driver: one Metro start (a new process, as a user's `metro build`), bundling <root>/main.js
// with the babel transformer at <transformer> and Metro's file cache in <metroCache>.
//   node metro-driver.js <root> <transformer> <metroCache>   → one JSON line { code }
const fs = require('fs');
const path = require('path');
const Metro = require('metro');
const { getDefaultConfig, mergeConfig } = require('metro-config');
const { FileStore } = require('metro-cache');

async function main() {
  const [root, transformer, metroCache] = process.argv.slice(2);
  process.chdir(root);
  const out = path.join(root, 'bundle.js');
  const config = mergeConfig(await getDefaultConfig(root), {
    projectRoot: root,
    // Metro prepends its require polyfill from metro-runtime, outside the project.
    watchFolders: [root, path.dirname(require.resolve('metro-runtime/package.json'))],
    maxWorkers: 1,
    cacheStores: [new FileStore({ root: metroCache })],
    resolver: { useWatchman: false },
    transformer: { babelTransformerPath: transformer, asyncRequireModulePath: require.resolve('metro-runtime/src/modules/asyncRequire') },
    reporter: { update() {} },
  });
  await Metro.runBuild(config, { entry: './main.js', out, platform: 'ios', dev: false, minify: false });
  process.stdout.write(JSON.stringify({ code: fs.readFileSync(out, 'utf8') }) + '\n');
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(String((e && e.stack) || e) + '\n');
    process.exit(1);
  },
);
