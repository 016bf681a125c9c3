/**
 * Selecting macros by a part of their id. Ids look like `schema.macro/index.js#validate` (a
 * package's macro) or `src/x.macro.js#default` (a project file, relative to the build's cwd),
 * so a short, memorable part is enough: `validate`, `schema.macro`, `x.macro`.
 * @packageDocumentation
 */

/**
 * The ids containing `pattern` (case-sensitive), in their given order; an id equal to
 * `pattern` is the only match, so any macro can be named exactly. No pattern matches all.
 */
export function matchMacros<T extends { readonly macroId: string }>(macros: readonly T[], pattern: string | undefined): T[] {
  if (pattern === undefined) return [...macros];
  const exact = macros.filter((m) => m.macroId === pattern);
  return exact.length > 0 ? exact : macros.filter((m) => m.macroId.includes(pattern));
}
