'use strict';
/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by component (plugin file,
 * Babel package, macro package, SQLite, GC…), the hottest functions by self time, and the
 * inclusive time of the plugin's own functions (dist/*.js), as percentages of all samples.
 *
 *   node bench/profile.js FILE.cpuprofile
 *   node bench/run.js --profile schema:warm      (runs one build under the profiler first)
 */
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');

function componentOf(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const u = url.replace(/^file:\/\//, '');
  for (const dist of [path.join(ROOT, 'dist'), path.join(__dirname, '.work', 'plugin', 'dist')]) {
    if (u.startsWith(dist + path.sep)) return `plugin ${path.relative(dist, u)}`;
  }
  const babel = /node_modules\/(@babel\/[^/]+)/.exec(u);
  if (babel) return babel[1];
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
  if (pkg) return pkg[1];
  if (u.includes(`${path.sep}bench${path.sep}macros${path.sep}`)) return 'bench/macros (createMacro ports)';
  if (u.startsWith('node:')) return 'node internals';
  return path.relative(ROOT, u);
}

function summarize(file, { top = 25 } = {}) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  let total = 0;
  for (const v of selfUs.values()) total += v;
  const idle = [...selfUs].filter(([id]) => byId.get(id).callFrame.functionName === '(idle)').reduce((s, [, v]) => s + v, 0);
  const busy = total - idle;

  const key = (n) => {
    const f = n.callFrame;
    const url = f.url ? f.url.replace(/^file:\/\//, '') : '';
    return `${f.functionName || '(anonymous)'} ${url ? `${path.relative(ROOT, url)}:${f.lineNumber + 1}` : ''}`.trim();
  };
  const byComponent = new Map();
  const byFunction = new Map();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    const comp = componentOf(n.callFrame.url, n.callFrame.functionName);
    byComponent.set(comp, (byComponent.get(comp) ?? 0) + us);
    const k = key(n);
    byFunction.set(k, (byFunction.get(k) ?? 0) + us);
  }
  // Inclusive time of plugin functions: each sample counts once per distinct function on its stack.
  const inclusive = new Map();
  prof.samples.forEach((id, i) => {
    const us = prof.timeDeltas[i] ?? 0;
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n.callFrame.url.includes(`${path.sep}dist${path.sep}`) && !n.callFrame.url.includes(`${path.sep}bench${path.sep}macros`)) continue;
      const k = key(n);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  });
  const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  const ms = (us) => `${(us / 1000).toFixed(0).padStart(6)} ms`;
  const lines = [];
  lines.push(`profile ${path.basename(file)}: ${(busy / 1000).toFixed(0)} ms on CPU (idle ${(idle / 1000).toFixed(0)} ms excluded)`);
  lines.push('', 'self time by component:');
  for (const [k, v] of [...byComponent].sort((a, b) => b[1] - a[1]).slice(0, 18)) lines.push(`  ${pct(v)} ${ms(v)}  ${k}`);
  lines.push('', `hottest functions (self time, top ${top}):`);
  for (const [k, v] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)} ${ms(v)}  ${k}`);
  lines.push('', 'plugin functions, inclusive time (children included):');
  for (const [k, v] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)} ${ms(v)}  ${k}`);
  return lines.join('\n');
}

module.exports = { summarize };

if (require.main === module) {
  console.log(summarize(process.argv[2], { top: Number(process.argv[3] ?? 25) }));
}
