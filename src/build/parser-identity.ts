/**
 * The identity of the code that turns expansion text into the templates the plugin keeps: the
 * running core's `@babel/template` and the `@babel/parser` and `@babel/types` it loads (hashed
 * from the files Node loads them from), the fields of the core's node types (compact copies keep a node's null
 * fields, see template/compact.ts), and this plugin's code. A parse persisted under one identity
 * is reused only under the same one, so a warm build gets the very AST a clean build would parse
 * (template/persisted-parse.ts).
 * @packageDocumentation
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type * as t from '@babel/types';
import { HASH_LENGTH } from '../util/hash';
import { pluginIdentity } from '../util/package';
import { debug } from '../util/log';

const TEMPLATE_MAIN = /[\\/]@babel[\\/]template[\\/]lib[\\/]index\.js$/;

/**
 * The identity of `template` (the core's `@babel/template` export) with `types` and a core of
 * `version`; null when the files behind it cannot be found: an ES-module core (Babel 8's is not
 * in `require.cache`) or a bundled one. Then nothing parsed is persisted. ~1 MB of files hashed,
 * once per core, on the first store hit.
 */
export function parserIdentity(
  template: unknown,
  types: typeof t,
  version: string,
  /** Where to look for the loaded template module (tests pass their own). */
  loaded: NodeJS.Dict<{ exports: unknown }> = require.cache,
): string | null {
  try {
    const main = loadedFile(template, loaded);
    if (!main) {
      debug('parsed expansions are not persisted: the core’s @babel/template was not found in require.cache');
      return null;
    }
    const h = createHash('sha256');
    h.update(`${version}\0${pluginIdentity()}\0`);
    // Names and lengths framed in, as in pluginIdentity: moving bytes between files changes the hash.
    const lib = path.dirname(main);
    for (const name of readdirSync(lib).filter((n) => n.endsWith('.js')).sort()) frame(h, name, readFileSync(path.join(lib, name)));
    // The parser and the types the template's own `require`s load (same directory, same
    // resolution): the types' code strips and checks what the parser returns.
    const req = createRequire(main);
    frame(h, '@babel/parser', readFileSync(req.resolve('@babel/parser')));
    const typesLib = path.dirname(req.resolve('@babel/types'));
    for (const file of jsFiles(typesLib)) frame(h, path.relative(typesLib, file), readFileSync(file));
    frame(h, 'NODE_FIELDS', Buffer.from(JSON.stringify(Object.entries(types.NODE_FIELDS).map(([type, fields]) => [type, Object.keys(fields)]))));
    return h.digest('hex').slice(0, HASH_LENGTH);
  } catch (e) {
    debug('parsed expansions are not persisted: %s', (e as Error).message);
    return null;
  }
}

/** The `.js` files under `dir`, sorted (one stable order to hash them in). */
function jsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...jsFiles(p));
    else if (d.name.endsWith('.js')) out.push(p);
  }
  return out.sort();
}

function frame(h: ReturnType<typeof createHash>, name: string, bytes: Buffer): void {
  h.update(`${name}\0${bytes.length}\0`).update(bytes);
}

/** The file of the loaded `@babel/template` whose export is `template` (matched by file name first: no other module's exports are touched). */
function loadedFile(template: unknown, loaded: NodeJS.Dict<{ exports: unknown }>): string | null {
  for (const [file, mod] of Object.entries(loaded)) {
    if (!mod || !TEMPLATE_MAIN.test(file)) continue;
    const exports = mod.exports as { default?: unknown } | undefined;
    if (exports === template || exports?.default === template) return file;
  }
  return null;
}
