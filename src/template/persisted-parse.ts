/**
 * Parsed expansions that outlive the process. A fresh process (each Jest worker, each CLI build)
 * would otherwise parse every stored expansion it meets once more; the store keeps each template
 * beside the entries instead (`ParsedCache`), as deflated JSON, which reads back several times
 * faster than a parse (docs/performance.md, "Start-up"). A row is keyed by the parsing code's
 * identity and the text (build/parser-identity.ts), so it is either exactly what that code
 * parses from that text or absent: nothing to invalidate, and a warm build holds the AST a clean
 * build would parse.
 * @packageDocumentation
 */
import { deflateSync, inflateSync } from 'node:zlib';
import type * as t from '@babel/types';
import type { BabelRuntime } from '../build/babel-runtime';
import type { SerializedExpansion } from '../api/types';
import type { ParsedCache } from '../store/types';
import { hash } from '../util/hash';
import { heldTemplate, holdTemplate, parseExpansion, parsedKey, type ExpansionTemplate } from './expansion';

/** Templates parsed in this file that the store has no row for yet: written with the file's entries. */
export type PendingParses = Map<string, ExpansionTemplate>;

/**
 * The templates of `exps` (store hits), in one batch: the process's parse memo, then the store's
 * rows, then a parse. null for an expansion that does not parse (a corrupt entry). A parse the
 * store lacked is added to `pending`.
 */
export function templatesOf(
  exps: readonly SerializedExpansion[],
  babel: BabelRuntime,
  cache: ParsedCache | null,
  pending: PendingParses,
): Array<ExpansionTemplate | null> {
  const out: Array<ExpansionTemplate | null> = exps.map((e) => heldTemplate(e, babel) ?? null);
  const identity = cache && babel.parserIdentity();
  const missing = exps.flatMap((e, i) => (out[i] ? [] : [i]));
  if (identity && missing.length > 0) {
    const keys = missing.map((i) => rowKey(exps[i], identity));
    cache.getMany(keys).forEach((data, j) => {
      const i = missing[j];
      const code = data && decode(data);
      if (code) out[i] = holdTemplate(exps[i], babel, code.hoist, code.inline);
    });
    missing.forEach((i, j) => {
      if (out[i]) return;
      out[i] = parsed(exps[i], babel);
      if (out[i]) pending.set(keys[j], out[i] as ExpansionTemplate);
    });
  }
  for (const i of missing) out[i] ??= parsed(exps[i], babel);
  return out;
}

/**
 * Writes the pending parses and those of the file's new entries (held by the parse memo since
 * their generator ran) that the store may lack; a key already stored keeps its row.
 */
export function persistParses(newEntries: readonly SerializedExpansion[], babel: BabelRuntime, cache: ParsedCache | null, pending: PendingParses): void {
  const identity = cache && babel.parserIdentity();
  if (!identity) return;
  for (const e of newEntries) {
    const template = heldTemplate(e, babel);
    if (template) pending.set(rowKey(e, identity), template);
  }
  const rows = [...pending].flatMap(([key, template]) => {
    const data = encode(template);
    return data ? [{ key, data }] : [];
  });
  pending.clear();
  cache.putMany(rows);
}

/** The row key of `exp`'s parse under `identity`. */
function rowKey(exp: SerializedExpansion, identity: string): string {
  return hash(`${identity}\0${parsedKey(exp)}`);
}

function parsed(exp: SerializedExpansion, babel: BabelRuntime): ExpansionTemplate | null {
  try {
    return parseExpansion(exp, babel);
  } catch {
    return null;
  }
}

/**
 * The template's code as deflated JSON; null when JSON would not give it back exactly (a
 * non-finite or negative-zero number, an undefined field, a BigInt): such a template is parsed
 * in every process, as before. Templates are compact copies, plain objects and arrays only.
 */
export function encode(template: Pick<ExpansionTemplate, 'hoist' | 'inline'>): Uint8Array | null {
  let exact = true;
  const json = JSON.stringify({ h: template.hoist, i: template.inline }, (_key, v: unknown) => {
    if (v === undefined || typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') exact = false;
    else if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) exact = false;
    return v;
  });
  return exact ? deflateSync(json) : null;
}

/** The code {@link encode} stored, or null when the bytes are not such a record. */
export function decode(data: Uint8Array): { hoist: t.Expression | null; inline: t.Expression } | null {
  try {
    const v = JSON.parse(inflateSync(data).toString('utf8')) as { h?: unknown; i?: unknown };
    if (!isNode(v.i) || (v.h !== null && !isNode(v.h))) return null;
    return { hoist: v.h as t.Expression | null, inline: v.i as t.Expression };
  } catch {
    return null;
  }
}

function isNode(v: unknown): v is t.Node {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}
