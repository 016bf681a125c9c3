/**
 * Expansions: turning what a generator returned into the stored form (`{ hoist, inline,
 * helpers }` as canonical code strings) and back into ASTs. Everything a generator returns is
 * checked here, so junk never reaches the store.
 */
import generate from '@babel/generator';
import type * as t from '@babel/types';
import type { BabelRuntime } from '../build/babel-runtime';
import type { HelperImport, SerializedExpansion } from '../api/types';
import { TextMemo } from './text-memo';
import { compactCode } from './compact';
import { session } from '../build/session';

/** A generator returned something that is not a valid expansion. */
export class ExpansionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpansionError';
  }
}

/** Parsed expansion, ready to be cloned into a file. */
export interface ExpansionTemplate {
  readonly hoist: t.Expression | null;
  readonly inline: t.Expression;
  readonly helpers: readonly HelperImport[];
  /** The stored form it was parsed from (what verify mode compares a re-run with). */
  readonly source: SerializedExpansion;
  /**
   * Characters of code it was parsed from: what a size-bounded cache counts (parsed nodes carry
   * no positions, so the AST cannot tell its own size; heap is roughly 20–30 bytes a character).
   */
  readonly codeSize: number;
}

const ARG = /^\$(\d+)$/;
const HOISTED = '$hoisted';

/**
 * Normalises a generator's return value into the serialisable form, validating it. Code is
 * parsed with the running core (`babel`); the stored form is a code string, printed by this
 * package's generator (a string never carries one major's node shapes into the other's tree).
 */
export function serializeExpansion(value: unknown, argc: number, helpers: readonly HelperImport[], babel: BabelRuntime): SerializedExpansion {
  const t = babel.types;
  const copy = (e: SerializedExpansion): SerializedExpansion => ({ hoist: e.hoist, inline: e.inline, helpers: helpers.map((h) => ({ ...h })) });
  let hoistValue: unknown;
  let inlineValue: unknown;
  let asFunction = false;
  if (typeof value === 'string' || isNode(value)) {
    asFunction = true;
  } else if (value !== null && typeof value === 'object' && 'inline' in value) {
    const v = value as { inline: unknown; hoist?: unknown };
    for (const key of Object.keys(v)) {
      if (key !== 'inline' && key !== 'hoist') throw new ExpansionError(`got an object with unknown key "${key}" (expected { inline } or { hoist, inline })`);
    }
    // Read once each (they may be getters), inline first as before.
    inlineValue = v.inline;
    hoistValue = v.hoist;
  } else {
    throw new ExpansionError(
      `got ${describe(value)}, which is not an expansion: return a function expression, { inline } or { hoist, inline } (code strings or Babel expression ASTs)`,
    );
  }
  // Code strings are validated and printed once per process per (text, arity, helpers): a plain
  // generator returns the same text in every file. AST values are printed first, as before.
  const memoKey = asFunction
    ? typeof value === 'string' ? `f\0${babel.major}\0${argc}\0${helpersKey(helpers)}\0${value}` : null
    : typeof inlineValue === 'string' && (hoistValue === undefined || typeof hoistValue === 'string')
      ? `o\0${babel.major}\0${argc}\0${helpersKey(helpers)}\0${hoistValue ?? ''}\0${hoistValue === undefined ? 0 : 1}\0${inlineValue}`
      : null;
  const memo = memoKey === null ? undefined : serializedMemo().get(memoKey);
  if (memo) return copy(memo);
  let hoist: t.Expression | null = null;
  let inline: t.Expression;
  if (asFunction) {
    const fn = toExpression(value, 'the expansion', babel);
    if (!t.isFunctionExpression(fn) && !t.isArrowFunctionExpression(fn)) {
      throw new ExpansionError(
        `got ${t.isExpression(fn) ? `a ${fn.type}` : 'code'} where a function expression was expected; ` +
          'return { inline: code } for an inline expansion',
      );
    }
    hoist = fn;
    inline = t.callExpression(
      t.identifier(HOISTED),
      Array.from({ length: argc }, (_, i) => t.identifier(`$${i}`)),
    );
  } else {
    inline = toExpression(inlineValue, '`inline`', babel);
    if (hoistValue !== undefined) hoist = toExpression(hoistValue, '`hoist`', babel);
  }
  checkPlaceholders(hoist, inline, argc, helpers, t);
  const out: SerializedExpansion = { hoist: hoist && print(hoist), inline: print(inline), helpers: helpers.map((h) => ({ ...h })) };
  if (memoKey !== null) serializedMemo().set(memoKey, copy(out));
  // A generator that prints the way we do returned the stored text itself: the parse a lookup
  // would make of it is the one just made (same text, same parser), so the parsed memo takes it
  // now and a new expansion is parsed once, not twice. A built `$hoisted(…)` call is not a parse,
  // so the function form parses its (tiny) inline text.
  const parsedFrom = asFunction ? value : hoistValue;
  if (hoist && out.hoist !== parsedFrom) return out;
  if (asFunction) inline = toExpression(out.inline, '`inline`', babel);
  else if (out.inline !== inlineValue) return out;
  parsedMemo(babel).set(parsedKey(out), template(out, hoist, inline, t));
  return out;
}

