/**
 * Definition fingerprints. A macro's fingerprint covers exactly its own module graph: the macro
 * module and the local modules it requires/imports (found statically, so the result does not
 * depend on which macro happened to load a shared module first, as a walk of `module.children`
 * would), plus its package's name@version, this plugin's version and Babel's major.
 */
import fs from 'fs';
import path from 'path';
import { parse } from '@babel/parser';
import * as t from '@babel/types';
import { hash } from './hash';
import { isTranspiled, resolveTypeScriptFile } from './load/typescript';

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
      if (resolved && !resolved.split(path.sep).includes('node_modules')) queue.push(resolved);
    }
  }
  const root = path.dirname(entry);
  const rest = [...seen].filter((f) => f !== entry).sort();
  const files = [entry, ...rest];
  const pkg = findPackage(entry);
  const parts = files.map((f) => `${path.relative(root, f)}\0${hash(fs.readFileSync(f))}`);
  return { files, packageId: pkg, hash: hash(parts.join('\n')) };
}

/** A cheap stat-based snapshot of files (mtime + size); equal snapshots mean unchanged files. */
export function statSnapshot(files: readonly string[]): StatSnapshot {
  return files
    .map((f) => {
      try {
        const s = fs.statSync(f);
        return `${s.mtimeMs}:${s.size}`;
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
      n.arguments[0].type === 'StringLiteral' &&
      ((n.callee.type === 'Identifier' && n.callee.name === 'require') || n.callee.type === 'Import')
    ) {
      specs.push(n.arguments[0].value);
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
