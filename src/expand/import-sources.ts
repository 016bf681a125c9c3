/**
 * A quick, parse-free scan of a source file for the module sources it imports, exports from or
 * requires: used where a file's macros must be known before Babel runs (the Jest transformer's
 * cache key). It over-approximates (a matching string in a comment counts), which only costs a
 * spurious key component; it never misses an import the plugin would see.
 * @packageDocumentation
 */

/** `from '…'`, `import '…'`, `import('…')`, `require('…')`, with any whitespace (newlines too) before the string. */
const SOURCE = /(?:\bfrom|\bimport|\bimport\s*\(|\brequire\s*\()\s*(['"])([^'"\\\r\n]+)\1/g;

/** The distinct module sources `code` imports, exports from or requires, in order of appearance. */
export function importSources(code: string): string[] {
  const out = new Set<string>();
  for (const m of code.matchAll(SOURCE)) out.add(m[2]);
  return [...out];
}