/**
 * Parses a stored expansion with the running core. Throws ExpansionError if it does not parse
 * (a corrupt entry). The template is shared by every caller with the same text (it is never
 * mutated), so a plain generator's output is parsed once per process, not once per file.
 */
export function parseExpansion(exp: SerializedExpansion, babel: BabelRuntime): ExpansionTemplate {
  const memo = parsedMemo(babel);
  const key = parsedKey(exp);
  return (
    memo.get(key) ??
    memo.set(key, template(exp, exp.hoist === null ? null : toExpression(exp.hoist, '`hoist`', babel), toExpression(exp.inline, '`inline`', babel), babel.types))
  );
}

/** The template the process holds for `exp` (the parse memo's), if any. */
export function heldTemplate(exp: SerializedExpansion, babel: BabelRuntime): ExpansionTemplate | undefined {
  return parsedMemo(babel).get(parsedKey(exp));
}

/**
 * Holds code parsed from `exp` earlier, already compact (persisted-parse.ts reads it back from
 * the store), as the template of `exp`; returns it.
 */
export function holdTemplate(exp: SerializedExpansion, babel: BabelRuntime, hoist: t.Expression | null, inline: t.Expression): ExpansionTemplate {
  return parsedMemo(babel).set(parsedKey(exp), templateOf(exp, hoist, inline));
}

/** The template kept for the process: compact copies of the parsed code (see compact.ts). */
function template(exp: SerializedExpansion, hoist: t.Expression | null, inline: t.Expression, types: typeof t): ExpansionTemplate {
  return templateOf(exp, hoist && compactCode(hoist, types), compactCode(inline, types));
}

function templateOf(exp: SerializedExpansion, hoist: t.Expression | null, inline: t.Expression): ExpansionTemplate {
  return { hoist, inline, helpers: exp.helpers, source: exp, codeSize: (exp.hoist?.length ?? 0) + exp.inline.length };
}

/** The session's parsed-text memo for one core (created on first use; dispose() frees it). */
function parsedMemo(babel: BabelRuntime): TextMemo<ExpansionTemplate> {
  const memos = (session().parsedTexts ??= new WeakMap());
  let memo = memos.get(babel) as TextMemo<ExpansionTemplate> | undefined;
  if (!memo) memos.set(babel, (memo = new TextMemo(PARSED_BUDGET)));
  return memo;
}

/** The text a template is parsed from, as one key: hoist, helpers and inline code. */
export function parsedKey(exp: SerializedExpansion): string {
  return `${exp.hoist === null ? 0 : 1}\0${exp.hoist ?? ''}\0${helpersKey(exp.helpers)}\0${exp.inline}`;
}

/**
 * Budgets, in characters of code. A kept (compact) AST takes ~15 bytes of heap per character,
 * so the parsed memo stays under ~1.5 MB (small for the reason memory-tier.ts gives: a stored
 * expansion it drops is read back from the store's parses, a plain generator's output parsed
 * again); the serialised one holds strings only. Templates the memory tier keeps are the same objects, so
 * the two do not double up.
 */
const PARSED_BUDGET = 100_000;
const SERIALIZED_BUDGET = 4_000_000;
/** The session's memo of serialised outputs (created on first use; dispose() frees it). */
function serializedMemo(): TextMemo<SerializedExpansion> {
  const s = session();
  return (s.serializedTexts ??= new TextMemo<SerializedExpansion>(SERIALIZED_BUDGET)) as TextMemo<SerializedExpansion>;
}

