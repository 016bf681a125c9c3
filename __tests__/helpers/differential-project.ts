/**
 * The small project the differential property test edits and builds, and the edits it knows.
 *
 * Every file is rendered from a *variant* number (or deleted: `null`), so an edit is data, a
 * revert is "an earlier variant", and a counterexample prints as a readable list of steps. The
 * macros cover each way a macro can depend on something: its own source, a helper required at
 * top level (local, inside a node_modules package, through a computed require), a data file read
 * through `ctx.readFile`, with plain `fs`, by a lazy `require` of JSON and at module load time,
 * and environment variables read through `ctx.env` and plainly.
 */
import path from 'path';

const DIST = path.resolve(__dirname, '..', '..', 'dist', 'index.js');

/**
 * An edit kind: what an edit changes and how the macro reaches it. The property test toggles
 * kinds one by one (see KNOWN_UNSOUND there).
 */
export type EditKind =
  | 'macro:local'
  | 'macro:pkg'
  | 'helper:local'
  | 'helper:pkg'
  | 'helper:computed'
  | 'data:ctx'
  | 'data:fs'
  | 'data:json'
  | 'data:load-time'
  | 'env:ctx'
  | 'env:plain'
  | 'revert'
  | 'touch'
  | 'checkout2'
  | 'build:long';

/** A project file that edits can change: its kind and its content for each variant. */
export interface EditableFile {
  readonly rel: string;
  readonly kind: EditKind;
  readonly render: (variant: number) => string;
  /** Whether an edit may delete it (data files: the macros tolerate their absence). */
  readonly deletable: boolean;
}

/** Environment variables the macros read, by edit kind. */
export const ENV_VARS = { 'env:ctx': 'CM_PROP_CTX', 'env:plain': 'CM_PROP_PLAIN' } as const;

const plugin = JSON.stringify(DIST);

/** A data file read missing-tolerantly through the context. */
const readCtx = (rel: string) =>
  `let data;
    try { data = ctx.readFile(${JSON.stringify(rel)}); } catch { ctx.dependsOnFile(${JSON.stringify(rel)}); data = '<missing>'; }`;

/** Source of a macro module; `token` is what a macro-source edit changes (it is emitted). */
function macro(base: 'Generator' | 'CachedGenerator', token: string, top: string, body: string, emitted: string): string {
  return `const fs = require('fs');
const path = require('path');
const { ${base} } = require(${plugin});
${top}
const TOKEN = ${JSON.stringify(token)};
module.exports = class extends ${base} {
  generate(sig, ctx) {
    ${body}
    return { inline: JSON.stringify([TOKEN, ${emitted}, sig.key]) };
  }
};
`;
}

const MACROS: Record<string, (token: string) => string> = {
  // Cached; a top-level local helper; a data file and a variable through the context.
  'macros/ctx.macro.js': (tok) =>
    macro('CachedGenerator', tok, `const helper = require('./helper');`, readCtx('../data/ctx.txt'), `helper, data, ctx.env('CM_PROP_CTX') ?? '<unset>'`),
  // Cached; a data file and a variable read plainly (automatic tracking).
  'macros/plain-reads.macro.js': (tok) =>
    macro(
      'CachedGenerator',
      tok,
      `const FILE = path.join(__dirname, '..', 'data', 'fs.txt');`,
      `const data = fs.existsSync(FILE) ? fs.readFileSync(FILE, 'utf8') : '<missing>';`,
      `data, process.env.CM_PROP_PLAIN ?? '<unset>'`,
    ),
  // A plain (uncached) Generator sharing the helper, reading plainly too.
  'macros/plain.macro.js': (tok) =>
    macro(
      'Generator',
      tok,
      `const helper = require('./helper');\nconst FILE = path.join(__dirname, '..', 'data', 'fs.txt');`,
      `const data = fs.existsSync(FILE) ? fs.readFileSync(FILE, 'utf8') : '<missing>';`,
      `helper, data, process.env.CM_PROP_CTX ?? '<unset>'`,
    ),
  // Cached; JSON required lazily, inside the generator.
  'macros/json.macro.js': (tok) =>
    macro('CachedGenerator', tok, '', `let config;\n    try { config = require('../data/config.json'); } catch { config = '<missing>'; }`, 'config'),
  // Cached; a data file read once, when the module loads.
  'macros/load-time.macro.js': (tok) =>
    macro(
      'CachedGenerator',
      tok,
      `const FILE = path.join(__dirname, '..', 'data', 'load.txt');\nconst LOADED = fs.existsSync(FILE) ? fs.readFileSync(FILE, 'utf8') : '<missing>';`,
      '',
      'LOADED',
    ),
  // Cached; a helper behind a computed require (no static specifier to find).
  'macros/computed.macro.js': (tok) =>
    macro('CachedGenerator', tok, `const part = require('./parts/' + ['pa', 'rt'].join(''));`, '', 'part'),
  // Cached; a macro package under node_modules with its own local helper.
  'node_modules/prop-macros/index.macro.js': (tok) => macro('CachedGenerator', tok, `const helper = require('./lib/helper');`, '', 'helper'),
};

