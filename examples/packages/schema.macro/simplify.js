'use strict';
/**
 * Simplification of the schema IR before code generation, so that what users write naturally
 * (`'string|null|string'`, `['a', 'b', 'a']`, `'integer|number'`) compiles to the fewest checks.
 */
const { SchemaError } = require('./normalize');

/** Structural identity of an IR node, for de-duplication. */
const keyOf = (node) => JSON.stringify(node);

/** Whether a value of `general` accepts every value `specific` accepts (for union absorption). */
function absorbs(general, specific) {
  if (general.type === 'any') return true;
  const unbounded = general.min === undefined && general.max === undefined;
  switch (general.type) {
    case 'string':
      if (!unbounded) return keyOf(general) === keyOf(specific);
      return specific.type === 'string' || specific.type === 'pattern' || (specific.type === 'literal' && typeof specific.value === 'string');
    case 'number':
      if (!unbounded) return keyOf(general) === keyOf(specific);
      if (general.integer) {
        return (specific.type === 'number' && specific.integer === true) || (specific.type === 'literal' && Number.isInteger(specific.value));
      }
      return specific.type === 'number' || (specific.type === 'literal' && typeof specific.value === 'number');
    case 'boolean':
      return specific.type === 'boolean' || (specific.type === 'literal' && typeof specific.value === 'boolean');
    case 'null':
      return specific.type === 'null' || (specific.type === 'literal' && specific.value === null);
    case 'undefined':
      return specific.type === 'undefined' || (specific.type === 'literal' && specific.value === undefined);
    default:
      return keyOf(general) === keyOf(specific);
  }
}

/**
 * Returns a simplified copy of `node`:
 * - unions are flattened, duplicates and options absorbed by a wider one are dropped, their
 *   literals are merged into one enum, and a union of one option is that option;
 * - enums lose duplicate values; `[true, false]` becomes boolean; an enum of one is a literal;
 * - a pattern loses the `g` and `y` flags, which would make `test()` stateful;
 * - a range that admits nothing is an error, and a `0..` string length is no constraint.
 *
 * @param {object} node IR from normalize.js
 * @param {string} [path]
 * @returns {object}
 */
function simplify(node, path = '') {
  switch (node.type) {
    case 'object':
      return { type: 'object', props: node.props.map((p) => ({ ...p, schema: simplify(p.schema, `${path}.${p.key}`) })) };
    case 'array':
      return { type: 'array', items: simplify(node.items, `${path}[]`) };
    case 'union':
      return simplifyUnion(node.options.map((o) => simplify(o, path)), path);
    case 'enum':
      return simplifyEnum(node.values);
    case 'pattern':
      return { ...node, flags: node.flags.replace(/[gy]/g, '') };
    case 'string':
    case 'number': {
      const { min, max } = node;
      if (min !== undefined && max !== undefined && min > max) throw new SchemaError(path, `the range ${min}..${max} is empty`);
      if (node.type === 'string' && min !== undefined && min <= 0) return simplify({ ...node, min: undefined }, path);
      return Object.fromEntries(Object.entries(node).filter(([, v]) => v !== undefined));
    }
    default:
      return node;
  }
}

function simplifyEnum(values) {
  const unique = [...new Set(values)];
  if (unique.length === 1) return { type: 'literal', value: unique[0] };
  if (unique.length === 2 && unique.includes(true) && unique.includes(false)) return { type: 'boolean' };
  return { type: 'enum', values: unique };
}

function simplifyUnion(options, path) {
  // Flatten, and turn enums into literals so they can be absorbed and re-merged.
  const flat = [];
  for (const o of options) {
    if (o.type === 'union') flat.push(...o.options);
    else if (o.type === 'enum') flat.push(...o.values.map((value) => ({ type: 'literal', value })));
    else flat.push(o);
  }
  const kept = [];
  for (const o of flat) {
    if (kept.some((k) => absorbs(k, o))) continue;
    for (let i = kept.length - 1; i >= 0; i--) if (absorbs(o, kept[i])) kept.splice(i, 1);
    kept.push(o);
  }
  const literals = kept.filter((o) => o.type === 'literal').map((o) => o.value);
  const others = kept.filter((o) => o.type !== 'literal');
  const merged = literals.length > 0 ? [...others, simplifyEnum(literals)] : others;
  if (merged.length === 1) return merged[0];
  if (merged.length === 0) throw new SchemaError(path, 'empty union');
  return { type: 'union', options: merged };
}

module.exports = { simplify };
