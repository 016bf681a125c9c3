/**
 * Shared helpers for tests that build a throw-away project in a temporary folder: writing and
 * editing its files (with mtimes that always move forward) and macros that log each generator
 * call to `gen.log`, a side channel independent of the plugin's own reports.
 */
import fs from 'fs';
import path from 'path';

/** The mtime given to the last file written, so the next one is later still. */
let lastWrite = 0;

/** File helpers bound to the project folder returned by `dir()` (it changes per test). */
export function projectFiles(dir: () => string) {
  function write(rel: string, content: string): void {
    const file = path.join(dir(), rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    // Later than anything before it, even on a file system with coarse timestamps, and
    // strictly later than the previous write (edits can follow each other within a millisecond).
    const t = new Date(Math.max(Date.now() + 2000, lastWrite + 1000));
    lastWrite = t.getTime();
    fs.utimesSync(file, t, t);
  }
  function edit(rel: string, from: string, to: string): void {
    const text = fs.readFileSync(path.join(dir(), rel), 'utf8');
    if (!text.includes(from)) throw new Error(`${rel} does not contain ${JSON.stringify(from)}`);
    write(rel, text.replace(from, to));
  }
  return { write, edit };
}

/**
 * Source of a macro module in `<project>/macros/` whose generator appends `<name> <signature
 * key>` to `<project>/gen.log` on every call, then runs `body`. `pluginModule` is what it
 * requires to get the base class (the package name, or the path of the built plugin).
 */
export function loggingMacro(name: string, base: 'Generator' | 'CachedGenerator', body: string, pluginModule: string): string {
  return `const fs = require('fs');
const path = require('path');
const { ${base} } = require(${JSON.stringify(pluginModule)});
const SUFFIX = '-v1';
module.exports = class extends ${base} {
  generate(sig, ctx) {
    fs.appendFileSync(path.join(__dirname, '..', 'gen.log'), '${name} ' + sig.key + '\\n');
    ${body}
  }
};
`;
}
