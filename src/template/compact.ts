/**
 * Compact copies of parsed template code, for what the process keeps: the parse memo and the
 * memory tier hold every expansion a build meets (at 10k signatures, ~45 MB of ASTs), and V8
 * sizes the heap at a multiple of what survives a full GC, so each retained megabyte costs
 * several of peak RSS (docs/performance.md, "Peak RSS at scale").
 * @packageDocumentation
 */
import type * as t from '@babel/types';

/**
 * A deep copy of `node` as plain objects holding only the keys that have a value: the parser's
 * and the template's nodes carry position and comment slots that parsed expansions leave null
 * or undefined, and objects made by the parser's node class are allocated with room for more.
 * Nothing that reads a template tells a missing key from a null one (`t.cloneNode` copies own
 * fields only, the generator and `cloneAt` read them as falsy), so the output is unchanged;
 * false, 0 and '' are kept. Plain data (`extra`, a template element's `value`) is copied
 * shallowly, as `cloneAt` does; holes in arrays (`[, a]`) stay null.
 */
export function compactCode<T extends t.Node>(node: T): T {
  return copy(node) as T;
}

function copy(n: t.Node): t.Node {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(n)) {
    const v = (n as unknown as Record<string, unknown>)[key];
    if (v === null || v === undefined) continue;
    out[key] = copyValue(v);
  }
  return out as unknown as t.Node;
}

function copyValue(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copyValue);
  return typeof (v as t.Node).type === 'string' ? copy(v as t.Node) : { ...v };
}
