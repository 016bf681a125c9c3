'use strict';
/**
 * schema.macro as a babel-plugin-macros `createMacro` macro: the same compile functions as
 * examples/packages/schema.macro (normalize, simplify, codegen, optimize, defaults), called once
 * per call site. Each call reads schema-messages.json and SCHEMA_STRICT, as the original does.
 */
const { createMacro, MacroError } = require('babel-plugin-macros');
const { example, count, signatureOf, Context, splice, finish, forEachCall } = require('./shared');

const { schemaOf, SchemaError } = example('schema.macro/normalize');
const { simplify } = example('schema.macro/simplify');
const { compileValidator, compileGuard } = example('schema.macro/codegen');
const { optimize } = example('schema.macro/optimize');
const { loadDefaults } = example('schema.macro/defaults');

function irOf(sig, ctx, macro) {
  const schema = schemaOf(sig, ctx, macro);
  try {
    return simplify(schema);
  } catch (e) {
    if (e instanceof SchemaError) ctx.error(`invalid schema at ${e.message}`);
    throw e;
  }
}

/** The same steps as `Validate.generate` and `Is.generate` in examples/packages/schema.macro. */
const COMPILE = {
  validate: (sig, ctx) => ({ hoist: optimize(compileValidator(irOf(sig, ctx, 'validate'), loadDefaults(ctx))), inline: '$hoisted' }),
  is: (sig, ctx) => ({ hoist: optimize(compileGuard(irOf(sig, ctx, 'is'))), inline: '$hoisted' }),
};

function schemaMacro({ references, state }) {
  for (const name of ['validate', 'is']) {
    forEachCall(references[name], name, (callPath, tagged) => {
      const started = performance.now();
      const ctx = new Context(MacroError, state.filename);
      const sig = signatureOf(callPath, tagged, undefined);
      const expansion = COMPILE[name](sig, ctx);
      count(`schema.macro#${name}`, performance.now() - started);
      splice(callPath, tagged, expansion, ctx, state);
    });
  }
  finish(state);
}

module.exports = createMacro(schemaMacro);
