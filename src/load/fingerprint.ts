/**
 * Definition fingerprints. A loaded macro's graph is what Node loaded for it (see
 * `module-recorder.ts` and {@link loadedGraph}); the static walk ({@link moduleGraph}) is the
 * fallback for a macro not loaded yet (the Jest transformer's first key) or loaded by a foreign
 * module system: the macro module and the modules it requires/imports with literal relative
 * specifiers, its own package's files included even under node_modules.
 */
import fs from 'fs';
import path from 'path';
import { parse } from '@babel/parser';
import * as t from '@babel/types';
import { hash } from '../util/hash';
import { untracked } from '../generate/tracking';
import { isTranspiled, resolveTypeScriptFile } from './typescript';
import type { Dependency } from '../api/types';

/** The files making up a macro definition and their combined hash. */
export interface ModuleGraph {
  /** Absolute paths, the macro module first, then its local dependencies in sorted order. */
  readonly files: readonly string[];
  /** `name@version` of the package containing the macro module, when there is one. */
  readonly packageId: string | null;
  /** Hash of every file's content (path-independent: relative paths are hashed). */
  readonly hash: string;
}

/** Stat snapshot used to recheck a definition cheaply. */
export type StatSnapshot = string;

const EXTENSIONS = ['', '.js', '.cjs', '.mjs', '.json', '.ts', '/index.js', '/index.cjs', '/index.json'];

/** Walks the local module graph of `entry` and hashes it. */
export function moduleGraph(entry: string): ModuleGraph {
  // The macro's own package's files count wherever it lives; other packages are identified by the macro package's version.
  const ownPackage = (findPackageJson(entry)?.dir ?? path.dirname(entry)) + path.sep;
  const isOwn = (f: string) => f.startsWith(ownPackage) && !f.slice(ownPackage.length).split(path.sep).includes('node_modules');
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!/\.[cm]?[jt]s$/.test(file)) continue;
    for (const spec of localSpecifiers(fs.readFileSync(file, 'utf8'), file)) {
      // A TypeScript/ES module macro's requires resolve as its loader resolves them.
      const resolved = isTranspiled(file) ? resolveTypeScriptFile(spec, path.dirname(file)) : resolveLocal(spec, path.dirname(file));
      if (resolved && (isOwn(resolved) || !resolved.split(path.sep).includes('node_modules'))) queue.push(resolved);
    }
  }
  const root = path.dirname(entry);
  const rest = [...seen].filter((f) => f !== entry).sort();
  const files = [entry, ...rest];
  const pkg = findPackage(entry);
  const parts = files.map((f) => `${stableName(root, f)}\0${hash(fs.readFileSync(f))}`);
  return { files, packageId: pkg, hash: hash(parts.join('\n')) };
}

/**
 * The graph of a loaded macro: the modules Node compiled (or had cached) for it, with the hashes
 * of the bytes compiled, and what its module-level code read (files, environment variables).
 */
export function loadedGraph(entry: string, modules: ReadonlyMap<string, string>, reads: readonly Dependency[]): ModuleGraph {
  const root = path.dirname(entry);
  const rest = [...modules.keys()].filter((f) => f !== entry).sort();
  const readFiles = reads.flatMap((d) => (d.kind === 'file' && !modules.has(d.path) ? [d.path] : [])).sort();
  const parts = [entry, ...rest].map((f) => `${stableName(root, f)}\0${modules.get(f)}`);
  for (const d of reads) {
    if (d.kind === 'file') {
      if (!modules.has(d.path)) parts.push(`read\0${stableName(root, d.path)}\0${d.hash}`);
    } else parts.push(`${d.kind}\0${d.kind === 'env' ? d.name : ''}\0${d.hash}`);
  }
  return { files: [entry, ...rest, ...readFiles], packageId: findPackage(entry), hash: hash(parts.sort().join('\n')) };
}

/**
 * A machine-independent name for a file in a fingerprint: its path inside the innermost
 * node_modules (where package managers place packages differently), else relative to `root`.
 */
function stableName(root: string, file: string): string {
  const segments = file.split(path.sep);
  const i = segments.lastIndexOf('node_modules');
  return i >= 0 ? segments.slice(i + 1).join('/') : path.relative(root, file).split(path.sep).join('/');
}

/** A cheap stat-based snapshot of files (mtime + size + inode); equal snapshots mean unchanged files. */
export function statSnapshot(files: readonly string[]): StatSnapshot {
  // The plugin's own check: never a read of the macro (nor a recursion into a read recorder).
  return untracked(() => snapshotOf(files));
}

function snapshotOf(files: readonly string[]): StatSnapshot {
  return files
    .map((f) => {
      try {
        const s = fs.statSync(f);
        return `${s.mtimeMs}:${s.size}:${s.ino}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

/** The relative (`./`, `../`) module specifiers a source file requires or imports. */
function localSpecifiers(source: string, filename: string): string[] {
  let ast: t.File;
  try {
    ast = parse(source, {
      sourceType: 'unambiguous',
      sourceFilename: filename,
      errorRecovery: true,
      plugins: /\.[cm]?ts$/.test(filename) ? ['typescript'] : [],
    });
  } catch {
    return []; // an unparsable module fails at require time with a better message
  }
  const specs: string[] = [];
  t.traverseFast(ast.program, (n) => {
    if (
      (n.type === 'ImportDeclaration' || n.type === 'ExportAllDeclaration' || n.type === 'ExportNamedDeclaration') &&
      n.source
    ) {
      specs.push(n.source.value);
    } else if (
      n.type === 'CallExpression' &&
      n.arguments.length === 1 &&
      ((n.callee.type === 'Identifier' && n.callee.name === 'require') || n.callee.type === 'Import')
    ) {
      const arg = n.arguments[0];
      if (arg.type === 'StringLiteral') specs.push(arg.value);
      // require(`./helper`): a template literal without expressions is a constant too
      else if (arg.type === 'TemplateLiteral' && arg.expressions.length === 0) specs.push(arg.quasis[0].value.cooked ?? arg.quasis[0].value.raw);
    } else if (n.type === 'ImportExpression' && n.source.type === 'StringLiteral') {
      specs.push(n.source.value); // `import()` as parsed by Babel 8 (and 7 with createImportExpressions)
    }
  });
  return specs.filter((s) => s.startsWith('./') || s.startsWith('../') || s === '.' || s === '..');
}

function resolveLocal(spec: string, dir: string): string | null {
  const base = path.resolve(dir, spec);
  for (const ext of EXTENSIONS) {
    const candidate = base + ext;
    try {
      if (fs.statSync(candidate).isFile()) return fs.realpathSync(candidate);
    } catch {
      // try the next extension
    }
  }
  return null;
}

/** `name@version` of the nearest package.json with a name, or null. */
export function findPackage(file: string): string | null {
  const found = findPackageJson(file);
  return found && found.json.name ? `${found.json.name}@${found.json.version ?? '0.0.0'}` : null;
}

/** The nearest package.json above `file` that has a name. */
export function findPackageJson(file: string): { dir: string; json: { name?: string; version?: string } } | null {
  let dir = path.dirname(file);
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      try {
        const json = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
        if (json.name) return { dir, json };
      } catch {
        // a broken package.json does not name a package
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
