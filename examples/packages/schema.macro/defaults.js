'use strict';
/**
 * Settings that do not come from the call site: the error-message templates and strict mode.
 * Both are read through the GenerateContext, so the plugin records them as dependencies of each
 * validator built with them: editing schema-messages.json or changing SCHEMA_STRICT regenerates
 * exactly those validators (guards built by `is` never read them, and stay cached).
 */
const path = require('path');

/** The message templates, next to this module. */
const MESSAGES_FILE = path.join(__dirname, 'schema-messages.json');

/** Every message key codegen may use, with the placeholders its template may contain. */
const MESSAGE_KEYS = {
  type: ['expected', 'actual'],
  required: [],
  enum: ['values'],
  literal: ['value'],
  pattern: ['pattern'],
  integer: [],
  min: ['min'],
  max: ['max'],
  minLength: ['min'],
  maxLength: ['max'],
  unknownKey: ['key'],
};

/**
 * Reads the validator defaults through `ctx` (declaring the dependencies).
 *
 * @param {import('babel-plugin-cached-macros').GenerateContext} ctx
 * @returns {{ messages: Record<string, string>, strict: boolean }} `strict`: extra keys in an
 *   object are errors (SCHEMA_STRICT=1 or true); otherwise they are allowed, as in TypeScript.
 */
function loadDefaults(ctx) {
  let messages;
  try {
    messages = JSON.parse(ctx.readFile(MESSAGES_FILE));
  } catch (e) {
    ctx.error(`schema.macro: cannot read ${MESSAGES_FILE}: ${e.message}`);
  }
  for (const [key, allowed] of Object.entries(MESSAGE_KEYS)) {
    const template = messages[key];
    if (typeof template !== 'string') ctx.error(`schema.macro: ${MESSAGES_FILE} has no "${key}" message`);
    for (const [, name] of template.matchAll(/\{(\w+)\}/g)) {
      if (!allowed.includes(name)) {
        ctx.error(`schema.macro: the "${key}" message in ${MESSAGES_FILE} uses {${name}}; it may use ${allowed.map((a) => `{${a}}`).join(' ') || 'no placeholders'}`);
      }
    }
  }
  const strict = /^(1|true|yes)$/i.test(ctx.env('SCHEMA_STRICT') ?? '');
  return { messages, strict };
}

module.exports = { loadDefaults, MESSAGES_FILE };
