/**
 * Compact copies of parsed template code, for what the process keeps: the parse memo and the
 * memory tier hold every expansion a build meets (at 10k signatures, ~45 MB of ASTs), and V8
 * sizes the heap at a multiple of what survives a full GC, so each retained megabyte costs
 * several of peak RSS (docs/performance.md, "Peak RSS at scale").
 * @packageDocumentation
 */
import type * as t from '@babel/types';

/**
 * A deep copy of `node` as plain objects without the empty slots that are not fields of the
 * node's type: parsed expansions leave `loc` (and the parser's other bookkeeping) undefined, and
 * objects made by the parser's node class are allocated with room for more. Fields keep their
 * null (`init`, `test`, `label`…): `t.cloneNode` copies them into each file, and later plugins
 * may tell null from absent (transform-parameters checks `init === null`), so every copy is what
 * it was. Plain data (`extra`, a template element's `value`) is copied shallowly, as `cloneAt`
 * does; holes in arrays (`[, a]`) stay null. `types`: the running core's (its node fields).
 */
export function compactCode<T extends t.Node>(node: T, types: typeof t): T {
  const copy = (n: t.Node): t.Node => {
    const fields = types.NODE_FIELDS[n.type] ?? {};
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(n)) {
      const v = (n as unknown as Record<string, unknown>)[key];
      if ((v === null || v === undefined) && !(key in fields)) continue;
      out[key] = copyValue(v);
    }
    return out as unknown as t.Node;
  };
  const copyValue = (v: unknown): unknown => {
    if (!v || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(copyValue);
    return typeof (v as t.Node).type === 'string' ? copy(v as t.Node) : { ...v };
  };
  return copy(node) as T;
}
