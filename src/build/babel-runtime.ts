/**
 * The running Babel core's node factories. Every node the plugin puts into a user's tree is
 * parsed or built with the core that is transforming that tree (Babel 7 or 8), never with this
 * package's own copies of @babel/parser/types/template: their node shapes differ between majors
 * (`import()`, TypeScript type arguments, BigInt values), and `cloneNode` only copies the fields
 * its own major knows. One runtime per build (see {@link Build}), taken from the plugin's `api`.
 */
import type * as t from '@babel/types';
import { parserIdentity } from './parser-identity';

/** What the plugin needs from a Babel core: its types and a parser for stored expansions. */
export interface BabelRuntime {
  /** Major version of the core (7 or 8): part of every definition fingerprint. */
  readonly major: number;
  /** The core's `@babel/types`: builders, `cloneNode`, predicates, visitor keys. */
  readonly types: typeof t;
  /** Parses one JavaScript expression (no syntax plugins) with the core's parser; throws a SyntaxError. */
  parseExpression(code: string): t.Expression;
  /**
   * The identity of the parsing code (parser-identity.ts): what a persisted parse is keyed by.
   * null when it cannot be known; computed on first use.
   */
  parserIdentity(): string | null;
}

/** The shape shared by a plugin's `api` and the `@babel/core` module (both majors). */
export interface BabelCoreLike {
  readonly version: string;
  readonly types: unknown;
  readonly template: unknown;
}

interface ExpressionTemplate {
  expression(options: object): { ast(code: string): t.Expression };
}

// A pure memo of the running Babel core (not session state): it dies with the core object.
const runtimes = new WeakMap<object, BabelRuntime>();

/** The runtime of a core (memoised per core: a plugin factory runs once per config). */
export function babelRuntime(core: BabelCoreLike): BabelRuntime {
  const types = core.types as typeof t;
  let runtime = runtimes.get(types);
  if (!runtime) {
    // `template.…ast` parses with the core's own parser and options; no placeholders, so `$0`
    // and `%%x%%` mean what they mean in plain JavaScript (the latter is a syntax error).
    const expression = (core.template as ExpressionTemplate).expression({ syntacticPlaceholders: false, preserveComments: false });
    let identity: string | null | undefined;
    runtime = {
      major: Number(core.version.split('.')[0]),
      types,
      parserIdentity: () => (identity === undefined ? (identity = parserIdentity(core.template, types, core.version)) : identity),
      parseExpression(code) {
        let node: t.Expression;
        try {
          node = expression.ast(code);
        } catch (e) {
          throw unwrapped(e as Error & { loc?: { line: number; column: number } });
        }
        // The template wraps the code in parentheses to parse it; they are not the author's.
        if (node.extra) {
          delete node.extra.parenthesized;
          delete node.extra.parenStart;
        }
        return node;
      },
    };
    runtimes.set(types, runtime);
  }
  return runtime;
}

/**
 * The parser's own error, as parsing the code alone would give it: the template's code frame
 * dropped (the caller frames the call site) and the line counted without the opening parenthesis.
 */
function unwrapped(error: Error & { loc?: { line: number; column: number } }): Error {
  const first = error.message.split('\n')[0];
  if (!error.loc) return new SyntaxError(first);
  const out = new SyntaxError(`${first.replace(/ \(\d+:\d+\)$/, '')} (${error.loc.line - 1}:${error.loc.column})`);
  return Object.assign(out, { loc: { line: error.loc.line - 1, column: error.loc.column } });
}
