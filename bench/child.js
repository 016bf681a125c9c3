'use strict';
/**
 * One measured build, in a fresh Node process: transforms every file of a job with
 * @babel/core `transformFileSync`, then prints one JSON line with what it did.
 *
 *   node bench/child.js JOB.json
 *
 * JOB = { mode: 'baseline' | 'bpm' | 'cached', srcDir, files: [names], cacheDir?, outDir?,
 *         macrosDir? }
 *
 * Every mode uses the same Babel options (no config files, no presets, no source maps, code
 * generated); only `plugins` differs:
 *   baseline  []                                   (the input is the hand-expanded code)
 *   bpm       [babel-plugin-macros]                (imports resolved to bench/macros/*.macro.js)
 *   cached    [babel-plugin-cached-macros]         (store in cacheDir)
 *
 * The parent times the whole process (start-up, module loading, store opening, exit).
 */
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
// The plugin snapshot bench/run.js took (bench/.work/plugin), or this repository's build.
const PLUGIN = process.env.BENCH_PLUGIN || ROOT;
const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const started = performance.now();

// Main-thread GC pauses (scavenges and the final, stop-the-world part of mark-compact), so the
// report can split the main thread's CPU into GC and everything else (Babel + the plugin).
let gcPauseMs = 0;
const { PerformanceObserver } = require('perf_hooks');
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauseMs += e.duration;
});
gcObserver.observe({ entryTypes: ['gc'] });

const babel = require('@babel/core');

let plugins;
if (job.mode === 'baseline') {
  plugins = [];
} else if (job.mode === 'bpm') {
  const macros = { 'printf.macro': path.join(job.macrosDir, 'printf.macro.js'), 'schema.macro': path.join(job.macrosDir, 'schema.macro.js') };
  plugins = [[require('babel-plugin-macros'), { resolvePath: (source) => macros[source] ?? source }]];
} else if (job.mode === 'cached') {
  plugins = [[require(path.join(PLUGIN, 'dist', 'index.js')).default, { cacheDir: job.cacheDir }]];
} else {
  throw new Error(`unknown mode ${job.mode}`);
}
// One options object for the whole build, as a build tool passes the same config to every file.
const options = { configFile: false, babelrc: false, cwd: job.cwd ?? process.cwd(), sourceType: 'module', sourceMaps: false, plugins };

const totals = { files: 0, outBytes: 0, calls: 0, signatures: 0, generated: 0, memoryHits: 0, storeHits: 0, invalidations: 0, generateMs: 0 };
const perMacro = {};
for (const name of job.files) {
  const result = babel.transformFileSync(path.join(job.srcDir, name), options);
  totals.files++;
  totals.outBytes += result.code.length;
  if (job.outDir) fs.writeFileSync(path.join(job.outDir, name), result.code + '\n');
  const report = result.metadata.cachedMacros;
  if (!report) continue;
  for (const [macro, m] of Object.entries(report.macros)) {
    const p = (perMacro[macro] ??= { cached: m.cached, calls: 0, signatures: 0, generated: 0, memoryHits: 0, storeHits: 0, invalidations: 0, generateMs: 0 });
    for (const k of ['calls', 'signatures', 'generated', 'memoryHits', 'storeHits', 'invalidations', 'generateMs']) {
      p[k] += m[k];
      totals[k] += m[k];
    }
  }
}
const transformMs = performance.now() - started;

const bpm = globalThis.__benchMacroCounters;
if (bpm) {
  for (const [macro, n] of Object.entries(bpm.compiles)) {
    const p = (perMacro[macro] ??= { cached: false, calls: 0, signatures: 0, generated: 0, memoryHits: 0, storeHits: 0, invalidations: 0, generateMs: 0 });
    p.calls += n;
    p.generated += n;
    totals.calls += n;
    totals.generated += n;
  }
  totals.generateMs += bpm.compileMs;
}

// GC entries reach the observer on a later turn of the event loop, which the synchronous
// build never gave it: report after a short timer (an immediate is too early for them).
setTimeout(report, 10);

function report() {
  gcObserver.disconnect();
  const threads = threadCpu();
  const usage = process.resourceUsage();
  process.stdout.write(
    JSON.stringify({
      mode: job.mode,
      ...totals,
      perMacro,
      transformMs,
      maxRssKB: usage.maxRSS,
      userMs: usage.userCPUTime / 1000,
      systemMs: usage.systemCPUTime / 1000,
      ...threads,
      gcPauseMs,
    }) + '\n',
  );
}

/**
 * CPU per thread, from /proc (Linux; null elsewhere): the main thread, and every other thread
 * of the process together (V8's GC and compiler helpers, libuv's pool, the plugin's watchdog
 * worker). Clock ticks of 10 ms.
 */
function threadCpu() {
  try {
    let mainMs = 0;
    let otherMs = 0;
    for (const tid of fs.readdirSync('/proc/self/task')) {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime
      if (tid === String(process.pid)) mainMs += ms;
      else otherMs += ms;
    }
    return { mainCpuMs: mainMs, otherCpuMs: otherMs };
  } catch {
    return { mainCpuMs: null, otherCpuMs: null };
  }
}

