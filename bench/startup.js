#!/usr/bin/env node
'use strict';
/**
 * Two fixed costs the whole-build runs hide (issue #13):
 *
 *   start-up   what the plugin adds to a process before its first file is done: loading it,
 *              its factory run, opening the store, loading the macros, expanding the first
 *              file. Jest pays it in every worker. Each sample is a fresh process that first
 *              warms Babel itself up (parser, traverse, generator loaded and run once on a file
 *              without macros, as any Babel process has), then times either
 *                plugin: require the plugin + transform a file without macros (the factory
 *                        runs, the store opens) + transform the corpus's first file (warm store)
 *                plugin-nowatchdog: the same with `watchdogMs: false`
 *                none:   the same file without macros, then the hand-expanded first file,
 *                        no plugin
 *                bpm:    babel-plugin-macros (the same macros as createMacro ports) on the
 *                        same file without macros, then the corpus's first file: what a
 *                        process pays to expand that file with the macro system we replace
 *              start-up = median(plugin) - median(none), in CPU time (wall time too);
 *              `require` and the factory alone (wall) are reported too, and the watchdog
 *              thread's share, median(plugin) - median(plugin-nowatchdog); and, for scale,
 *              babel-plugin-macros' start-up, median(bpm) - median(none).
 *   no-macro   the extra time the plugin costs on files that import no macro: one process
 *              transforms the hand-expanded corpus (no macro imports) with and without the
 *              plugin, alternating, after a warm-up round of each; the median of the rounds'
 *              ratios of CPU time is reported.
 *
 *   node bench/startup.js [--json] [--corpus mixed] [--runs 15] [--rounds 9]
 *
 * Needs bench/.work set up by a bench/run.js run (corpora, warm store snapshot, plugin snapshot).
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

/** BENCH_WORK: another work directory laid out as bench/.work (to compare two plugin builds). */
const WORK = process.env.BENCH_WORK || path.join(__dirname, '.work');
/** The plugin snapshot the work directory's macro packages require (a different copy would not hit their store entries). */
const PLUGIN = process.env.BENCH_PLUGIN || path.join(WORK, 'plugin');
const BABEL_OPTIONS = { configFile: false, babelrc: false, sourceType: 'module', sourceMaps: false };

/** CPU milliseconds (user + system) this process has used: steadier than wall time on a shared machine. */
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function corpusDirs(name) {
  const dir = path.join(WORK, 'corpora', name);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  return { src: path.join(dir, 'src'), expanded: path.join(dir, 'expanded'), files: manifest.fileNames, snapshot: path.join(WORK, 'stores', `${name}-warm-snapshot`) };
}

// ---------------------------------------------------------------------------------------------
// Child: one start-up sample

