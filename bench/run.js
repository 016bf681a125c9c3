#!/usr/bin/env node
'use strict';
/**
 * The benchmark suite (see bench/README.md).
 *
 *   npm run bench                 default sizes, under ~5 minutes on 2 cores
 *   npm run bench -- --full       also the 1k / 10k / 100k call-site scales (10k signatures)
 *
 * Options: --rounds N, --files F, --calls C, --signatures S, --seed N, --scale-rounds N,
 *          --scales 1000,10000,100000, --scale-signatures 10000,
 *          --only printf,schema,mixed, --no-micro, --no-startup (skip bench/startup.js), --no-write (do not overwrite RESULTS.md etc.),
 *          --profile CORPUS:CONFIG (one run under --cpu-prof, summarised by function).
 *
 * Every measured build is a fresh `node bench/child.js` process timed from here, so process
 * start-up, module loading and store opening count. Configurations are interleaved: each round
 * runs every configuration once (the order rotating from round to round), so machine drift
 * spreads over all of them; medians over the rounds are reported.
 */
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const cliProgress = require('cli-progress');
const { generateCorpus } = require('./corpus');
const { writeReports, formatTable, evaluateTargets } = require('./report');

const ROOT = path.resolve(__dirname, '..');
const WORK = path.join(__dirname, '.work');
const PACKAGES = path.join(WORK, 'node_modules');
/** A snapshot of the built plugin: other people rebuilding dist/ mid-run cannot change what is measured. */
const PLUGIN = path.join(WORK, 'plugin');
const MESSAGES = path.join(PACKAGES, 'schema.macro', 'schema-messages.json');

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const a = { full: false, rounds: 3, files: 100, calls: 20, signatures: 200, seed: 42, scaleRounds: 3, scales: [1_000, 10_000, 100_000], scaleSignatures: 10_000, only: null, micro: true, startup: true, write: true, profile: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${arg} needs a positive number`);
      return v;
    };
    if (arg === '--full') a.full = true;
    else if (arg === '--rounds') a.rounds = num();
    else if (arg === '--files') a.files = num();
    else if (arg === '--calls') a.calls = num();
    else if (arg === '--signatures') a.signatures = num();
    else if (arg === '--seed') a.seed = num();
    else if (arg === '--scale-rounds') a.scaleRounds = num();
    else if (arg === '--only') a.only = argv[++i].split(',');
    else if (arg === '--scales') a.scales = argv[++i].split(',').map(Number);
    else if (arg === '--scale-signatures') a.scaleSignatures = num();
    else if (arg === '--no-micro') a.micro = false;
    else if (arg === '--no-startup') a.startup = false;
    else if (arg === '--no-write') a.write = false;
    else if (arg === '--profile') a.profile = argv[++i];
    else throw new Error(`unknown argument ${arg} (see the header of bench/run.js)`);
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Work directory: the example macro packages copied (so edits never touch examples/), the
// plugin linked, the corpora, and the stores.

function prepareWork() {
  fs.mkdirSync(WORK, { recursive: true });
  fs.rmSync(PACKAGES, { recursive: true, force: true });
  fs.mkdirSync(PACKAGES, { recursive: true });
  for (const pkg of ['printf.macro', 'schema.macro']) {
    fs.cpSync(path.join(ROOT, 'examples', 'packages', pkg), path.join(PACKAGES, pkg), { recursive: true });
  }
  // The plugin as built now (dist/ + package.json), which the macro packages `require`.
  fs.rmSync(PLUGIN, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'dist'), path.join(PLUGIN, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(PLUGIN, 'package.json'));
  fs.symlinkSync(path.relative(PACKAGES, PLUGIN), path.join(PACKAGES, 'babel-plugin-cached-macros'), 'dir');
  fs.rmSync(path.join(WORK, 'stores'), { recursive: true, force: true });
  fs.mkdirSync(path.join(WORK, 'stores'), { recursive: true });
  fs.mkdirSync(path.join(WORK, 'jobs'), { recursive: true });
}

function dirSize(dir) {
  let total = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : fs.statSync(p).size;
  }
  return total;
}

function freshDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function copyDir(from, to) {
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
  return to;
}

// ---------------------------------------------------------------------------------------------
// Running one build

let jobCounter = 0;

function writeJob(job) {
  const file = path.join(WORK, 'jobs', `job${jobCounter++ % 16}.json`);
  fs.writeFileSync(file, JSON.stringify({ cwd: WORK, macrosDir: path.join(__dirname, 'macros'), ...job }));
  return file;
}

const CHILD_ENV = { ...process.env, BENCH_MACRO_PACKAGES: PACKAGES, BENCH_PLUGIN: PLUGIN };
delete CHILD_ENV.CACHED_MACROS_DEBUG;
delete CHILD_ENV.SCHEMA_STRICT;
delete CHILD_ENV.NODE_OPTIONS;

function parseChild(stdout, stderr, status, what) {
  if (status !== 0) throw new Error(`${what} failed (exit ${status}):\n${stderr}`);
  const line = stdout.trim().split('\n').pop();
  return JSON.parse(line);
}

/** One build in one fresh process; wall time measured around the whole process. */
function runOne(job, nodeArgs = []) {
  const jobFile = writeJob(job);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...nodeArgs, path.join(__dirname, 'child.js'), jobFile], {
    cwd: WORK,
    env: CHILD_ENV,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const out = parseChild(r.stdout, r.stderr, r.status, `${job.mode} build of ${job.srcDir}`);
  return { wallMs, loadAvg: os.loadavg()[0], ...out };
}

/** Several builds in concurrent processes sharing one store; wall time until the last exits. */
function runConcurrent(jobs) {
  const files = jobs.map(writeJob);
  const t0 = process.hrtime.bigint();
  return Promise.all(
    files.map(
      (file) =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, [path.join(__dirname, 'child.js'), file], { cwd: WORK, env: CHILD_ENV });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += d));
          child.stderr.on('data', (d) => (stderr += d));
          child.on('error', reject);
          child.on('close', (status) => {
            try {
              resolve({ endMs: Number(process.hrtime.bigint() - t0) / 1e6, ...parseChild(stdout, stderr, status, 'worker') });
            } catch (e) {
              reject(e);
            }
          });
        }),
    ),
  ).then((results) => {
    const sum = (k) => results.reduce((s, r) => s + r[k], 0);
    const merged = { wallMs: Math.max(...results.map((r) => r.endMs)), workers: results.length, loadAvg: os.loadavg()[0] };
    for (const k of ['files', 'outBytes', 'calls', 'signatures', 'generated', 'memoryHits', 'storeHits', 'invalidations', 'generateMs']) merged[k] = sum(k);
    merged.maxRssKB = Math.max(...results.map((r) => r.maxRssKB));
    merged.userMs = sum('userMs');
    merged.systemMs = sum('systemMs');
    merged.sumRssKB = sum('maxRssKB');
    merged.perMacro = {};
    for (const r of results) {
      for (const [m, p] of Object.entries(r.perMacro)) {
        const q = (merged.perMacro[m] ??= { ...p, calls: 0, signatures: 0, generated: 0, memoryHits: 0, storeHits: 0, invalidations: 0, generateMs: 0 });
        for (const k of ['calls', 'signatures', 'generated', 'memoryHits', 'storeHits', 'invalidations', 'generateMs']) q[k] += p[k];
      }
    }
    return merged;
  });
}

// ---------------------------------------------------------------------------------------------
// Configurations

const CONFIGS = {
  baseline: {
    label: 'baseline (hand-expanded, no macro plugin)',
    run: (c) => runOne({ mode: 'baseline', srcDir: c.expandedDir, files: c.manifest.fileNames }),
  },
  bpm: {
    label: 'babel-plugin-macros (createMacro ports)',
    run: (c) => runOne({ mode: 'bpm', srcDir: c.srcDir, files: c.manifest.fileNames }),
  },
  plain: {
    label: 'plain Generator (printf.macro)',
    run: (c) => runCached(c, freshDir(c.store('plain'))),
  },
  cold: {
    label: 'CachedGenerator cold (empty store)',
    run: (c) => runCached(c, freshDir(c.store('cold'))),
  },
  warm: {
    label: 'CachedGenerator warm (store from an earlier process)',
    run: (c) => runCached(c, copyDir(c.warmSnapshot, c.store('warm'))),
  },
  edit: {
    label: 'warm, one macro edited (validate\'s messages file)',
    run: (c) => {
      const dir = copyDir(c.warmSnapshot, c.store('edit'));
      const original = fs.readFileSync(MESSAGES, 'utf8');
      fs.writeFileSync(MESSAGES, original.replace('"must match {pattern}"', '"does not match {pattern}"'));
      try {
        return runCached(c, dir);
      } finally {
        fs.writeFileSync(MESSAGES, original);
      }
    },
  },
  workers2: {
    label: 'CachedGenerator cold, 2 worker processes, one store',
    run: async (c) => {
      const dir = freshDir(c.store('workers2'));
      const names = c.manifest.fileNames;
      const halves = [names.filter((_, i) => i % 2 === 0), names.filter((_, i) => i % 2 === 1)];
      const r = await runConcurrent(halves.map((files) => ({ mode: 'cached', srcDir: c.srcDir, files, cacheDir: dir })));
      r.storeBytes = dirSize(dir);
      return r;
    },
  },
};

function runCached(c, dir, nodeArgs) {
  const r = runOne({ mode: 'cached', srcDir: c.srcDir, files: c.manifest.fileNames, cacheDir: dir }, nodeArgs);
  r.storeBytes = dirSize(dir);
  return r;
}

const CORPORA = {
  printf: { title: 'printf.macro only (cheap plain Generator)', configs: ['baseline', 'bpm', 'plain'] },
  schema: { title: 'schema.macro only (expensive CachedGenerator)', configs: ['baseline', 'bpm', 'cold', 'warm', 'edit', 'workers2'] },
  mixed: { title: 'mixed: printf.macro + schema.macro', configs: ['baseline', 'bpm', 'cold', 'warm'] },
};

/** Generates a corpus, its hand-expanded baseline and its warm store snapshot. */
function setUpCorpus(name, family, o) {
  const dir = path.join(WORK, 'corpora', name);
  const manifest = generateCorpus({ dir, family, files: o.files, callsPerFile: o.calls, signatures: o.signatures, seed: o.seed });
  const c = {
    name,
    family,
    dir,
    manifest,
    srcDir: path.join(dir, 'src'),
    expandedDir: freshDir(path.join(dir, 'expanded')),
    warmSnapshot: path.join(WORK, 'stores', `${name}-warm-snapshot`),
    store: (config) => path.join(WORK, 'stores', `${name}-${config}`),
  };
  // One cold build writes the plugin's output (the exact code the macros produce) as the
  // hand-expanded baseline, and leaves the store an earlier process filled for the warm runs.
  const setup = runOne({ mode: 'cached', srcDir: c.srcDir, files: manifest.fileNames, cacheDir: freshDir(c.warmSnapshot), outDir: c.expandedDir });
  c.setup = { generated: setup.generated, perMacro: setup.perMacro, outBytes: setup.outBytes, storeBytes: dirSize(c.warmSnapshot) };
  c.expected = expectedCounts(c, setup);
  return c;
}

/** What a correct run must report, from the corpus itself. */
function expectedCounts(c, setup) {
  const cachedSigs = Object.entries(c.manifest.perMacro)
    .filter(([m]) => m === 'validate' || m === 'is')
    .reduce((s, [, p]) => s + p.distinctSignatures, 0);
  const plainPerFile = Object.entries(setup.perMacro)
    .filter(([, p]) => !p.cached)
    .reduce((s, [, p]) => s + p.signatures, 0);
  return {
    callSites: c.manifest.callSites,
    cachedDistinctSignatures: cachedSigs,
    validateDistinctSignatures: c.manifest.perMacro.validate?.distinctSignatures ?? 0,
    plainSignaturesPerFileSum: plainPerFile,
  };
}

// ---------------------------------------------------------------------------------------------
// Statistics

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summarize(runs) {
  const pick = (k) => runs.map((r) => r[k] ?? 0);
  const last = runs[runs.length - 1];
  return {
    runs: runs.length,
    wallMs: median(pick('wallMs')),
    wallMsAll: pick('wallMs').map((x) => Math.round(x)),
    loadAvgAll: pick('loadAvg').map((x) => Math.round(x * 10) / 10),
    generated: median(pick('generated')),
    storeHits: median(pick('storeHits')),
    memoryHits: median(pick('memoryHits')),
    invalidations: median(pick('invalidations')),
    calls: median(pick('calls')),
    generateMs: median(pick('generateMs')),
    maxRssMB: median(pick('maxRssKB')) / 1024,
    cpuMs: median(runs.map((r) => (r.userMs ?? 0) + (r.systemMs ?? 0))),
    // Where the CPU went (bench/child.js): the main thread, its GC pauses, the other threads.
    mainCpuMs: runs.every((r) => r.mainCpuMs != null) ? median(pick('mainCpuMs')) : null,
    otherCpuMs: runs.every((r) => r.otherCpuMs != null) ? median(pick('otherCpuMs')) : null,
    gcPauseMs: runs.every((r) => r.gcPauseMs != null) ? median(pick('gcPauseMs')) : null,
    cachedGenerated: median(runs.map((r) => Object.values(r.perMacro).filter((m) => m.cached).reduce((s, m) => s + m.generated, 0))),
    plainGenerated: median(runs.map((r) => Object.values(r.perMacro).filter((m) => !m.cached).reduce((s, m) => s + m.generated, 0))),
    storeBytes: median(pick('storeBytes')),
    outBytes: median(pick('outBytes')),
    perMacro: last.perMacro,
  };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
    console.error('The plugin is not built: run `npm run build` first (`npm run bench` does both).');
    process.exit(1);
  }
  const started = Date.now();
  prepareWork();
  if (args.profile) return profile(args);

  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    babel: require('@babel/core/package.json').version,
    babelPluginMacros: require('babel-plugin-macros/package.json').version,
    plugin: require('../package.json').version,
    pluginCommit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim(),
    pluginDirty: spawnSync('git', ['status', '--porcelain', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '',
    platform: `${os.type()} ${os.release()}`,
  };
  const corpusNames = Object.keys(CORPORA).filter((n) => !args.only || args.only.includes(n));
  console.error(`bench: corpora ${corpusNames.join(', ')}: ${args.files} files x ${args.calls} call sites, ${args.signatures} signatures, ${args.rounds} rounds${args.full ? ', plus scales' : ''}`);

  // Micro-benchmark first, on a quiet machine.
  let micro = null;
  if (args.micro) {
    console.error('bench: micro-benchmark of the in-process hit path (tinybench)...');
    const r = spawnSync(process.execPath, [path.join(__dirname, 'micro.js'), '--json'], { cwd: WORK, env: CHILD_ENV, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`micro.js failed:\n${r.stderr}`);
    micro = JSON.parse(r.stdout.trim().split('\n').pop());
  }

  console.error('bench: generating corpora and their hand-expanded baselines...');
  const corpora = corpusNames.map((n) => setUpCorpus(n, n, args));

  // Cells: (corpus, config) pairs, all run once per round.
  const cells = corpora.flatMap((c) => CORPORA[c.name].configs.map((config) => ({ c, config, runs: [] })));
  let scaleCells = [];
  let scaleCorpora = [];
  if (args.full) {
    console.error(`bench: generating the scale corpora (mixed, ${args.scaleSignatures} signatures): ${args.scales.join(', ')} call sites...`);
    scaleCorpora = args.scales.map((sites) =>
      setUpCorpus(`scale-${sites / 1000}k`, 'mixed', { ...args, files: Math.round(sites / args.calls), signatures: args.scaleSignatures }),
    );
    // babel-plugin-macros at 100k call sites alone would take ~10 minutes per run: it is run at
    // 1k and 10k only. 100k runs ceil(scaleRounds / 3) rounds (1 by default).
    scaleCells = scaleCorpora.flatMap((c) =>
      (c.manifest.callSites >= 100_000 ? ['baseline', 'cold', 'warm'] : ['baseline', 'bpm', 'cold', 'warm']).map((config) => ({
        c,
        config,
        runs: [],
        rounds: c.manifest.callSites >= 100_000 ? Math.ceil(args.scaleRounds / 3) : args.scaleRounds,
      })),
    );
  }

  const total = cells.length * args.rounds + scaleCells.reduce((n, c) => n + c.rounds, 0);
  // A progress bar on a terminal; elsewhere (CI logs) one line per finished run, since the
  // bar's timer cannot tick while spawnSync waits for a child.
  const tty = process.stderr.isTTY;
  const bar = tty
    ? new cliProgress.SingleBar({ format: 'bench [{bar}] {value}/{total} runs | {eta_formatted} left | {cell}', etaBuffer: 20 }, cliProgress.Presets.shades_classic)
    : null;
  let done = 0;
  bar?.start(total, 0, { cell: '' });
  const runCell = async (cell) => {
    bar?.update({ cell: `${cell.c.name}/${cell.config}` });
    const r = await CONFIGS[cell.config].run(cell.c);
    cell.runs.push(r);
    done++;
    if (bar) bar.increment();
    else console.error(`bench: ${String(done).padStart(3)}/${total} ${cell.c.name}/${cell.config}: ${Math.round(r.wallMs)} ms`);
  };
  try {
    for (let round = 0; round < args.rounds; round++) {
      // Rotate the order every round so no configuration always runs first or after the same one.
      const k = (round * 3) % cells.length;
      const order = [...cells.slice(k), ...cells.slice(0, k)];
      if (round % 2 === 1) order.reverse();
      for (const cell of order) await runCell(cell);
    }
    for (let round = 0; round < args.scaleRounds && scaleCells.length; round++) {
      const due = scaleCells.filter((cell) => cell.runs.length < cell.rounds);
      for (const cell of round % 2 ? due.reverse() : due) await runCell(cell);
    }
  } finally {
    bar?.stop();
  }

  // Start-up and files without macros (bench/startup.js), on the mixed corpus and its warm store.
  let startup = null;
  if (args.startup && corpora.some((c) => c.name === 'mixed')) {
    console.error('bench: start-up and files without macros (bench/startup.js)...');
    const r = spawnSync(process.execPath, [path.join(__dirname, 'startup.js'), '--json'], { cwd: WORK, env: CHILD_ENV, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`startup.js failed:\n${r.stderr}`);
    startup = JSON.parse(r.stdout.trim().split('\n').pop());
  }

  const results = {
    generatedAt: new Date().toISOString(),
    command: `node bench/run.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    parameters: { files: args.files, callsPerFile: args.calls, signatures: args.signatures, seed: args.seed, rounds: args.rounds, scaleRounds: args.full ? args.scaleRounds : 0, zipfExponent: 1.1 },
    corpora: corpora.map((c) => corpusResult(c, cells)),
    scales: scaleCorpora.map((c) => corpusResult(c, scaleCells)),
    micro,
    startup,
    loadAverage: { median: median(cells.flatMap((c) => c.runs.map((r) => r.loadAvg))), max: Math.max(...cells.flatMap((c) => c.runs.map((r) => r.loadAvg))) },
    durationS: Math.round((Date.now() - started) / 1000),
  };
  results.targets = evaluateTargets(results);
  console.log(formatTable(results));
  if (args.write) {
    writeReports(results, __dirname);
    console.error(`bench: wrote bench/RESULTS.md, bench/results.json and bench/chart.svg (${results.durationS} s)`);
  }
}