const helperSource = (name: string) => (v: number) => `module.exports = '${name}-v${v}';\n`;
const dataText = (name: string) => (v: number) => `${name}-v${v}\n`;

/** Every file an edit can change, with its kind. Variant 0 is the initial content. */
export const EDITABLE: readonly EditableFile[] = [
  ...Object.entries(MACROS).map(([rel, render]) => ({
    rel,
    kind: (rel.startsWith('node_modules') ? 'macro:pkg' : 'macro:local') as EditKind,
    render: (v: number) => render(`${path.basename(rel, '.js')}-v${v}`),
    deletable: false,
  })),
  { rel: 'macros/helper.js', kind: 'helper:local', render: helperSource('helper'), deletable: false },
  { rel: 'node_modules/prop-macros/lib/helper.js', kind: 'helper:pkg', render: helperSource('pkg-helper'), deletable: false },
  { rel: 'macros/parts/part.js', kind: 'helper:computed', render: helperSource('part'), deletable: false },
  { rel: 'data/ctx.txt', kind: 'data:ctx', render: dataText('ctx'), deletable: true },
  { rel: 'data/fs.txt', kind: 'data:fs', render: dataText('fs'), deletable: true },
  { rel: 'data/config.json', kind: 'data:json', render: (v) => `{ "config": ${v} }\n`, deletable: true },
  { rel: 'data/load.txt', kind: 'data:load-time', render: dataText('load'), deletable: true },
];

/** Files no edit changes: the app files (built and compared) and the package's manifest. */
export const FIXED: Readonly<Record<string, string>> = {
  'package.json': `{ "name": "prop-app", "version": "1.0.0", "private": true }\n`,
  'node_modules/prop-macros/package.json': `{ "name": "prop-macros", "version": "1.0.0" }\n`,
  'a.js': `import ctxm from './macros/ctx.macro';
import plainReads from './macros/plain-reads.macro';
import plain from './macros/plain.macro';
import pkg from 'prop-macros/index.macro';
export const a = [ctxm(1), ctxm('s'), plainReads(1), plain(2), pkg(3)];
`,
  'b.js': `import json from './macros/json.macro';
import loadTime from './macros/load-time.macro';
import computed from './macros/computed.macro';
import ctxm from './macros/ctx.macro';
export const b = [json(1), loadTime(1), computed(1), ctxm(1)];
`,
};

/** The app files every build transforms and compares. */
export const APP_FILES = ['a.js', 'b.js'] as const;

/** A checkout's files by relative path: a variant, or null when deleted. */
export type Tree = Map<string, number | null>;

/** The initial tree: every editable file at variant 0. */
export function initialTree(): Tree {
  return new Map(EDITABLE.map((f) => [f.rel, 0]));
}

/** The content of `rel` at `variant`. */
export function render(rel: string, variant: number): string {
  const file = EDITABLE.find((f) => f.rel === rel);
  if (!file) throw new Error(`not an editable file: ${rel}`);
  return file.render(variant);
}
