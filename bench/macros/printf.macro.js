'use strict';
/**
 * printf.macro as a babel-plugin-macros `createMacro` macro: the same compile functions as
 * examples/packages/printf.macro (parse.js, emit.js), called once per call site.
 */
const { createMacro, MacroError } = require('babel-plugin-macros');
const { example, count, signatureOf, Context, splice, finish, forEachCall } = require('./shared');

const { parseFormat, leadingDirective, arity, FormatError } = example('printf.macro/parse');
const { emitFormat } = example('printf.macro/emit');
const RUNTIME = 'printf.macro/runtime';

function parsing(fn) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FormatError) throw new MacroError(e.message);
    throw e;
  }
}

/** The same steps as examples/packages/printf.macro/index.js `Printf.generate`. */
function compilePrintf(sig, ctx) {
  const [format, ...values] = sig.args;
  if (format === undefined) ctx.error('printf() needs a format string');
  if (format.kind === 'string' || format.kind === 'unknown') {
    const fn = ctx.helper(RUNTIME, 'format');
    return { inline: `${fn}(${sig.args.map((_, i) => `$${i}`).join(', ')})` };
  }
  if (format.kind !== 'const' || typeof format.value !== 'string') ctx.error('the format must be a string');
  const segments = parsing(() => parseFormat(format.value));
  const expected = arity(segments);
  if (values.length !== expected) ctx.error(`${JSON.stringify(format.value)} has ${expected} directive(s)`);
  return emitFormat(segments, sig.args, ctx);
}

/** The same steps as `Fmt.generate`. */
function compileFmt(sig, ctx) {
  const [strings, ...values] = sig.args;
  const chunks = strings && strings.kind === 'array' ? strings.elements : [];
  if (chunks.length !== values.length + 1) ctx.error('fmt is a tagged template');
  const segments = [{ lit: chunks[0].value }];
  for (let i = 1; i < chunks.length; i++) {
    const { conv, precision, rest } = parsing(() => leadingDirective(chunks[i].value));
    segments.push({ conv, precision }, { lit: rest });
  }
  return emitFormat(segments, sig.args, ctx);
}

function printfMacro({ references, state, source }) {
  const run = (name, compile, constArgs) =>
    forEachCall(references[name], name, (callPath, tagged) => {
      const started = performance.now();
      const ctx = new Context(MacroError, state.filename);
      const sig = signatureOf(callPath, tagged, constArgs);
      const expansion = compile(sig, ctx);
      count(`printf.macro#${name}`, performance.now() - started);
      splice(callPath, tagged, expansion, ctx, state);
    });
  run('default', compilePrintf, [0]);
  run('fmt', compileFmt, undefined);
  finish(state);
}

module.exports = createMacro(printfMacro);
