#!/usr/bin/env node
/**
 * Micro-benchmark of the generator watchdog alone: `watched()` around a trivial run, N times,
 * wall and process CPU time (the worker included) per run; alongside, the same loop without the
 * watchdog, the same with 50 µs of work per run (a tenth as many runs), and the cost of building
 * (and encoding) the warning text alone.
 * Usage: node bench/watchdog.js [DIST_DIR] [--runs N] [--rounds R]   (default dist/, 100000, 5)
 */
'use strict';
const path = require('path');

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const dist = path.resolve(args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--'))) ?? path.join(__dirname, '..', 'dist'));
const runs = flag('--runs', 100_000);
const rounds = flag('--rounds', 5);
const { watched } = require(path.join(dist, 'generate', 'watchdog.js'));
const { disposeSession } = require(path.join(dist, 'build', 'session.js'));

// As generate/run.ts builds it: a template with the macro, signature and call site.
const message = (i) =>
  `[cached-macros] warning: the macro printf has been generating the signature (string, number) #${i} for over ` +
  `10 s (called at /home/user/project/src/some/file-${i & 7}.js:12:34); the build waits for it. Is it stuck in a loop? (option watchdogMs sets this limit, false turns it off)\n`;

let sink = 0;
const encoder = new TextEncoder();
const bytes = new Uint8Array(2048);
// What a run costs without the watchdog, and the share of building and encoding its message.
// Spaced runs: in a build, the worker sleeps between generator runs, and waking it costs more
// than feeding a busy one (the old design's messages); 50 µs of work per run, a tenth of the runs.
const busy = (i) => {
  const end = process.hrtime.bigint() + 50_000n;
  while (process.hrtime.bigint() < end);
  return i;
};
const variants = {
  watched: (i) => watched(10_000, () => message(i), () => i),
  'no watchdog': (i) => watched(null, () => message(i), () => i),
  'watched, 50 µs runs': (i) => (i % 10 ? 0 : watched(10_000, () => message(i), () => busy(i))),
  'none, 50 µs runs': (i) => (i % 10 ? 0 : watched(null, () => message(i), () => busy(i))),
  'message only': (i) => message(i).length,
  'message + encodeInto': (i) => encoder.encodeInto(message(i), bytes).written,
};
const results = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let r = 0; r < rounds + 1; r++) {
  for (const [name, run] of Object.entries(variants)) {
    const t0 = process.cpuUsage();
    const m0 = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) sink += run(i);
    const wall = Number(process.hrtime.bigint() - m0) / 1e6;
    const cpu = process.cpuUsage(t0);
    if (r > 0) results[name].push({ wall, cpu: (cpu.user + cpu.system) / 1000 }); // round 0 warms up
  }
}
// Let the worker drain what it was sent (the old design queues messages) before the session ends.
setTimeout(() => {
  const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  console.log(`${path.relative(process.cwd(), dist) || dist}: ${runs} runs x ${rounds} rounds, medians [${sink > 0 ? 'ok' : ''}]`);
  for (const [name, xs] of Object.entries(results)) {
    const n = name.includes('50 µs') ? runs / 10 : runs;
    const wall = med(xs.map((x) => x.wall)) * (runs / n);
    const cpu = med(xs.map((x) => x.cpu)) * (runs / n);
    console.log(`  ${name.padEnd(22)} wall ${((wall * 1000) / runs).toFixed(2)} µs/run, process CPU ${((cpu * 1000) / runs).toFixed(2)} µs/run`);
  }
  disposeSession();
}, 200);
