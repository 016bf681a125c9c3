'use strict';
/**
 * From the call site's signature (an `object` ArgType of `const` values) to the schema IR that
 * the rest of the compiler works on. Every decision here depends only on the signature, never on
 * the order in which the plugin happened to list properties, so equal signature keys give equal
 * validators (generators must be pure: their output is shared through the store).
 *
 * IR nodes:
 *   { type: 'string', min?, max? }               min/max: length
 *   { type: 'number', integer?, min?, max? }
 *   { type: 'boolean' | 'null' | 'undefined' | 'any' }
 *   { type: 'pattern', source, flags }           a string matching a regexp
 *   { type: 'literal', value }                   one allowed value
 *   { type: 'enum', values }                     several allowed values
 *   { type: 'array', items }
 *   { type: 'object', props: [{ key, optional, schema }] }   props sorted by key
 *   { type: 'union', options }
 */

/** A mistake in a schema; `path` says where (e.g. `.address.zip`). */
class SchemaError extends Error {
  constructor(path, message) {
    super(`${path || '(schema)'}: ${message}`);
    this.name = 'SchemaError';
  }
}

/** Named formats: shorthands for a pattern. */
const FORMATS = {
  email: { source: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$', flags: '' },
  uuid: { source: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', flags: 'i' },
};

const SIMPLE = new Set(['string', 'number', 'integer', 'boolean', 'null', 'undefined', 'any']);

/**
 * Parses a type string: `T ('|' T)* '?'?`, where T is a type name with an optional range,
 * `integer(1..)`, `string(1..80)`, `number(..100)`; or a regexp written as a string, `'/^a+$/i'`.
 *
 * @param {string} text
 * @param {string} path
 * @returns {{ schema: object, optional: boolean }}
 */
function parseTypeString(text, path) {
  const regexp = /^\/(.+)\/([dgimsuvy]*)$/s.exec(text);
  if (regexp) return { schema: patternNode(regexp[1], regexp[2], path), optional: false };
  let body = text.trim();
  const optional = body.endsWith('?');
  if (optional) body = body.slice(0, -1);
  const options = body.split('|').map((part) => parseTypeName(part.trim(), path, text));
  return { schema: options.length === 1 ? options[0] : { type: 'union', options }, optional };
}

function parseTypeName(part, path, whole) {
  const m = /^([a-z]+)(?:\((-?\d*\.?\d*)\.\.(-?\d*\.?\d*)\))?$/.exec(part);
  if (!m) throw new SchemaError(path, `cannot read the type ${JSON.stringify(whole)}`);
  const [, name, lo, hi] = m;
  const min = lo ? Number(lo) : undefined;
  const max = hi ? Number(hi) : undefined;
  const ranged = m[2] !== undefined;
  if (FORMATS[name]) {
    if (ranged) throw new SchemaError(path, `${name} takes no range`);
    return { type: 'pattern', ...FORMATS[name], format: name };
  }
  if (!SIMPLE.has(name)) {
    throw new SchemaError(path, `unknown type ${JSON.stringify(name)} (known: ${[...SIMPLE, ...Object.keys(FORMATS)].join(', ')}; ` +
      'for a set of allowed strings write an array of two or more, e.g. [\'admin\', \'user\'])');
  }
  if (ranged && name !== 'string' && name !== 'number' && name !== 'integer') throw new SchemaError(path, `${name} takes no range`);
  if (ranged && (Number.isNaN(min) || Number.isNaN(max))) throw new SchemaError(path, `bad range in ${JSON.stringify(part)}`);
  if (name === 'integer') return { type: 'number', integer: true, min, max };
  if (name === 'string' || name === 'number') return { type: name, min, max };
  return { type: name };
}

function patternNode(source, flags, path) {
  try {
    new RegExp(source, flags); // reject a bad pattern at build time rather than at load time
  } catch (e) {
    throw new SchemaError(path, e.message);
  }
  return { type: 'pattern', source, flags };
}

/**
 * One schema position: a type string, a regexp, a literal, `[T]`, `[a, b, …]` or `{ … }`.
 *
 * @param {import('babel-plugin-cached-macros').ArgType} arg
 * @param {string} path for messages
 * @returns {{ schema: object, optional: boolean }}
 */
function normalizeArg(arg, path) {
  switch (arg.kind) {
    case 'const':
      if (typeof arg.value === 'string') return parseTypeString(arg.value, path);
      if (typeof arg.value === 'bigint') throw new SchemaError(path, 'bigint literals are not supported');
      // A number, boolean, null or undefined stands for itself: `version: 2`, `active: true`.
      return { schema: { type: 'literal', value: arg.value }, optional: false };
    case 'null':
      return { schema: { type: 'literal', value: null }, optional: false };
    case 'regexp': {
      // A regexp literal's pattern and flags are part of the signature; a regexp of unknown
      // pattern (a variable) cannot be compiled into the validator.
      const source = arg.pattern;
      if (typeof source !== 'string') {
        throw new SchemaError(path, 'the regexp must be a literal (its pattern is then known at build time)');
      }
      return { schema: patternNode(source, arg.flags ?? '', path), optional: false };
    }
    case 'array':
      return { schema: normalizeArray(arg.elements, path), optional: false };
    case 'object':
      return { schema: normalizeObject(arg, path), optional: false };
    default:
      throw new SchemaError(path, `must be known at build time (a type string, literal, regexp, array or object literal), but its type here is ${arg.kind}`);
  }
}

/** `[T]` is an array of T; `[a, b, …]` (two or more literals) is an enum. */
function normalizeArray(elements, path) {
  if (elements.length === 1) {
    const { schema, optional } = normalizeArg(elements[0], `${path}[]`);
    return { type: 'array', items: optional ? { type: 'union', options: [schema, { type: 'undefined' }] } : schema };
  }
  if (elements.length >= 2 && elements.every((e) => e.kind === 'const' || e.kind === 'null')) {
    return { type: 'enum', values: elements.map((e) => (e.kind === 'null' ? null : e.value)) };
  }
  throw new SchemaError(path, 'an array schema is either [itemType] or a list of two or more literal values (an enum)');
}

function normalizeObject(arg, path) {
  const keys = Object.keys(arg.properties).sort();
  const props = keys.map((key) => {
    const { schema, optional } = normalizeArg(arg.properties[key], `${path}.${key}`);
    return { key, optional, schema };
  });
  return { type: 'object', props };
}

/**
 * Checks that the macro's argument is a schema object literal, and normalises it.
 *
 * @param {import('babel-plugin-cached-macros').Signature} sig
 * @param {import('babel-plugin-cached-macros').GenerateContext} ctx
 * @param {string} macro the macro's name, for messages
 * @returns {object} the root IR node (an object schema)
 */
function schemaOf(sig, ctx, macro) {
  if (sig.args.length !== 1) ctx.error(`${macro}() takes exactly one argument, the schema`, sig.args.length > 1 ? 1 : undefined);
  const [arg] = sig.args;
  if (arg.kind !== 'object') {
    ctx.error(`${macro}() needs an object literal schema, like { name: 'string', age: 'number?' }; got ${arg.kind === 'const' ? JSON.stringify(arg.value) : `a value of type ${arg.kind}`}`, 0);
  }
  try {
    return normalizeObject(arg, '');
  } catch (e) {
    if (e instanceof SchemaError) ctx.error(`invalid schema at ${e.message}`, 0);
    throw e;
  }
}

module.exports = { schemaOf, SchemaError };
