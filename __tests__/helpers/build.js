// Test driver: a separate Node process that runs the compiled plugin the way a build tool does.
//   node build.js '<json options>' file...     → transforms the files, prints one JSON line
//   node build.js '<json options>' --stdin     → reads one JSON array of files per line (a long-lived build)
const fs = require('fs');
const path = require('path');
const readline = require('readline');
// The Babel core under test (CACHED_MACROS_TEST_BABEL), else the root's.
const babel = require('../../dist/testing.js').testBabel().core;

const plugin = path.resolve(__dirname, '../../dist/index.js');
const [optionsJson, ...files] = process.argv.slice(2);
const options = JSON.parse(optionsJson);

function build(list) {
  const results = {};
  for (const file of list) {
    const r = babel.transformFileSync(file, {
      configFile: false,
      babelrc: false,
      cwd: path.dirname(file),
      plugins: [[plugin, options]],
    });
    results[path.basename(file)] = { code: r.code, report: r.metadata.cachedMacros ?? null };
  }
  return results;
}

if (files[0] === '--stdin') {
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    try {
      process.stdout.write(JSON.stringify({ ok: true, results: build(JSON.parse(line)) }) + '\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.message) }) + '\n');
    }
  });
} else {
  fs.writeSync(1, JSON.stringify(build(files)) + '\n');
}
