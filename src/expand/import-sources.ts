/**
 * A quick, parse-free scan of a source file for the module sources it imports, exports from or
 * requires: used where a file's macros must be known before Babel runs (the Jest transformer's
 * cache key). It over-approximates (a matching string in a comment counts), which only costs a
 * spurious key component; it never misses an import the plugin would see.
 * @packageDocumentation
 */
import type * as t from '@babel/types';

/** `from '…'`, `import '…'`, `import('…')`, `require('…')`, with any whitespace (newlines too) before the string. */
const SOURCE = /(?:\bfrom|\bimport|\bimport\s*\(|\brequire\s*\()\s*(['"])([^'"\\\r\n]+)\1/g;

/** The distinct module sources `code` imports, exports from or requires, in order of appearance. */
export function importSources(code: string): string[] {
  const out = new Set<string>();
  for (const m of code.matchAll(SOURCE)) out.add(m[2]);
  return [...out];
}

/**
 * False only when the file certainly uses no macro, judged without building a single NodePath
 * (the plugin's fast path for the files most builds are made of): no import or re-export of a
 * macro source in the program body, and no `require('…')` of one in the source text (`code`,
 * Babel's `file.code`; unknown text counts as a possible use). Requires matter only with
 * `requires` (babel-plugin-macros `createMacro` macros can be required).
 */
export function mayUseMacros(program: t.Program, code: unknown, isMacroSource: (source: string) => boolean, requires: boolean): boolean {
  for (const s of program.body) {
    if (s.type === 'ImportDeclaration' || ((s.type === 'ExportNamedDeclaration' || s.type === 'ExportAllDeclaration') && s.source)) {
      if (isMacroSource((s.source as t.StringLiteral).value)) return true;
    }
  }
  if (!requires) return false;
  if (typeof code !== 'string') return true;
  if (!REQUIRE.test(code)) return false;
  // An escape in a required string (`'a\\x2emacro'`) hides its value from the text scan.
  return ESCAPED_REQUIRE.test(code) || importSources(code).some(isMacroSource);
}

const REQUIRE = /\brequire\s*\(/;
const ESCAPED_REQUIRE = /\brequire\s*\(\s*(['"])[^'"\r\n]*\\/;