function corpusResult(c, cells) {
  const mine = cells.filter((cell) => cell.c === c);
  const configs = {};
  for (const cell of mine) configs[cell.config] = { label: CONFIGS[cell.config].label, ...summarize(cell.runs) };
  const base = configs.baseline?.wallMs;
  const bpm = configs.bpm?.wallMs;
  const baseCpu = configs.baseline?.cpuMs;
  const bpmCpu = configs.bpm?.cpuMs;
  for (const s of Object.values(configs)) {
    s.vsBaseline = base ? s.wallMs / base : null;
    s.vsBpm = bpm ? s.wallMs / bpm : null;
    s.cpuVsBaseline = baseCpu ? s.cpuMs / baseCpu : null;
    s.cpuVsBpm = bpmCpu ? s.cpuMs / bpmCpu : null;
  }
  // Paired ratios: the same round's runs, so drift between rounds cancels out.
  for (const cell of mine) {
    const pair = (other) => {
      const o = mine.find((x) => x.config === other);
      if (!o) return null;
      return median(cell.runs.map((r, i) => r.wallMs / o.runs[i].wallMs));
    };
    configs[cell.config].pairedVsBaseline = pair('baseline');
    configs[cell.config].pairedVsBpm = pair('bpm');
  }
  const { fileNames, ...manifest } = c.manifest;
  return { name: c.name, title: CORPORA[c.name]?.title ?? `mixed, ${c.manifest.callSites} call sites, ${c.manifest.signatures} signatures`, manifest, expected: c.expected, setup: c.setup, configs };
}

// ---------------------------------------------------------------------------------------------
// --profile CORPUS:CONFIG

function profile(args) {
  const [name, config = 'warm'] = args.profile.split(':');
  const c = setUpCorpus(name, name === 'printf' || name === 'schema' ? name : 'mixed', args);
  const dir = freshDir(path.join(WORK, 'profiles'));
  const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  let r;
  if (config === 'baseline') r = runOne({ mode: 'baseline', srcDir: c.expandedDir, files: c.manifest.fileNames }, nodeArgs);
  else if (config === 'bpm') r = runOne({ mode: 'bpm', srcDir: c.srcDir, files: c.manifest.fileNames }, nodeArgs);
  else if (config === 'warm') r = runCached(c, copyDir(c.warmSnapshot, c.store('warm')), nodeArgs);
  else r = runCached(c, freshDir(c.store(config)), nodeArgs);
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  console.log(`${name}:${config}: wall ${r.wallMs.toFixed(0)} ms (under the profiler), generated ${r.generated}, store hits ${r.storeHits}`);
  console.log(require('./profile').summarize(path.join(dir, file)));
  console.log(`profile: ${path.relative(process.cwd(), path.join(dir, file))}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
