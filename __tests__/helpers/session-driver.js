/**
 * One process, two builds of the same file with the session disposed after each: what
 * __tests__/session.test.ts checks about `dispose()` (its argv: the project folder, the cache
 * folder, then `edit` to change the macro between the builds, `same` to change nothing, or `clean` for one build only).
 * Prints one JSON line; the process must then exit on its own.
 */
const fs = require('fs');
const Module = require('module');
const path = require('path');
const babel = require('@babel/core');
const DIST = path.resolve(__dirname, '..', '..', 'dist');
const plugin = require(DIST).default;
const { disposeSession } = require(path.join(DIST, 'build', 'session.js'));

const [dir, cacheDir, mode] = process.argv.slice(2);
const filename = path.join(dir, 'input.js');
const macroFile = path.join(dir, 'macros', 'tag.macro.js');
const code = fs.readFileSync(filename, 'utf8');

// The pipes of stdout and stderr, opened on first use, are not the plugin's.
void process.stdout, void process.stderr;
const baseline = process.getActiveResourcesInfo();
const resources = () => {
  const left = [...baseline];
  return process.getActiveResourcesInfo().filter((r) => {
    const i = left.indexOf(r);
    return i < 0 || (left.splice(i, 1), false);
  });
};

const hooked = () => ({
  readFileSync: fs.readFileSync,
  statSync: fs.statSync,
  compile: Module.prototype._compile,
  load: Module._load,
  json: Module._extensions['.json'],
  env: process.env,
});
const before = hooked();
const unchanged = () => Object.entries(hooked()).filter(([k, v]) => before[k] !== v).map(([k]) => k);
const transform = () => babel.transformSync(code, { filename, babelrc: false, configFile: false, plugins: [[plugin, { store: 'fs', cacheDir }]] }).code;
/** File descriptors of this process open on the store (SQLite, its WAL). */
const storeFds = () =>
  fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).includes(path.join(cacheDir, 'store.sqlite'));
    } catch {
      return false; // closed while listing (the readdir's own descriptor)
    }
  }).length;

const out = { builds: [] };
out.builds.push(transform());
out.hookedDuringBuild = unchanged();
out.storeFdsBeforeDispose = storeFds();
disposeSession();
out.hookedAfterDispose = unchanged();
out.storeFdsAfterDispose = storeFds();
if (mode !== 'clean') {
  // The store file is free: delete it; the next build must create it afresh.
  for (const f of fs.readdirSync(cacheDir)) if (f.startsWith('store.sqlite')) fs.rmSync(path.join(cacheDir, f));
  if (mode === 'edit') {
    fs.writeFileSync(macroFile, fs.readFileSync(macroFile, 'utf8').replace("'-v1'", "'-v2'"));
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(macroFile, later, later);
  }
  out.builds.push(transform());
  disposeSession();
  out.hookedAfterSecondDispose = unchanged();
}
// A terminated worker's port closes asynchronously: give it a few turns of the event loop.
const deadline = Date.now() + 5000;
(function settle() {
  out.resources = resources();
  if (out.resources.length > 0 && Date.now() < deadline) return setImmediate(settle);
  process.stdout.write(JSON.stringify(out) + '\n');
})();
