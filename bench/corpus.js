'use strict';
/**
 * Deterministic benchmark corpus: F JavaScript files of ordinary application code (a few
 * hundred lines each: loops, switches, classes, try/catch, array pipelines) with C macro call
 * sites per file, whose signatures are drawn from S distinct signatures with a Zipf
 * distribution (rank r has weight 1 / r^1.1: a few signatures are very common, a long tail is
 * rare).
 *
 * Everything is a pure function of (seed, family, F, C, S): the same arguments always give
 * byte-identical files, in any process.
 *
 * Families:
 *   printf  — printf.macro only (`printf(format, …)` and fmt`…`): the cheap plain Generator;
 *   schema  — schema.macro only (`validate({…})`, `is({…})`): the expensive CachedGenerator;
 *   mixed   — both: one signature in three is a schema, the others printf/fmt.
 */
const fs = require('fs');
const path = require('path');

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: a small, fast, well-distributed 32-bit PRNG. Returns floats in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes integers into one 32-bit seed (FNV-1a over their decimal text). */
function seedOf(...parts) {
  let h = 0x811c9dc5;
  for (const ch of parts.join('|')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

class Rand {
  constructor(seed) {
    this.next = prng(seed);
  }
  int(lo, hi) {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick(list) {
    return list[Math.floor(this.next() * list.length)];
  }
  /** Picks from [[weight, value], …]. */
  weighted(pairs) {
    const total = pairs.reduce((s, [w]) => s + w, 0);
    let x = this.next() * total;
    for (const [w, v] of pairs) {
      if ((x -= w) < 0) return v;
    }
    return pairs[pairs.length - 1][1];
  }
  chance(p) {
    return this.next() < p;
  }
}

/** Zipf sampler over ranks 0..n-1 with exponent s (weight of rank r is 1/(r+1)^s). */
function zipf(n, s = 1.1) {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let r = 0; r < n; r++) cdf[r] = acc += 1 / Math.pow(r + 1, s);
  return (u) => {
    const x = u * acc;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const NOUNS = ['order', 'invoice', 'customer', 'shipment', 'payment', 'account', 'ticket', 'product', 'cart', 'refund',
  'report', 'session', 'user', 'batch', 'job', 'record', 'entry', 'item', 'request', 'event', 'message', 'task',
  'project', 'team', 'budget', 'review', 'warehouse', 'supplier', 'coupon', 'subscription'];
const VERBS = ['loaded', 'saved', 'sent', 'received', 'rejected', 'accepted', 'queued', 'retried', 'skipped', 'merged',
  'archived', 'opened', 'closed', 'updated', 'created', 'deleted', 'validated', 'shipped', 'billed', 'cancelled'];
const WORDS = ['total', 'count', 'for', 'in', 'after', 'with', 'from', 'to', 'of', 'items', 'ms', 'bytes', 'left',
  'remaining', 'at', 'by', 'status', 'id', 'name', 'amount', 'tries', 'since', 'until', 'per', 'page', 'rows'];
const FIELDS = ['id', 'name', 'email', 'age', 'role', 'tags', 'status', 'price', 'qty', 'sku', 'zip', 'city', 'country',
  'createdAt', 'updatedAt', 'owner', 'title', 'note', 'score', 'level', 'currency', 'amount', 'active', 'kind',
  'phone', 'street', 'region', 'code', 'weight', 'width', 'height', 'color', 'size', 'rating', 'version', 'token',
  'parent', 'slug', 'locale', 'timezone', 'discount', 'vat', 'iban', 'method', 'channel', 'priority', 'due', 'label'];
const ENUMS = [['admin', 'staff', 'customer'], ['DE', 'FR', 'NL', 'US'], ['open', 'closed'], ['low', 'normal', 'high'],
  ['EUR', 'USD', 'GBP'], ['card', 'sepa', 'invoice'], ['draft', 'sent', 'paid', 'void'], ['s', 'm', 'l', 'xl']];
const SCALARS = ['string', 'string(1..)', 'string(1..80)', 'string(2..3)', 'number', 'number(0..)', 'integer',
  'integer(1..)', 'integer(0..150)', 'boolean', 'email', 'uuid', 'any', 'string|null', '/^\\d{5}$/', '/^[A-Z]{2}$/',
  '/^[a-z0-9-]+$/', 'number(0..100)'];

// ---------------------------------------------------------------------------------------------
// Signatures: signature j of a family is a pure function of (seed, family, j)

const DIRECTIVES = [[5, '%s'], [3, '%d'], [1, '%i'], [2, '%.2f'], [1, '%j'], [1, '%x']];
/** Argument kinds each directive is called with (the plugin keeps them in the signature). */
const KINDS_FOR = {
  '%s': [[4, 'unknown'], [3, 'string'], [2, 'number'], [1, 'boolean']],
  '%d': [[3, 'number'], [2, 'unknown']],
  '%i': [[1, 'number'], [1, 'unknown']],
  '%.2f': [[3, 'number'], [1, 'unknown']],
  '%j': [[1, 'unknown']],
  '%x': [[2, 'number'], [1, 'unknown']],
};

function printfSignature(r) {
  const tagged = r.chance(0.2);
  const n = r.weighted([[2, 1], [4, 2], [3, 3], [1, 4]]);
  const words = () => Array.from({ length: r.int(1, 3) }, () => r.pick(r.chance(0.5) ? WORDS : r.chance(0.5) ? NOUNS : VERBS)).join(' ');
  if (tagged) {
    // fmt`text ${a} text ${b}%.2f text`: a directive may open the text after a value.
    const chunks = [`${r.pick(NOUNS)} ${words()} `];
    const kinds = [];
    for (let i = 0; i < n; i++) {
      const dir = r.chance(0.3) ? r.pick(['%d', '%.2f', '%j']) : '';
      kinds.push(r.weighted(KINDS_FOR[dir || '%s']));
      chunks.push(`${dir}${i === n - 1 ? r.chance(0.5) ? '' : ` ${words()}` : ` ${words()} `}`);
    }
    return { macro: 'fmt', chunks, kinds };
  }
  let format = `${r.pick(NOUNS)} ${r.pick(VERBS)}`;
  const kinds = [];
  for (let i = 0; i < n; i++) {
    const dir = r.weighted(DIRECTIVES);
    kinds.push(r.weighted(KINDS_FOR[dir]));
    format += r.chance(0.5) ? ` ${r.pick(WORDS)} ${dir}` : `: ${dir}`;
  }
  if (r.chance(0.3)) format += ` (${words()})`;
  return { macro: 'printf', format, kinds };
}

function schemaValue(r, depth) {
  const x = r.next();
  if (depth < 2 && x < 0.1) return schemaObject(r, depth + 1, r.int(2, 4));
  if (x < 0.2) return r.pick(ENUMS);
  if (x < 0.28) return [r.pick(SCALARS)];
  const s = r.pick(SCALARS);
  return r.chance(0.2) && !s.startsWith('/') ? `${s}?` : s;
}

function schemaObject(r, depth, n) {
  const keys = new Set();
  while (keys.size < n) keys.add(r.pick(FIELDS));
  const obj = {};
  for (const k of keys) obj[k] = schemaValue(r, depth);
  return obj;
}

function schemaSignature(r) {
  return { macro: r.chance(0.75) ? 'validate' : 'is', schema: schemaObject(r, 0, r.int(3, 8)) };
}

/** Identity of a signature, as the plugin will see it (property order does not matter to it). */
function sigIdentity(s) {
  if (s.macro === 'validate' || s.macro === 'is') return `${s.macro}:${canonicalJSON(s.schema)}`;
  return JSON.stringify([s.macro, s.format ?? s.chunks, s.kinds]);
}

function canonicalJSON(v) {
  if (Array.isArray(v)) return `[${v.map(canonicalJSON).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJSON(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Which family signature j of a corpus belongs to. */
function familyOf(corpusFamily, j) {
  if (corpusFamily !== 'mixed') return corpusFamily;
  return j % 3 === 1 ? 'schema' : 'printf';
}

/** The S distinct signatures of a corpus, in rank order (rank 0 is the most frequent). */
function signatures(seed, corpusFamily, S) {
  const out = [];
  const seen = new Set();
  for (let j = 0; out.length < S; j++) {
    const fam = familyOf(corpusFamily, out.length);
    const r = new Rand(seedOf(seed, 'sig', fam, j));
    const s = fam === 'schema' ? schemaSignature(r) : printfSignature(r);
    const id = sigIdentity(s);
    if (seen.has(id)) continue; // rare collision: draw again
    seen.add(id);
    out.push(s);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Code around the call sites

const LOCALS = {
  obj: ['input', 'order', 'payload', 'row', 'doc', 'req'],
  str: ['label', 'title', 'name', 'key', 'slug'],
  num: ['amount', 'total', 'sum', 'value', 'price'],
  cnt: ['seen', 'count', 'n', 'hits', 'done'],
  flag: ['verbose', 'dryRun', 'strict', 'force', 'quiet'],
  out: ['lines', 'log', 'out', 'notes', 'messages'],
};

function envOf(r) {
  const e = {};
  for (const [role, names] of Object.entries(LOCALS)) e[role] = r.pick(names);
  return e;
}

/** An argument expression whose inferred kind is `kind`, built from the function's locals. */
function argOf(r, kind, e) {
  switch (kind) {
    case 'string':
      return r.pick([`\`\${${e.str}}\``, `${e.str} + ''`, `\`\${${e.obj}.id}\``, `'#' + ${e.cnt}`]);
    case 'number':
      return r.pick([`+${e.num}`, `${e.cnt} * 2`, `${e.num} | 0`, `${e.obj}.items.length * 1`, `${e.num} - ${e.cnt}`]);
    case 'boolean':
      return r.pick([`!${e.flag}`, `${e.num} > 100`, `${e.cnt} === 0`]);
    default:
      return r.pick([e.str, `${e.obj}.id`, `${e.obj}.status`, e.num, `${e.obj}.owner.name`, `${e.obj}.items`]);
  }
}

function schemaLiteral(v, indent) {
  if (Array.isArray(v)) return `[${v.map((x) => schemaLiteral(x, indent)).join(', ')}]`;
  if (v && typeof v === 'object') {
    const inner = `${indent}  `;
    return `{\n${Object.entries(v).map(([k, x]) => `${inner}${k}: ${schemaLiteral(x, inner)},`).join('\n')}\n${indent}}`;
  }
  return `'${String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** One call site of signature `s`, as a statement inside a function with locals `e`. */
function callStatement(r, s, e, k) {
  if (s.macro === 'validate' || s.macro === 'is') {
    const schema = schemaLiteral(s.schema, '  ');
    if (s.macro === 'is') return `  if (!is(${schema})(${e.obj})) return { ok: false, ${e.out} };`;
    return r.pick([
      `  const check${k} = validate(${schema})(${e.obj});\n  if (!check${k}.ok) ${e.out}.push(...check${k}.errors);`,
      `  const result${k} = validate(${schema})(${e.obj}.payload);\n  if (!result${k}.ok) return { ok: false, errors: result${k}.errors };`,
    ]);
  }
  const args = s.kinds.map((kind) => argOf(r, kind, e));
  let call;
  if (s.macro === 'fmt') {
    const esc = (c) => c.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
    call = `fmt\`${esc(s.chunks[0])}${args.map((a, i) => `\${${a}}${esc(s.chunks[i + 1])}`).join('')}\``;
  } else {
    call = `printf(${[JSON.stringify(s.format).replace(/^"|"$/g, "'"), ...args].join(', ')})`;
  }
  return r.pick([
    `  ${e.out}.push(${call});`,
    `  if (${e.flag}) console.log(${call});`,
    `  const msg${k} = ${call};\n  ${e.out}.push(msg${k});`,
    `  ${e.out}.push(${e.cnt} > 0 ? ${call} : '');`,
  ]);
}