function startupChild(mode, corpus, cacheDir) {
  const c = corpusDirs(corpus);
  const babel = require('@babel/core');
  // Babel's own warm-up, which every Babel process pays with or without the plugin.
  babel.transformFileSync(path.join(c.expanded, c.files[1]), { ...BABEL_OPTIONS, cwd: WORK });
  const t0 = performance.now();
  const c0 = cpuMs();
  let requireMs = 0;
  let factoryMs = 0;
  if (mode === 'plugin' || mode === 'plugin-nowatchdog') {
    const plugin = require(path.join(PLUGIN, 'dist', 'index.js')).default;
    requireMs = performance.now() - t0;
    const options = { ...BABEL_OPTIONS, cwd: WORK, plugins: [[plugin, { cacheDir, ...(mode === 'plugin-nowatchdog' && { watchdogMs: false }) }]] };
    // A file without macros first: Babel runs the plugin's factory, which opens the (warm) store.
    babel.transformSync('export {};', { ...options, filename: path.join(c.src, 'startup-probe.js') });
    factoryMs = performance.now() - t0 - requireMs;
    const r = babel.transformFileSync(path.join(c.src, c.files[0]), options);
    const report = r.metadata.cachedMacros;
    if (!report) throw new Error('the first file expanded no macro');
    // A warm store: a cached macro generating here would measure the generator, not start-up.
    const cold = Object.entries(report.macros).filter(([, m]) => m.cached && m.generated > 0);
    if (cold.length > 0) throw new Error(`the warm store missed for ${cold.map(([k]) => k).join(', ')} (was it filled by this plugin build?)`);
  } else if (mode === 'bpm') {
    const macros = { 'printf.macro': path.join(__dirname, 'macros', 'printf.macro.js'), 'schema.macro': path.join(__dirname, 'macros', 'schema.macro.js') };
    const options = { ...BABEL_OPTIONS, cwd: WORK, plugins: [[require('babel-plugin-macros'), { resolvePath: (source) => macros[source] ?? source }]] };
    babel.transformSync('export {};', { ...options, filename: path.join(c.src, 'startup-probe.js') });
    babel.transformFileSync(path.join(c.src, c.files[0]), options);
  } else {
    // The same tiny file first, so start-up = plugin - none does not count Babel's own cost of it.
    babel.transformSync('export {};', { ...BABEL_OPTIONS, cwd: WORK, filename: path.join(c.expanded, 'startup-probe.js') });
    babel.transformFileSync(path.join(c.expanded, c.files[0]), { ...BABEL_OPTIONS, cwd: WORK });
  }
  return { ms: performance.now() - t0, cpuMs: cpuMs() - c0, requireMs, factoryMs };
}

// ---------------------------------------------------------------------------------------------
// Child: files without macros, with and without the plugin, alternating

function noMacroChild(corpus, rounds) {
  const c = corpusDirs(corpus);
  const babel = require('@babel/core');
  const plugin = require(path.join(PLUGIN, 'dist', 'index.js')).default;
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-nomacro-'));
  const sets = {
    none: { ...BABEL_OPTIONS, cwd: WORK },
    plugin: { ...BABEL_OPTIONS, cwd: WORK, plugins: [[plugin, { cacheDir }]] },
  };
  const pass = (options) => {
    const c0 = cpuMs();
    for (const f of c.files) {
      const r = babel.transformFileSync(path.join(c.expanded, f), options);
      if (r.metadata.cachedMacros) throw new Error(`${f} imports a macro`);
    }
    return cpuMs() - c0;
  };
  pass(sets.none);
  pass(sets.plugin);
  const ratios = [];
  const times = { none: [], plugin: [] };
  for (let i = 0; i < rounds; i++) {
    // Alternate which goes first, so drift and GC debt spread over both.
    const order = i % 2 ? ['plugin', 'none'] : ['none', 'plugin'];
    const t = {};
    for (const k of order) times[k].push((t[k] = pass(sets[k])));
    ratios.push(t.plugin / t.none);
  }
  const created = fs.existsSync(path.join(cacheDir, 'store.sqlite'));
  fs.rmSync(cacheDir, { recursive: true, force: true });
  return { files: c.files.length, noneMs: median(times.none), pluginMs: median(times.plugin), ratio: median(ratios), storeCreated: created };
}

// ---------------------------------------------------------------------------------------------
// Parent

