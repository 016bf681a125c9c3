'use strict';
/**
 * schema.macro: compiles an object-literal schema into a validator at build time.
 *
 *   const checkUser = validate({ name: 'string(1..)', age: 'integer?', tags: ['string'],
 *                                address: { zip: '/^\\d{5}$/' }, role: ['admin', 'user'] });
 *   checkUser(input) // { ok: true, value } | { ok: false, errors: ['age: expected integer, got string'] }
 *
 * Both macros are CachedGenerators: compiling and optimising a validator costs milliseconds, so
 * each distinct schema is compiled once and then served from the store, to every file, worker
 * and later build, until this package, schema-messages.json or SCHEMA_STRICT changes.
 */
const { CachedGenerator, macro } = require('babel-plugin-cached-macros');
const { schemaOf, SchemaError } = require('./normalize');
const { simplify } = require('./simplify');
const { compileValidator, compileGuard } = require('./codegen');
const { optimize } = require('./optimize');
const { loadDefaults } = require('./defaults');

/** Normalised, simplified IR of the call's schema; schema mistakes become build errors. */
function irOf(sig, ctx, macro) {
  const schema = schemaOf(sig, ctx, macro);
  try {
    return simplify(schema);
  } catch (e) {
    if (e instanceof SchemaError) ctx.error(`invalid schema at ${e.message}`, 0);
    throw e;
  }
}

/**
 * `validate(schema)` → `(value) => { ok: true, value } | { ok: false, errors: string[] }`.
 * Reads the message templates and SCHEMA_STRICT (see defaults.js).
 */
class Validate extends CachedGenerator {
  static version = '1';

  /**
   * @param {import('babel-plugin-cached-macros').Signature} sig
   * @param {import('babel-plugin-cached-macros').GenerateContext} ctx
   */
  generate(sig, ctx) {
    const ir = irOf(sig, ctx, 'validate');
    const source = compileValidator(ir, loadDefaults(ctx));
    return { hoist: optimize(source), inline: '$hoisted' };
  }
}

/**
 * `is(schema)` → `(value) => boolean`, a structural type guard: no messages and extra keys are
 * always allowed, so it reads neither the templates nor SCHEMA_STRICT, and editing them leaves
 * its stored expansions valid.
 */
class Is extends CachedGenerator {
  static version = '1';

  /**
   * @param {import('babel-plugin-cached-macros').Signature} sig
   * @param {import('babel-plugin-cached-macros').GenerateContext} ctx
   */
  generate(sig, ctx) {
    return { hoist: optimize(compileGuard(irOf(sig, ctx, 'is'))), inline: '$hoisted' };
  }
}

// macro() returns the classes unchanged; index.d.ts gives each export its call type (Macro<F>).
module.exports = { validate: macro(Validate), is: macro(Is) };
