'use strict';
/**
 * Where a build's memory goes: one build per configuration in a fresh process under
 * `node --trace-gc`, summarised (peak RSS, CPU, GC count and time by kind, the largest heap, the
 * live set after each full GC, MB allocated), and at the end of the build what the plugin still
 * retains, by session memo (each cleared in turn, with a full GC before and after).
 *
 *   node bench/memory.js [--corpus scale-10k|DIR] [--configs warm,baseline] [--rounds 1]
 *
 * Needs the corpus from one earlier `node bench/run.js --full` (bench/.work/corpora/NAME), or a
 * corpus directory of the same layout (`manifest.json`, `src/`, `expanded/`). Measures
 * this repository's dist/ (build first), snapshotted into bench/.work/memory/: the plugin's code
 * is part of every cache key, so the warm store is seeded here by one cold build with that
 * snapshot (not run.js's snapshot, which another build of the plugin would miss).
 *
 * Run with BENCH_MEMORY_PROBE=1 as a preload (`-r`), this file is the probe instead.
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

if (process.env.BENCH_MEMORY_PROBE) probe();
else main();

function main() {
  const args = { corpus: 'scale-10k', configs: ['warm', 'baseline'], rounds: 1 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--corpus') args.corpus = argv[++i];
    else if (argv[i] === '--configs') args.configs = argv[++i].split(',');
    else if (argv[i] === '--rounds') args.rounds = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (see the header of bench/memory.js)`);
  }
  const ROOT = path.resolve(__dirname, '..');
  const corpus = args.corpus.includes(path.sep) ? path.resolve(args.corpus) : path.join(__dirname, '.work', 'corpora', args.corpus);
  const name = path.basename(corpus);
  if (!fs.existsSync(path.join(corpus, 'manifest.json'))) throw new Error(`no corpus at ${corpus}: run node bench/run.js --full once`);
  const manifest = JSON.parse(fs.readFileSync(path.join(corpus, 'manifest.json'), 'utf8'));

  // The work directory: the plugin as built now, the example macro packages requiring it.
  const work = path.join(__dirname, '.work', 'memory');
  const plugin = path.join(work, 'plugin');
  const packages = path.join(work, 'node_modules');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(packages, { recursive: true });
  fs.cpSync(path.join(ROOT, 'dist'), path.join(plugin, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(plugin, 'package.json'));
  for (const pkg of ['printf.macro', 'schema.macro']) fs.cpSync(path.join(ROOT, 'examples', 'packages', pkg), path.join(packages, pkg), { recursive: true });
  fs.symlinkSync(path.relative(packages, plugin), path.join(packages, 'babel-plugin-cached-macros'), 'dir');

  const env = { ...process.env, BENCH_PLUGIN: plugin, NODE_PATH: path.join(ROOT, 'node_modules') };
  delete env.NODE_OPTIONS;
  const run = (job, probed) => {
    const jobFile = path.join(work, 'job.json');
    fs.writeFileSync(jobFile, JSON.stringify({ cwd: work, macrosDir: path.join(__dirname, 'macros'), files: manifest.fileNames, ...job }));
    const nodeArgs = probed ? ['--trace-gc', '--expose-gc', '-r', __filename] : [];
    const r = spawnSync(process.execPath, [...nodeArgs, path.join(__dirname, 'child.js'), jobFile], {
      cwd: work,
      env: { ...env, BENCH_MEMORY_PROBE: probed ? '1' : '' },
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
    if (r.status !== 0) throw new Error(`${job.mode} build failed (exit ${r.status}):\n${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    return { out: JSON.parse(lines.filter((l) => l.startsWith('{')).pop()), gc: summariseGc(lines), probe: r.stderr.split('\n').find((l) => l.startsWith('MEMORY ')) };
  };

  const seed = path.join(work, 'store-seed');
  const store = path.join(work, 'store');
  if (args.configs.some((c) => c === 'warm')) {
    console.error(`memory: seeding a warm store (one cold build of ${name})...`);
    run({ mode: 'cached', srcDir: path.join(corpus, 'src'), cacheDir: seed }, false);
  }
  for (let round = 0; round < args.rounds; round++) {
    for (const config of args.configs) {
      let job;
      if (config === 'baseline') job = { mode: 'baseline', srcDir: path.join(corpus, 'expanded') };
      else if (config === 'warm' || config === 'cold') {
        fs.rmSync(store, { recursive: true, force: true });
        if (config === 'warm') fs.cpSync(seed, store, { recursive: true });
        job = { mode: 'cached', srcDir: path.join(corpus, 'src'), cacheDir: store };
      } else throw new Error(`unknown configuration ${config} (baseline, cold, warm)`);
      const { out, gc, probe: retained } = run(job, true);
      const mb = (kb) => Math.round(kb / 1024);
      console.log(`${name} ${config}: peak RSS ${mb(out.maxRssKB)} MB, CPU ${Math.round(out.userMs + out.systemMs)} ms, ${out.files} files, ${out.generated} generated`);
      console.log(`  ${gc}`);
      if (retained) console.log(`  ${retained.slice('MEMORY '.length)}`);
    }
  }
}

/** Totals of `--trace-gc` lines: count and pause per kind, MB allocated, largest heap, live after full GCs. */
function summariseGc(lines) {
  const kinds = {};
  let prevAfter = 0;
  let allocated = 0;
  let maxUsed = 0;
  const live = [];
  // The watchdog's worker thread is an isolate of its own and prints too: count the main one's (the first to print).
  const isolate = (line) => /^\[\d+:0x[0-9a-f]+\]/.exec(line)?.[0];
  const main = isolate(lines.find((l) => / ms: /.test(l)) ?? '');
  for (const line of lines) {
    const m = /ms: (Scavenge|Mark-Compact(?: \(reduce\))?|Minor Mark-Compact)\s+([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB, (?:pooled: [\d.]+ MB, )?([\d.]+)/.exec(line);
    if (!m || isolate(line) !== main) continue;
    const [, kind, before, , after, , pause] = m;
    const k = (kinds[kind] ??= { n: 0, ms: 0 });
    k.n++;
    k.ms += Number(pause);
    allocated += Math.max(0, Number(before) - prevAfter);
    prevAfter = Number(after);
    maxUsed = Math.max(maxUsed, Number(before));
    if (kind.startsWith('Mark-Compact')) live.push(Math.round(Number(after)));
  }
  const byKind = Object.entries(kinds).map(([kind, v]) => `${kind} ${v.n}× ${Math.round(v.ms)} ms`).join(', ');
  return `GC: ${byKind}; ~${Math.round(allocated)} MB allocated; largest heap used ${Math.round(maxUsed)} MB; live after full GCs (MB): ${live.join(' ')}`;
}

/** The preload: at exit, what the plugin's session still holds (cleared memo by memo). */
function probe() {
  process.on('exit', () => {
    const mb = (b) => (b / 1048576).toFixed(1);
    const used = () => {
      global.gc();
      global.gc();
      return process.memoryUsage().heapUsed;
    };
    const parts = [];
    let prev = used();
    parts.push(`live at the end ${mb(prev)} MB`);
    const sessionModule = path.join(process.env.BENCH_PLUGIN, 'dist', 'build', 'session.js');
    if (require.cache[sessionModule]) {
      const s = require(sessionModule).session();
      const step = (what, clear) => {
        clear();
        const now = used();
        parts.push(`${what} ${mb(prev - now)}`);
        prev = now;
      };
      parts.push(`(tier: ${s.templates.entries.size} entries, ${s.templates.total} chars)`);
      step('tier only', () => s.templates.entries.clear());
      step('parse memo', () => (s.parsedTexts = null));
      step('serialisation memo', () => (s.serializedTexts = null));
      step('rest of the session', () => require(sessionModule).disposeSession());
      parts.push(`left ${mb(prev)} MB`);
    }
    process.stderr.write(`MEMORY ${parts.join(', ')}\n`);
  });
}
