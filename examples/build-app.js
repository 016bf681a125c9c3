#!/usr/bin/env node
'use strict';
/**
 * Builds the example app: transforms every file under examples/app/src with @babel/core and the
 * app's babel.config.js, writes examples/app/dist, and reports what the macro plugin did
 * (from each file's `result.metadata.cachedMacros`).
 *
 *   node examples/build-app.js [--cache-dir DIR] [--json]
 *
 * --cache-dir  the plugin's store directory (default: examples/.cache/store)
 * --json       print the report as JSON on stdout (used by demo.js) instead of a table
 */
const fs = require('fs');
const path = require('path');

const APP = path.join(__dirname, 'app');
const SRC = path.join(APP, 'src');
const OUT = path.join(APP, 'dist');

/** Source files of the app, in a stable order. */
function sourceFiles(dir = SRC) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : /\.[jt]s$/.test(e.name) ? [path.join(dir, e.name)] : []));
}

/**
 * Transforms the app. Returns per-file reports and their sum per macro.
 * @param {string} cacheDir
 */
function build(cacheDir) {
  // Read by app/babel.config.js; set before Babel loads the config.
  process.env.CACHED_MACROS_DIR = cacheDir;
  const started = performance.now();
  const babel = require('@babel/core');
  fs.rmSync(OUT, { recursive: true, force: true });
  const files = [];
  for (const file of sourceFiles()) {
    const t0 = performance.now();
    const result = babel.transformFileSync(file, {
      cwd: APP,
      configFile: path.join(APP, 'babel.config.js'),
      babelrc: false,
      sourceMaps: false,
    });
    const ms = performance.now() - t0;
    const rel = path.relative(SRC, file);
    const out = path.join(OUT, rel.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, result.code + '\n');
    files.push({ file: rel, ms, report: result.metadata.cachedMacros ?? null });
  }
  return { totalMs: performance.now() - started, files, macros: sumByMacro(files) };
}

/** Adds up the per-file MacroReports of every macro. */
function sumByMacro(files) {
  const macros = {};
  for (const { report } of files) {
    if (!report) continue;
    for (const [name, m] of Object.entries(report.macros)) {
      const sum = (macros[name] ??= { cached: m.cached, files: 0, calls: 0, signatures: 0, generated: 0, memoryHits: 0, storeHits: 0, invalidations: 0, generateMs: 0 });
      sum.files += 1;
      for (const k of ['calls', 'signatures', 'generated', 'memoryHits', 'storeHits', 'invalidations', 'generateMs']) sum[k] += m[k];
    }
  }
  return macros;
}

/** Renders rows as an aligned text table; numbers are right-aligned. */
function table(header, rows) {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (typeof rows[0]?.[i] === 'number' || /^[\d.]+$/.test(c) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/**
 * The per-macro table of one build.
 * @param {ReturnType<typeof build>} result
 */
function formatMacros(result) {
  const rows = Object.entries(result.macros)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, m]) => [
      name,
      m.cached ? 'cached' : 'plain',
      m.calls,
      m.signatures,
      m.generated,
      m.memoryHits + m.storeHits,
      `${m.memoryHits}+${m.storeHits}`,
      m.invalidations,
      m.generateMs.toFixed(1),
    ]);
  return table(['macro', 'generator', 'calls', 'signatures', 'generated', 'from cache', 'mem+store', 'invalidated', 'generate ms'], rows);
}

/** Totals over the cached macros, and over the plain ones. */
function totals(result) {
  const t = { cached: { generated: 0, hits: 0, ms: 0, calls: 0 }, plain: { generated: 0, hits: 0, ms: 0, calls: 0 } };
  for (const m of Object.values(result.macros)) {
    const side = m.cached ? t.cached : t.plain;
    side.generated += m.generated;
    side.hits += m.memoryHits + m.storeHits;
    side.ms += m.generateMs;
    side.calls += m.calls;
  }
  return t;
}

function parseArgs(argv) {
  const args = { cacheDir: path.join(__dirname, '.cache', 'store'), json: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--cache-dir') args.cacheDir = path.resolve(argv[++i]);
    else if (argv[i] === '--json') args.json = true;
    else throw new Error(`unknown argument ${argv[i]} (usage: build-app.js [--cache-dir DIR] [--json])`);
  }
  return args;
}

if (require.main === module) {
  const args = parseArgs(process.argv.slice(2));
  const result = build(args.cacheDir);
  if (args.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    console.log(`built ${result.files.length} files into ${path.relative(process.cwd(), OUT)} in ${result.totalMs.toFixed(0)} ms (store: ${args.cacheDir})\n`);
    console.log(formatMacros(result));
  }
}

module.exports = { build, formatMacros, totals, table };