/** Blocks of ordinary code using the function's locals (each one or more statements). */
const BLOCKS = [
  (r, e) => `  for (const item of ${e.obj}.items ?? []) {
    ${e.cnt} += 1;
    ${e.num} += Number(item.qty) * Number(item.price);
    if (item.qty > ${r.int(2, 20)}) ${e.out}.push(item.sku);
  }`,
  (r, e) => `  switch (${e.obj}.status) {
    case 'open':
      ${e.cnt} += ${r.int(1, 3)};
      break;
    case 'closed':
      ${e.num} = Math.max(0, ${e.num} - ${r.int(1, 50)});
      break;
    default:
      ${e.out}.push('unknown status ' + ${e.obj}.status);
  }`,
  (r, e, id) => `  let parsed${id};
  try {
    parsed${id} = JSON.parse(${e.obj}.raw ?? '{}');
  } catch (err) {
    ${e.out}.push(err.message);
    parsed${id} = {};
  }`,
  (r, e, id) => `  const ${r.pick(['active', 'picked', 'kept', 'valid'])}${id} = (${e.obj}.items ?? [])
    .filter((x) => x && x.qty > 0)
    .map((x) => ({ sku: x.sku, cost: x.qty * x.price }))
    .sort((a, b) => b.cost - a.cost)
    .slice(0, ${r.int(3, 25)});`,
  (r, e, id) => `  const when${id} = new Date(${e.obj}.createdAt ?? Date.now());
  if (Number.isNaN(when${id}.getTime())) {
    ${e.out}.push('bad date');
  } else if (Date.now() - when${id}.getTime() > ${r.int(1, 90)} * 86400000) {
    ${e.cnt} += 1;
  }`,
  (r, e, id) => `  const groups${id} = new Map();
  for (const entry of ${e.obj}.entries ?? []) {
    const key = entry.kind ?? 'other';
    if (!groups${id}.has(key)) groups${id}.set(key, []);
    groups${id}.get(key).push(entry);
  }
  ${e.cnt} += groups${id}.size;`,
  (r, e, id) => `  let attempt${id} = 0;
  while (attempt${id} < ${r.int(2, 6)} && !${e.obj}.done) {
    attempt${id} += 1;
    if (${e.flag}) ${e.out}.push('attempt ' + attempt${id});
    ${e.obj}.done = ${e.obj}.tries > attempt${id};
  }`,
  (r, e, id) => `  const width${id} = ${r.int(8, 40)};
  ${e.str} = String(${e.str} ?? '').padEnd(width${id}, '.').slice(0, width${id});
  ${e.out}.push(${e.str} + ' ' + ${e.num}.toFixed(${r.int(0, 3)}));`,
  (r, e) => `  if (${e.num} > ${r.int(100, 10000)} && !${e.flag}) {
    ${e.out}.push('threshold exceeded');
    ${e.cnt} = ${e.cnt} + 1;
  } else if (${e.num} < 0) {
    throw new RangeError('negative amount: ' + ${e.num});
  }`,
  (r, e) => `  // ${r.pick(NOUNS)}s are ${r.pick(VERBS)} in batches of ${r.int(10, 500)}
  for (let i = 0; i < (${e.obj}.batches ?? 0); i += 1) {
    const batch = ${e.obj}.batches[i];
    ${e.num} += batch.reduce((acc, x) => acc + (x.amount || 0), 0);
  }`,
];

