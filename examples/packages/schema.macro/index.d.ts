/**
 * schema.macro as seen by application code. `validate` and `is` do not exist at run time: each
 * call is replaced at build time by the validator compiled from its schema literal. index.js
 * exports the generator classes through `macro()`, typed here as `Macro<F>` (callable as `F`).
 *
 * Schema language (each value in the object literal):
 * - a type string: `'string'`, `'number'`, `'integer'`, `'boolean'`, `'null'`, `'any'`,
 *   `'email'`, `'uuid'`; ranges `'integer(1..)'`, `'string(1..80)'` (length);
 *   unions `'string|null'`; a trailing `?` makes a property optional: `'number?'`;
 * - a regexp, as a literal `/^\d{5}$/` (its pattern and flags are part of the call signature)
 *   or written as a string `'/^\\d{5}$/'`;
 * - `[T]`: an array of T; `['a', 'b', …]` (two or more literals): one of these values;
 * - a number, boolean or null: exactly that value;
 * - a nested object literal.
 */

import type { Macro } from 'babel-plugin-cached-macros';

/** What a schema literal may contain. */
export type SchemaValue =
  | string
  | number
  | boolean
  | null
  | RegExp
  | readonly SchemaValue[]
  | { readonly [key: string]: SchemaValue };

/** A schema: an object literal. */
export type Schema = { readonly [key: string]: SchemaValue };

type Trim<S extends string> = S extends ` ${infer R}` ? Trim<R> : S extends `${infer R} ` ? Trim<R> : S;
type Base<N extends string> = Trim<N> extends `${infer B}(${string})` ? B : Trim<N>;
type Named<N extends string> = Base<N> extends 'string' | 'email' | 'uuid'
  ? string
  : Base<N> extends 'number' | 'integer'
    ? number
    : Base<N> extends 'boolean'
      ? boolean
      : Base<N> extends 'null'
        ? null
        : Base<N> extends 'undefined'
          ? undefined
          : unknown;
type Union<N extends string> = N extends `${infer A}|${infer B}` ? Named<A> | Union<B> : Named<N>;
type TypeOf<N extends string> = N extends `/${string}/${string}`
  ? string
  : N extends `${infer B}?`
    ? Union<B> | undefined
    : Union<N>;
type OptionalKeys<S> = { [K in keyof S]: S[K] extends `${string}?` ? K : never }[keyof S];
type Flatten<T> = { [K in keyof T]: T[K] } & {};

/** The TypeScript type of the values a schema accepts. */
export type Infer<S> = S extends RegExp
  ? string
  : S extends string
  ? TypeOf<S>
  : S extends number | boolean | null
    ? S
    : S extends readonly [infer Item]
      ? Infer<Item>[]
      : S extends readonly (infer E)[]
        ? E
        : S extends object
          ? Flatten<
              { -readonly [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & {
                -readonly [K in OptionalKeys<S>]?: Infer<S[K]>;
              }
            >
          : never;

/** What a validator returns: the value itself, or one message per problem (`path: message`). */
export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/**
 * Compiles `schema` into a validator at build time. Messages come from the package's
 * schema-messages.json; with SCHEMA_STRICT=1 at build time, keys not in the schema are errors.
 */
export declare const validate: Macro<<const S extends Schema>(schema: S) => (value: unknown) => ValidationResult<Infer<S>>>;

/** Compiles `schema` into a structural type guard (extra keys allowed) at build time. */
export declare const is: Macro<<const S extends Schema>(schema: S) => (value: unknown) => value is Infer<S>>;
