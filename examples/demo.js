#!/usr/bin/env node
'use strict';
/**
 * The demo: builds examples/app with babel-plugin-cached-macros
 *
 *   1. cold  — empty store, new Node process: every cached signature is generated once;
 *   2. warm  — same store, another new process: nothing is generated, all from the store;
 *   then runs the built app and checks its output;
 *   3. after editing schema.macro's schema-messages.json (restored afterwards): only the
 *      expansions that read that file are regenerated.
 *
 *   node examples/demo.js          (after `npx tsc -p .`; `npm run demo` does both)
 *
 * Each build runs in its own process (examples/build-app.js), as separate CI jobs or
 * developer builds would, so "warm" means the persistent store, not a warm in-process cache.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { formatMacros, totals } = require('./build-app');

const ROOT = path.join(__dirname, '..');
const CACHE = path.join(__dirname, '.cache', 'store');
const MESSAGES = path.join(__dirname, 'packages', 'schema.macro', 'schema-messages.json');
const rel = (p) => path.relative(process.cwd(), p) || '.';

/** Runs a Node script in a new process; throws with its stderr when it fails. */
function node(args, options = {}) {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', ...options });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr || r.stdout}`);
  return { stdout: r.stdout, ms: performance.now() - started };
}

/** One build of the app in a fresh process; prints its table and returns its report. */
function buildRun(title) {
  const { stdout, ms } = node([path.join(__dirname, 'build-app.js'), '--cache-dir', CACHE, '--json']);
  const result = JSON.parse(stdout.trim().split('\n').pop());
  const epochs = result.files.map((f) => f.report?.epoch).filter((e) => e != null);
  console.log(`\n== ${title}`);
  console.log(`   ${result.files.length} files transformed in ${result.totalMs.toFixed(0)} ms (process ${ms.toFixed(0)} ms), store epoch ${Math.max(...epochs)}\n`);
  console.log(indent(formatMacros(result)));
  return result;
}

/** The built app's files, to check that a warm build writes exactly what the cold one did. */
function snapshot() {
  const dir = path.join(__dirname, 'app', 'dist');
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}

function indent(text) {
  return text.replace(/^/gm, '   ');
}

/** "warm: 0 generated, 8 from cache" and the plain generators' share. */
function summary(label, result, cold) {
  const t = totals(result);
  const saved = cold ? `; cold run spent ${totals(cold).cached.ms.toFixed(1)} ms in them` : '';
  return (
    `${label}: ${t.cached.generated} generated, ${t.cached.hits} from cache ` +
    `(cached generators: ${t.cached.ms.toFixed(1)} ms${saved}); ` +
    `plain generators: ${t.plain.generated} generated in ${t.plain.ms.toFixed(1)} ms (never stored, by design)`
  );
}

function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
    console.error('The plugin is not built: run `npx tsc -p .` in the repository root first (or `npm run demo`).');
    process.exit(1);
  }
  fs.rmSync(path.dirname(CACHE), { recursive: true, force: true });
  console.log(`babel-plugin-cached-macros demo: building ${rel(path.join(__dirname, 'app'))} with store ${rel(CACHE)} (removed first)`);
  console.log('columns: signatures are distinct per file, summed over files; "from cache" = memory + store hits');

  const cold = buildRun('run 1: cold (empty store, new process)');
  console.log(`\n   ${summary('cold', cold)}`);
  const coldOutput = snapshot();
  const warm = buildRun('run 2: warm (same store, new process)');
  console.log(`\n   ${summary('warm', warm, cold)}`);
  const same = JSON.stringify(snapshot()) === JSON.stringify(coldOutput);
  console.log(`   app/dist after the warm build is ${same ? 'byte-for-byte identical to' : 'DIFFERENT from'} the cold build's`);
  if (!same) process.exitCode = 1;

  console.log(`\n== running the built app: node ${rel(path.join(__dirname, 'app', 'test-run.js'))}\n`);
  const app = node([path.join(__dirname, 'app', 'test-run.js')]).stdout.trimEnd().split('\n');
  console.log(indent([...app.slice(0, 6), '   …', ...app.slice(-12)].join('\n')));

  const original = fs.readFileSync(MESSAGES, 'utf8');
  try {
    const edited = original.replace('"must match {pattern}"', '"does not match {pattern}"');
    fs.writeFileSync(MESSAGES, edited);
    const third = buildRun(`run 3: after editing ${rel(MESSAGES)} ("must match" → "does not match")`);
    console.log();
    for (const [name, m] of Object.entries(third.macros).sort()) {
      if (!m.cached) continue;
      const what = m.generated > 0
        ? `${m.generated} regenerated (${m.invalidations} stored entries were stale: they read the edited file)`
        : `all ${m.memoryHits + m.storeHits} from cache (never read the file)`;
      console.log(`   ${name}: ${what}`);
    }
    const probe = node(['-e', `
      const { runDay } = require(${JSON.stringify(path.join(__dirname, 'app', 'dist', 'main.js'))});
      const { log } = runDay(require(${JSON.stringify(path.join(__dirname, 'app', 'sample-day.json'))}));
      console.log(log.filter((l) => l.includes('match')).slice(0, 2).join('\\n'));`]);
    console.log(`\n   the rebuilt app now says:\n${indent(indent(probe.stdout.trimEnd()))}`);
  } finally {
    fs.writeFileSync(MESSAGES, original);
  }
  const restored = buildRun(`run 4: ${rel(MESSAGES)} restored (leaves app/dist as committed sources build it)`);
  console.log(`\n   ${summary('restored', restored)}`);
  console.log('   (run 3 capped the original validators; restoring the file makes their recorded dependency');
  console.log('   match again, so the retained entries are revived instead of generating; the guards never noticed)');
}

main();