function helpersKey(helpers: readonly HelperImport[]): string {
  return helpers.length === 0 ? '' : JSON.stringify(helpers.map((h) => [h.placeholder, h.source, h.name]));
}

/** True for identifiers the plugin substitutes: `$0…$n`, `$hoisted`, helper placeholders. */
export function placeholderIndex(name: string): number | null {
  const m = ARG.exec(name);
  return m ? Number(m[1]) : null;
}

export { HOISTED };

function toExpression(code: unknown, what: string, babel: BabelRuntime): t.Expression {
  if (isNode(code)) {
    if (!babel.types.isExpression(code)) throw new ExpansionError(`${what} is a ${code.type} node, not an expression`);
    // Round-trip through code so AST input is validated and stored exactly like string input.
    return toExpression(print(code), what, babel);
  }
  if (typeof code !== 'string') throw new ExpansionError(`${what} must be a code string or an expression AST, got ${describe(code)}`);
  try {
    return babel.parseExpression(code);
  } catch (e) {
    throw new ExpansionError(`${what} does not parse: ${(e as Error).message}\n  code: ${truncate(code)}`);
  }
}

function checkPlaceholders(hoist: t.Expression | null, inline: t.Expression, argc: number, helpers: readonly HelperImport[], types: typeof t): void {
  const helperNames = new Set(helpers.map((h) => h.placeholder));
  const check = (root: t.Expression, where: 'hoist' | 'inline') =>
    forEachReference(types, root, (name, node, parent) => {
      const index = placeholderIndex(name);
      const special = index !== null || name === HOISTED || helperNames.has(name);
      if (special && isAssignmentTarget(node, parent)) {
        throw new ExpansionError(`\`${where}\` assigns to ${name}: placeholders stand for values and cannot be assigned`);
      }
      if (index !== null) {
        if (where === 'hoist') throw new ExpansionError(`\`hoist\` refers to $${index}: arguments can only be used in \`inline\``);
        if (index >= argc) throw new ExpansionError(`\`inline\` refers to $${index} but the call has ${argc} argument${argc === 1 ? '' : 's'}`);
      } else if (name === HOISTED) {
        if (where === 'hoist') throw new ExpansionError('`hoist` cannot refer to $hoisted (itself)');
        if (!hoist) throw new ExpansionError('`inline` refers to $hoisted but the expansion has no `hoist`');
      } else if (name.startsWith('$helper') && !helperNames.has(name)) {
        throw new ExpansionError(`\`${where}\` refers to ${name}, which was not returned by ctx.helper()`);
      }
    });
  if (hoist) check(hoist, 'hoist');
  check(inline, 'inline');
}

function isAssignmentTarget(node: t.Identifier, parent: t.Node | undefined): boolean {
  if (!parent) return false;
  return (
    (parent.type === 'AssignmentExpression' && parent.left === node) ||
    parent.type === 'UpdateExpression' ||
    ((parent.type === 'ForInStatement' || parent.type === 'ForOfStatement') && parent.left === node)
  );
}

/**
 * Calls `fn` for every identifier in `root` that is a reference or an assignment target
 * (not a property key, member property or binding declaration).
 */
export function forEachReference(
  types: typeof t,
  root: t.Node,
  fn: (name: string, node: t.Identifier, parent: t.Node | undefined) => void,
): void {
  const walk = (node: t.Node, parent: t.Node | undefined, grandparent: t.Node | undefined): void => {
    if (node.type === 'Identifier') {
      if (!parent || types.isReferenced(node, parent, grandparent) || isAssignmentTarget(node, parent)) fn(node.name, node, parent);
      return;
    }
    for (const key of types.VISITOR_KEYS[node.type] ?? []) {
      const value = (node as unknown as Record<string, unknown>)[key];
      for (const child of Array.isArray(value) ? value : [value]) {
        if (child && typeof child === 'object' && typeof (child as t.Node).type === 'string') walk(child as t.Node, node, parent);
      }
    }
  };
  walk(root, undefined, undefined);
}

function print(node: t.Node): string {
  return generate(node, { comments: false, compact: false }).code;
}

function isNode(value: unknown): value is t.Node {
  return value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object with keys {${Object.keys(value as object).join(', ')}}`;
  return `${typeof value} ${truncate(String(value))}`;
}

function truncate(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
