#!/usr/bin/env node
'use strict';
/**
 * Micro-benchmark (tinybench) of the in-process hit path of a CachedGenerator: a file whose
 * every (macro, signature) is already in the process's memory tier, as in the 2nd…Nth file of a
 * build or a watch rebuild. Reports ns per call site.
 *
 *   node bench/micro.js [--json]     (bench/run.js runs it first; needs the plugin built)
 *
 * Tasks, each over the call sites of one corpus file (20 call sites of schema.macro, 300 lines):
 *   hit path       expandFile() on a freshly parsed file: collect sites, signature keys, memory-
 *                  tier lookups with dependency checks, splice, remove imports (what the plugin
 *                  does per file on a hit); parsing the file (Babel's work) is outside the timing
 *   signature key  inferArgType + applyConstArgs + makeSignature for every site
 *   lookup         memory-tier get + dependency check for every site
 *   rewrite        replace every site by its inline expression (FileSplicer.rewrite)
 *   hoist          one copy of each signature's hoisted expansion into the file (+ finish)
 *   store hit      per signature: SQLite getMany (checksum, JSON) + parseExpansion: what a
 *                  signature costs the first time a process meets it in a warm store
 * Parsing and scope building happen in `beforeEach`, which tinybench does not time.
 */
const fs = require('fs');
const path = require('path');
const { Bench, hrtimeNow } = require('tinybench');

const ROOT = path.resolve(__dirname, '..');
const WORK = path.join(__dirname, '.work');
const dist = (m) => require(path.join(process.env.BENCH_PLUGIN || ROOT, 'dist', m));

const { parse } = require('@babel/parser');
const traverse = require('@babel/traverse').default;

function programOf(code) {
  const ast = parse(code, { sourceType: 'module' });
  let program;
  traverse(ast, {
    Program(p) {
      program = p;
      p.stop();
    },
  });
  return program;
}