function fillBlock(r, e, id) {
  return r.pick(BLOCKS)(r, e, id);
}

let fnCounter = 0;
function functionCode(r, calls) {
  const e = envOf(r);
  const name = `${r.pick(['handle', 'process', 'summarize', 'check', 'build', 'collect', 'render', 'update'])}${cap(r.pick(NOUNS))}${fnCounter++}`;
  const blocks = Array.from({ length: r.int(3, 6) }, (_, i) => fillBlock(r, e, i));
  // Spread the call sites over the gaps between blocks.
  const slots = blocks.map(() => []);
  calls.forEach((c) => slots[r.int(0, slots.length - 1)].push(c(e)));
  const body = blocks.flatMap((b, i) => [...slots[i], b]);
  return `/**
 * ${cap(r.pick(VERBS))} ${r.pick(NOUNS)}s: ${r.pick(WORDS)} ${r.pick(WORDS)} ${r.pick(NOUNS)}.
 */
export function ${name}(${e.obj}, options = {}) {
  let ${e.str} = ${e.obj}.${r.pick(['name', 'title', 'label'])};
  let ${e.num} = Number(${e.obj}.total) || 0;
  let ${e.cnt} = 0;
  const ${e.flag} = Boolean(options.${e.flag});
  const ${e.out} = [];
${body.join('\n')}
  return { ${e.out}, ${e.cnt}, ${e.num}, ${e.str} };
}`;
}

