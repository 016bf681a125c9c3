// Test driver: a real webpack 5 + babel-loader build of a project, in its own process (so each
// build is a fresh process, as on a developer's machine or CI), through webpack's Node API.
//   node webpack-driver.js <projectDir> '<json {cacheDirectory, watch}>'
// Prints one JSON line per compilation: the bundle's exports, the files Babel transformed
// (not served from babel-loader's cache), each module's cachedMacros report and the
// compilation's file dependencies under the project. In watch mode it keeps compiling until
// its stdin closes.
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '../..');
const [dir, optionsJson] = process.argv.slice(2);
const options = JSON.parse(optionsJson);
const webpack = require(require.resolve('webpack', { paths: [ROOT] }));
// babel-loader beside the Babel core under test (CACHED_MACROS_TEST_BABEL), so it loads that core.
const babelLoader = require(path.join(ROOT, 'dist', 'testing.js')).testBabel().resolve('babel-loader');

// babel-loader's `cacheDirectory: true` and the plugin's default cacheDir are relative to the cwd.
process.chdir(dir);
const transformsLog = path.join(dir, 'transforms.log');
const reports = {};

class CollectReports {
  apply(compiler) {
    compiler.hooks.compilation.tap('CollectReports', (compilation) => {
      webpack.NormalModule.getCompilationHooks(compilation).loader.tap('CollectReports', (loaderContext, module) => {
        loaderContext.cachedMacrosReport = (metadata) => {
          reports[path.relative(dir, module.resource)] = metadata.cachedMacros ?? null;
        };
      });
    });
  }
}

const compiler = webpack({
  mode: 'development',
  context: dir,
  entry: './src/index.js',
  target: 'node',
  devtool: false,
  output: { path: path.join(dir, 'dist'), filename: 'main.js', library: { type: 'commonjs2' } },
  module: {
    rules: [
      {
        test: /\.js$/,
        include: path.join(dir, 'src'),
        use: {
          loader: babelLoader,
          options: {
            babelrc: false,
            configFile: false,
            cacheDirectory: options.cacheDirectory,
            metadataSubscribers: ['cachedMacrosReport'],
            plugins: [path.join(ROOT, 'dist', 'index.js'), [path.join(__dirname, 'count-transforms.js'), { log: transformsLog }]],
          },
        },
      },
    ],
  },
  plugins: [new CollectReports()],
  infrastructureLogging: { level: 'error' },
});

function takeTransformed() {
  const lines = fs.existsSync(transformsLog) ? fs.readFileSync(transformsLog, 'utf8').split('\n').filter(Boolean) : [];
  fs.rmSync(transformsLog, { force: true });
  return lines.sort();
}

let count = 0;
function report(err, stats) {
  const out = { n: ++count };
  if (err || stats.hasErrors()) {
    out.errors = err ? [String(err.stack || err)] : stats.toJson({ all: false, errors: true }).errors.map((e) => e.message);
  } else {
    const bundle = path.join(dir, 'dist', 'main.js');
    delete require.cache[bundle];
    out.values = { ...require(bundle) };
    out.fileDependencies = [...stats.compilation.fileDependencies].filter((f) => f.startsWith(dir + path.sep)).map((f) => path.relative(dir, f)).sort();
  }
  // What made webpack compile again (watch mode): the files it saw change.
  const rel = (set) => [...(set || [])].map((f) => path.relative(dir, f)).sort();
  out.changed = { modified: rel(compiler.modifiedFiles), removed: rel(compiler.removedFiles) };
  out.transformed = takeTransformed();
  out.reports = { ...reports };
  for (const k of Object.keys(reports)) delete reports[k];
  process.stdout.write(JSON.stringify(out) + '\n');
}

if (options.watch) {
  const watching = compiler.watch({ aggregateTimeout: 50 }, report);
  process.stdin.resume();
  process.stdin.on('end', () => watching.close(() => process.exit(0)));
} else {
  compiler.run((err, stats) => {
    report(err, stats);
    compiler.close(() => undefined);
  });
}
