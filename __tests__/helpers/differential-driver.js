// Build process for the differential property test (__tests__/differential.property.test.ts).
//   node differential-driver.js   → reads one JSON request per line, {options, root, files, env},
//                                   and answers each with one JSON line: {file: {code} | {error}}.
// Sent one request, it is a build in a new process; sent many, a long-lived build process (the
// plugin instance, which Babel caches per options object, and Node's require cache live on
// between builds, as in watch mode or a Jest worker).
// It loads Babel and the plugin before its first request, so the test can start it ahead of time:
// that costs nothing in freshness (no macro, store or file of the project is touched before a
// request), and takes Node's start-up off the test's critical path.
// `env` is applied to process.env before each build (a null value deletes the variable).
const path = require('path');
const readline = require('readline');
const babel = require('@babel/core');

const plugin = path.resolve(__dirname, '../../dist/index.js');
require(plugin);

// Code frames are coloured under CI=true: strip the escapes so outcomes compare across processes.
const ANSI = /\u001b\[[0-9;]*m/g;
// One options object per distinct options: Babel keys its plugin-instance cache on the object.
const optionObjects = new Map();

function build({ options, root, files }) {
  if (!optionObjects.has(options)) optionObjects.set(options, JSON.parse(options));
  const plugins = [[plugin, optionObjects.get(options)]];
  const results = {};
  for (const file of files) {
    try {
      results[file] = { code: babel.transformFileSync(file, { configFile: false, babelrc: false, cwd: root, plugins }).code };
    } catch (e) {
      results[file] = { error: String((e && e.message) || e).replace(ANSI, '') };
    }
  }
  return results;
}

function applyEnv(env) {
  for (const [k, v] of Object.entries(env || {})) {
    if (v === null) delete process.env[k];
    else process.env[k] = v;
  }
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line);
  applyEnv(request.env);
  process.stdout.write(JSON.stringify(build(request)) + '\n');
});