function classCode(r) {
  const name = `${cap(r.pick(NOUNS))}${r.pick(['Cache', 'Index', 'Queue', 'Registry'])}${fnCounter++}`;
  return `export class ${name} {
  #items = new Map();
  #limit;

  constructor(limit = ${r.int(16, 4096)}) {
    this.#limit = limit;
  }

  get size() {
    return this.#items.size;
  }

  get(key) {
    const value = this.#items.get(key);
    if (value !== undefined) {
      this.#items.delete(key);
      this.#items.set(key, value);
    }
    return value;
  }

  set(key, value) {
    if (this.#items.has(key)) this.#items.delete(key);
    else if (this.#items.size >= this.#limit) this.#items.delete(this.#items.keys().next().value);
    this.#items.set(key, value);
    return this;
  }

  *entries() {
    for (const [key, value] of this.#items) yield { key, value };
  }
}`;
}

function cap(s) {
  return s[0].toUpperCase() + s.slice(1);
}

// ---------------------------------------------------------------------------------------------
// Files

/**
 * Writes the corpus into `dir/src` and returns its manifest.
 *
 * @param {{ dir: string, seed?: number, family: 'printf'|'schema'|'mixed', files: number,
 *           callsPerFile: number, signatures: number, linesPerFile?: [number, number] }} o
 */
