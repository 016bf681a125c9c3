/**
 * Public types of the macro contract (see docs/writing-macros.md).
 * @packageDocumentation
 */
import type * as t from '@babel/types';

/** A compile-time-known primitive value carried by a `const` {@link ArgType}. */
export type ConstValue = string | number | boolean | bigint | null | undefined;

/** The static type of one macro argument, inferred from the AST and scope. */
export type ArgType =
  | { readonly kind: 'const'; readonly value: ConstValue }
  | {
      readonly kind:
        | 'string'
        | 'number'
        | 'boolean'
        | 'bigint'
        | 'null'
        | 'undefined'
        | 'function'
        | 'unknown';
    }
  /** A RegExp; a regexp literal also carries its `pattern` and `flags` (compile-time known). */
  | { readonly kind: 'regexp'; readonly pattern?: string; readonly flags?: string }
  | { readonly kind: 'array'; readonly elements: readonly ArgType[] }
  | { readonly kind: 'object'; readonly properties: Readonly<Record<string, ArgType>> };

/** The argument-type signature of one call site: one {@link ArgType} per argument. */
export interface Signature {
  readonly args: readonly ArgType[];
  /** Canonical, process-independent key: equal signatures have equal keys. */
  readonly key: string;
}

/** Code as a string or a Babel expression AST. */
export type Code = string | t.Expression;

/**
 * What a generator returns.
 * - a function expression: hoisted once per (macro, signature) per file, each call site calls it;
 * - `{ inline }`: `$0, $1, …` stand for the arguments, each evaluated exactly once, in order;
 * - `{ hoist, inline }`: `hoist` emitted once per (macro, signature) per file, named `$hoisted` in `inline`.
 */
export type Expansion = Code | { readonly inline: Code; readonly hoist?: Code };

/** What a generator can do besides returning code. Reads through it are recorded as dependencies. */
export interface GenerateContext {
  /** The macro's import source as written, and the local name at this call site. */
  readonly macroName: string;
  /** Absolute path of the file being transformed (for messages only: expansions are shared across files). */
  readonly filename: string | undefined;
  /** Reads a file (utf8) and records it as a dependency of this expansion. Relative paths resolve from the macro module's folder. */
  readFile(path: string): string;
  /** Records a file dependency without reading it as text (its content hash is recorded). */
  dependsOnFile(path: string): void;
  /** Reads an environment variable and records it as a dependency. */
  env(name: string): string | undefined;
  /** Throws a code-framed error at the call site, or at argument `argIndex`. */
  error(message: string, argIndex?: number): never;
  /**
   * Declares a runtime import (`import { name } from source`), added once per file.
   * Returns the identifier to write in the expansion's code; the plugin binds it in each file.
   */
  helper(source: string, name: string): string;
}

/**
 * A recorded dependency of an expansion, with the hash of what was read. A `file` dependency on
 * a directory hashes its listing (names and kinds). `env-list` is an enumeration of
 * `process.env` (`Object.keys`, `for…in`): it hashes the sorted variable names only; values are
 * recorded only for the variables actually read (`env`).
 */
export type Dependency =
  | { readonly kind: 'file'; readonly path: string; readonly hash: string }
  | { readonly kind: 'env'; readonly name: string; readonly hash: string }
  | { readonly kind: 'env-list'; readonly hash: string };

/** A helper import declared through {@link GenerateContext.helper}. */
export interface HelperImport {
  /** The identifier used in the expansion's code. */
  readonly placeholder: string;
  readonly source: string;
  readonly name: string;
}

/**
 * The stored, serialisable form of an expansion: always `{ hoist?, inline }` as code strings.
 * The bare function form is stored as `{ hoist: fn, inline: '$hoisted($0, …)' }`.
 */
export interface SerializedExpansion {
  readonly hoist: string | null;
  readonly inline: string;
  readonly helpers: readonly HelperImport[];
}

/** Per-file report stored in `file.metadata.cachedMacros`. */
export interface FileReport {
  readonly epoch: number | null;
  readonly macros: Record<string, MacroReport>;
  /** The shared remote tier's part in this file, when one is configured and was consulted. */
  readonly remote?: RemoteReport;
}

/** What the shared remote tier did for one file (one batch of lookups, one of writes). */
export interface RemoteReport {
  /** Entries found on the server and verified. */
  hits: number;
  /** Keys looked up and not found (or rejected). */
  misses: number;
  /** Entries found but rejected: unsigned, tampered with, or signed with another key or namespace. */
  rejected: number;
  /** Entries written. */
  written: number;
  /** Round trips made (at most one lookup and one write per file). */
  batches: number;
  /** Time spent waiting for the server, ms (the bridge included). */
  ms: number;
  /** True when the server was unavailable (the file was built from the local tiers alone). */
  down: boolean;
}

/** Per-macro counters for one file. */
export interface MacroReport {
  /** Call sites of this macro in the file. */
  calls: number;
  /** Distinct signatures among them. */
  signatures: number;
  /** Generator invocations made for this file. */
  generated: number;
  /** Signatures served from the in-process memory tier. */
  memoryHits: number;
  /** Signatures served from the persistent store. */
  storeHits: number;
  /** Stored entries found stale (a dependency changed) and regenerated. */
  invalidations: number;
  /** Whether the macro is a CachedGenerator. */
  cached: boolean;
  /** Time spent in the generator, ms. */
  generateMs: number;
  /**
   * True for a babel-plugin-macros `createMacro` macro: run once per import (or `require`)
   * declaration, never cached. `calls` counts its references, `generated` its runs;
   * `signatures` and the hit counters stay 0.
   */
  compat?: boolean;
}