function spawnChild(args) {
  const r = spawnSync(process.execPath, [__filename, ...args], { cwd: WORK, encoding: 'utf8', env: { ...process.env, CACHED_MACROS_DEBUG: '' } });
  if (r.status !== 0) throw new Error(`bench/startup.js ${args.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function main(argv) {
  const opt = { json: false, corpus: 'mixed', runs: 15, rounds: 9 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') opt.json = true;
    else if (argv[i] === '--corpus') opt.corpus = argv[++i];
    else if (argv[i] === '--runs') opt.runs = Number(argv[++i]);
    else if (argv[i] === '--rounds') opt.rounds = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  const c = corpusDirs(opt.corpus);
  const samples = { plugin: [], none: [], 'plugin-nowatchdog': [], bpm: [], require: [], factory: [], pluginWall: [], noneWall: [], 'plugin-nowatchdogWall': [], bpmWall: [] };
  for (let i = 0; i < opt.runs; i++) {
    for (const mode of i % 2 ? ['none', 'bpm', 'plugin-nowatchdog', 'plugin'] : ['plugin', 'plugin-nowatchdog', 'bpm', 'none']) {
      const cacheDir = path.join(WORK, 'stores', `startup-${process.pid}`);
      fs.rmSync(cacheDir, { recursive: true, force: true });
      fs.cpSync(c.snapshot, cacheDir, { recursive: true });
      const r = spawnChild(['--child-startup', mode, opt.corpus, cacheDir]);
      fs.rmSync(cacheDir, { recursive: true, force: true });
      samples[mode].push(r.cpuMs);
      samples[`${mode}Wall`].push(r.ms);
      if (mode === 'plugin') {
        samples.require.push(r.requireMs);
        samples.factory.push(r.factoryMs);
      }
    }
  }
  const noMacro = spawnChild(['--child-nomacro', opt.corpus, String(opt.rounds)]);
  const result = {
    corpus: opt.corpus,
    runs: opt.runs,
    startup: {
      pluginFirstFileMs: median(samples.plugin),
      plainFirstFileMs: median(samples.none),
      extraMs: median(samples.plugin) - median(samples.none),
      extraWallMs: median(samples.pluginWall) - median(samples.noneWall),
      requireMs: median(samples.require),
      // The factory's first run (options, the store opened) on a file without macros; wall.
      factoryMs: median(samples.factory),
      // What the generator watchdog's worker thread costs (started by the first generator run).
      watchdogMs: median(samples.plugin) - median(samples['plugin-nowatchdog']),
      watchdogWallMs: median(samples.pluginWall) - median(samples['plugin-nowatchdogWall']),
      // babel-plugin-macros on the same first file (CPU, and wall).
      bpmExtraMs: median(samples.bpm) - median(samples.none),
      bpmExtraWallMs: median(samples.bpmWall) - median(samples.noneWall),
    },
    noMacro,
  };
  if (opt.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  const s = result.startup;
  console.log(`start-up (${opt.corpus}, medians of ${opt.runs} fresh processes, CPU time): +${s.extraMs.toFixed(1)} ms (wall +${s.extraWallMs.toFixed(1)} ms) ` +
    `(first file ${s.pluginFirstFileMs.toFixed(1)} ms with the plugin, warm store; ${s.plainFirstFileMs.toFixed(1)} ms hand-expanded without; ` +
    `wall: require() ${s.requireMs.toFixed(1)} ms, factory and store open ${s.factoryMs.toFixed(1)} ms; the watchdog thread ${s.watchdogMs.toFixed(1)} ms CPU, ${s.watchdogWallMs.toFixed(1)} ms wall); ` +
    `babel-plugin-macros on the same file: +${s.bpmExtraMs.toFixed(1)} ms (wall +${s.bpmExtraWallMs.toFixed(1)} ms)`);
  console.log(`files without macros (${noMacro.files} files, median of ${opt.rounds} alternating rounds, CPU time): ${((noMacro.ratio - 1) * 100).toFixed(1)} % extra ` +
    `(${noMacro.pluginMs.toFixed(0)} ms with the plugin, ${noMacro.noneMs.toFixed(0)} ms without; store opened: ${noMacro.storeCreated ? 'yes' : 'no'})`);
}

if (process.argv[2] === '--child-startup') {
  process.stdout.write(JSON.stringify(startupChild(process.argv[3], process.argv[4], process.argv[5])) + '\n');
} else if (process.argv[2] === '--child-nomacro') {
  process.stdout.write(JSON.stringify(noMacroChild(process.argv[3], Number(process.argv[4]))) + '\n');
} else {
  main(process.argv.slice(2));
}