function generateCorpus(o) {
  const seed = o.seed ?? 42;
  const sigs = signatures(seed, o.family, o.signatures);
  const sample = zipf(sigs.length);
  const src = path.join(o.dir, 'src');
  fs.rmSync(o.dir, { recursive: true, force: true });
  fs.mkdirSync(src, { recursive: true });
  const [minLines, maxLines] = o.linesPerFile ?? [220, 380];
  const used = new Map(); // signature index -> call sites
  let lines = 0;
  let bytes = 0;
  const files = [];
  for (let f = 0; f < o.files; f++) {
    fnCounter = 0;
    const r = new Rand(seedOf(seed, o.family, 'file', f));
    const picks = Array.from({ length: o.callsPerFile }, () => sample(r.next()));
    for (const j of picks) used.set(j, (used.get(j) ?? 0) + 1);
    const fams = new Set(picks.map((j) => (sigs[j].macro === 'validate' || sigs[j].macro === 'is' ? 'schema' : 'printf')));
    const imports = [];
    if (fams.has('printf')) imports.push(`import printf, { fmt } from 'printf.macro';`);
    if (fams.has('schema')) imports.push(`import { validate, is } from 'schema.macro';`);
    imports.push(`import { EventEmitter } from 'events';`);
    const target = r.int(minLines, maxLines);
    // Validators are often module-level constants: put some schema call sites there.
    const moduleLevel = [];
    const inFunctions = [];
    picks.forEach((j, k) => {
      const s = sigs[j];
      if ((s.macro === 'validate' || s.macro === 'is') && r.chance(0.4)) {
        moduleLevel.push(`export const ${r.pick(NOUNS)}${s.macro === 'is' ? 'Guard' : 'Validator'}${k} = ${s.macro}(${schemaLiteral(s.schema, '')});`);
      } else inFunctions.push((e) => callStatement(r, s, e, k));
    });
    // Distribute the call sites over functions; add plain functions and a class until the size is reached.
    const pieces = [];
    let pending = inFunctions;
    let size = 12 + moduleLevel.reduce((n, c) => n + c.split('\n').length, 0);
    while (pending.length > 0 || size < target) {
      if (pending.length === 0 && r.chance(0.15)) {
        const c = classCode(r);
        pieces.push(c);
        size += c.split('\n').length + 1;
        continue;
      }
      const take = pending.length === 0 ? 0 : Math.min(pending.length, r.int(1, 4));
      const code = functionCode(r, pending.slice(0, take));
      pending = pending.slice(take);
      pieces.push(code);
      size += code.split('\n').length + 1;
    }
    const code = `/**
 * ${cap(r.pick(NOUNS))} ${r.pick(NOUNS)} handling (generated benchmark file ${f}, seed ${seed}).
 */
${imports.join('\n')}

const DEFAULT_LIMIT = ${r.int(10, 1000)};
const emitter = new EventEmitter();
export const events = emitter;

export function limitOf(options) {
  return options && options.limit > 0 ? Math.min(options.limit, DEFAULT_LIMIT) : DEFAULT_LIMIT;
}
${moduleLevel.length ? `\n${moduleLevel.join('\n\n')}\n` : ''}
${pieces.join('\n\n')}
`;
    const name = `file${String(f).padStart(5, '0')}.js`;
    fs.writeFileSync(path.join(src, name), code);
    files.push(name);
    lines += code.split('\n').length;
    bytes += code.length;
  }
  const perMacro = {};
  for (const [j, n] of used) {
    const m = sigs[j].macro;
    const p = (perMacro[m] ??= { callSites: 0, distinctSignatures: 0 });
    p.callSites += n;
    p.distinctSignatures += 1;
  }
  const manifest = {
    family: o.family,
    seed,
    files: files.length,
    callsPerFile: o.callsPerFile,
    callSites: files.length * o.callsPerFile,
    signatures: sigs.length,
    distinctSignaturesUsed: used.size,
    perMacro,
    lines,
    bytes,
    fileNames: files,
  };
  fs.writeFileSync(path.join(o.dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return manifest;
}

module.exports = { generateCorpus, signatures, zipf, prng, seedOf };

if (require.main === module) {
  const [dir, family = 'mixed', files = '20', calls = '20', sigs = '200'] = process.argv.slice(2);
  const m = generateCorpus({ dir, family, files: +files, callsPerFile: +calls, signatures: +sigs });
  const { fileNames, ...rest } = m;
  console.log(JSON.stringify(rest, null, 1));
}