async function main() {
  const json = process.argv.includes('--json');
  const { generateCorpus } = require('./corpus');
  const { expandFile } = dist('expand/expand-file.js');
  const { Build } = dist('build/build.js');
  const { memoryTier } = dist('store/memory-tier.js');
  const { resolveOptions } = dist('build/options.js');
  const { collectSites } = dist('expand/call-sites.js');
  const { inferArgType, applyConstArgs, makeSignature, signatureHint } = dist('signature');
  const { depsUpToDate } = dist('deps/dependency-check.js');
  const { babelRuntime } = dist('build/babel-runtime.js');
  const { FileSplicer } = dist('template/splice.js');
  const { siteArguments } = dist('expand/call-sites.js');
  const { parseExpansion } = dist('template/expansion.js');
  const { resolveMacro } = dist('load/macro-loader.js');

  if (!fs.existsSync(path.join(WORK, 'node_modules', 'schema.macro'))) {
    throw new Error('bench/.work is not prepared: run `node bench/run.js` (it sets it up and runs this first)');
  }
  const dir = path.join(WORK, 'micro');
  const manifest = generateCorpus({ dir, family: 'schema', files: 1, callsPerFile: 20, signatures: 200, seed: 7 });
  const filename = path.join(dir, 'src', manifest.fileNames[0]);
  const code = fs.readFileSync(filename, 'utf8');
  const cacheDir = path.join(dir, 'store');
  fs.rmSync(cacheDir, { recursive: true, force: true });
  const babel = babelRuntime(require('@babel/core'));
  const build = new Build(resolveOptions({ cacheDir }, WORK), babel, WORK);

  // Warm up: the first expansion generates and fills the memory tier (and the store).
  const first = expandFile(programOf(code), filename, WORK, build);
  const sites = Object.values(first.macros).reduce((s, m) => s + m.calls, 0);
  const check = expandFile(programOf(code), filename, WORK, build);
  const hits = Object.values(check.macros).reduce((s, m) => s + m.memoryHits, 0);
  const generated = Object.values(check.macros).reduce((s, m) => s + m.generated, 0);
  if (generated !== 0 || hits === 0) throw new Error(`the second expansion was not all hits (${generated} generated, ${hits} hits)`);

  // Sites with their definitions, for the component tasks.
  const prepared = () => {
    const program = programOf(code);
    const out = [];
    for (const decl of program.get('body').filter((p) => p.isImportDeclaration() && /macro$/.test(p.node.source.value))) {
      const mod = build.module(resolveMacro(decl.node.source.value, filename, WORK), WORK);
      for (const site of collectSites(decl).sites) out.push({ site, def: build.definition(mod, site.importedName) });
    }
    return { program, sites: out };
  };
  const fixed = prepared();
  // The memory tier's key format is internal to expand-file.ts: try the known layouts.
  const layouts = [
    (def, sig) => `${build.options.store}:${build.options.cacheDir}\0${def.id}\0${def.fingerprint}\0${sig.key}`,
    (def, sig) => `${def.id}\0${def.fingerprint}\0${sig.key}`,
  ];
  const sigOf = ({ site, def }) => makeSignature(applyConstArgs(site.argPaths.map((p) => inferArgType(p)), def.cls.constArgs));
  const layout = layouts.find((f) => memoryTier.get(f(fixed.sites[0].def, sigOf(fixed.sites[0]))));
  if (!layout) throw new Error('cannot find the memory tier key layout of this plugin version (see expand-file.ts memoryKey): update bench/micro.js');
  const keyOf = (s) => {
    const sig = sigOf(s);
    return { sig, key: layout(s.def, sig) };
  };
  const keys = fixed.sites.map(keyOf);
  const fileHash = (p) => build.fileHash(p);
  // The persistent rows (SQLite): the ledger's, read at the build's epoch.
  const far = build.ledger;
  const distinct = [...new Map(fixed.sites.map((s, i) => [keys[i].key, { macroId: s.def.id, fingerprint: s.def.fingerprint, sigKey: keys[i].sig.key }])).values()];

  // tinybench runs a task until its *timed* part reaches `time`; tasks with a costly untimed
  // beforeEach (parsing a fresh file) get a small budget so they do not run for minutes.
  const bench = new Bench({ time: 1000, warmupTime: 200, now: hrtimeNow });
  const withSetup = new Bench({ time: 150, warmupTime: 30, iterations: 60, now: hrtimeNow });
  let program;
  let sitesOf;
  withSetup.add('hit path (expandFile, all memory hits)', () => {
    expandFile(program, filename, WORK, build);
  }, { beforeEach: () => void (program = programOf(code)) });
  bench.add('signature key', () => {
    for (const s of fixed.sites) keyOf(s);
  });
  bench.add('lookup (memory tier + dependency check)', () => {
    for (const k of keys) {
      const e = memoryTier.get(k.key);
      if (!e || !depsUpToDate(e.deps, fileHash, build.envKey)) throw new Error('miss');
    }
  });
  // Splice, split in its per-site part (rewrite) and its per-(signature, file) part (hoist).
  let splice;
  const prepareSplice = (hoistNow) => {
    const p = prepared();
    const splicer = new FileSplicer(p.program, babel.types);
    const order = p.sites.map((s, i) => ({ ...s, k: keys[i].key, sig: keys[i].sig })).sort((a, b) => b.site.path.node.start - a.site.path.node.start);
    const groups = new Map();
    for (const s of order) if (!groups.has(s.k)) groups.set(s.k, { s, template: memoryTier.get(s.k).template, id: null });
    if (hoistNow) for (const g of groups.values()) g.id = splicer.hoist(g.template, `${g.s.site.displayName}$${signatureHint(g.s.sig)}`, g.s.site.path.node.loc);
    splice = { splicer, order, groups };
  };
  withSetup.add('rewrite (replace each call site by its inline expression)', () => {
    for (const s of splice.order) {
      const g = splice.groups.get(s.k);
      splice.splicer.rewrite(s.site.path, g.template, g.id, siteArguments(s.site, babel.types));
    }
  }, { beforeEach: () => prepareSplice(true) });
  withSetup.add('hoist (one copy of each expansion per file) + finish', () => {
    for (const g of splice.groups.values()) g.id = splice.splicer.hoist(g.template, `${g.s.site.displayName}$${signatureHint(g.s.sig)}`, g.s.site.path.node.loc);
    splice.splicer.finish();
  }, { beforeEach: () => prepareSplice(false) });
  bench.add('store hit (SQLite getMany + parse, per file\'s distinct signatures)', () => {
    const found = far.getMany(distinct, build.epoch);
    for (const e of found) parseExpansion(e.expansion, babel);
  });
  withSetup.runSync();
  bench.runSync();
  const byName = new Map([...withSetup.tasks, ...bench.tasks].map((t) => [t.name, t]));
  const tasks = ['hit path (expandFile, all memory hits)', 'signature key', 'lookup (memory tier + dependency check)',
    'rewrite (replace each call site by its inline expression)', 'hoist (one copy of each expansion per file) + finish',
    "store hit (SQLite getMany + parse, per file's distinct signatures)"].map((n) => byName.get(n));

  const perSite = (task, n) => (task.result.latency.p50 * 1e6) / n;
  const perSignature = (i) => i >= 4;
  const rows = tasks.map((task, i) => {
    const n = perSignature(i) ? distinct.length : sites;
    return {
      name: task.name,
      per: perSignature(i) ? 'signature' : 'call site',
      nsMedian: perSite(task, n),
      nsMean: (task.result.latency.mean * 1e6) / n,
      rmePercent: task.result.latency.rme,
      samples: task.result.latency.samplesCount,
    };
  });
  const result = {
    file: path.relative(ROOT, filename),
    callSites: sites,
    distinctSignatures: distinct.length,
    tasks: rows,
    hitPathNsPerSite: rows[0].nsMedian,
    // Per call site: signature key + lookup + rewrite; hoisting is paid per (signature, file).
    perSiteNs: rows[1].nsMedian + rows[2].nsMedian + rows[3].nsMedian,
    hoistNsPerSignature: rows[4].nsMedian,
    storeHitNsPerSignature: rows[5].nsMedian,
  };
  if (json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    console.log(`${result.callSites} call sites, ${result.distinctSignatures} distinct signatures (${result.file})`);
    for (const r of rows) console.log(`${r.name.padEnd(70)} ${r.nsMedian.toFixed(0).padStart(8)} ns per ${r.per} (median; mean ${r.nsMean.toFixed(0)}, ±${r.rmePercent.toFixed(1)}%, ${r.samples} samples)`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
