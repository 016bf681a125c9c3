'use strict';
/**
 * Schema IR → JavaScript source of a validator (or guard) function expression.
 *
 * The emitter is deliberately naive: it concatenates message pieces and paths as separate string
 * literals and writes `if (false)` for disabled options, and leaves tidying up to optimize.js.
 * That keeps each rule here simple and in one place.
 */

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const lit = (value) => (value === undefined ? 'undefined' : JSON.stringify(value));

/** How a value is described in "expected …" messages. */
function describe(node) {
  switch (node.type) {
    case 'number':
      return node.integer ? 'integer' : 'number';
    case 'pattern':
      return node.format ?? 'string';
    case 'literal':
      return lit(node.value);
    case 'enum':
      return node.values.map(lit).join(' | ');
    case 'union':
      return node.options.map(describe).join(' | ');
    default:
      return node.type;
  }
}

/** A `typeof` test that alone decides membership of these types (no further constraint). */
const TYPEOF_ONLY = { string: 'string', boolean: 'boolean', undefined: 'undefined' };

class Emitter {
  /**
   * @param {'validate' | 'guard'} mode validate collects error messages; guard returns false at
   *   the first failure.
   * @param {{ messages?: Record<string, string>, strict?: boolean }} options
   */
  constructor(mode, options, parent) {
    this.mode = mode;
    this.messages = options.messages ?? {};
    this.strict = mode === 'validate' && options.strict === true;
    // Names and closure-level declarations are shared with the emitters of sub-guards, since
    // they all end up in the same closure.
    this.shared = parent ? parent.shared : { counter: 0, consts: new Map(), guards: new Map(), guardDecls: [] };
  }

  fresh(prefix) {
    return `${prefix}${this.shared.counter++}`;
  }

  /** A closure-level constant, shared by every check that needs the same value. */
  constant(prefix, source) {
    const { consts } = this.shared;
    if (!consts.has(source)) consts.set(source, this.fresh(prefix));
    return consts.get(source);
  }

  /**
   * The statement for a failed check: push a message, or return false.
   * @param {string} path code of the value's path
   * @param {string} key message key in schema-messages.json
   * @param {Record<string, string>} params placeholder → code (compile-time values as literals)
   */
  fail(path, key, params = {}) {
    if (this.mode === 'guard') return 'return false;';
    const pieces = [];
    let last = 0;
    const template = this.messages[key];
    for (const m of template.matchAll(/\{(\w+)\}/g)) {
      pieces.push(lit(template.slice(last, m.index)), params[m[1]]);
      last = m.index + m[0].length;
    }
    pieces.push(lit(template.slice(last)));
    return `errors.push(${path} + ": " + ${pieces.join(' + ')});`;
  }

  typeFail(node, v, path) {
    return this.fail(path, 'type', { expected: lit(describe(node)), actual: `kindOf(${v})` });
  }

  /**
   * Statements checking value `v` (an identifier) against `node`.
   * @param {object} node IR
   * @param {string} v
   * @param {{ code: string, root: boolean }} path
   */
  check(node, v, path) {
    const p = path.code;
    switch (node.type) {
      case 'any':
        return '';
      case 'string':
        return `if (typeof ${v} !== "string") { ${this.typeFail(node, v, p)} }` +
          (node.min !== undefined ? ` else if (${v}.length < ${node.min}) { ${this.fail(p, 'minLength', { min: lit(String(node.min)) })} }` : '') +
          (node.max !== undefined ? ` else if (${v}.length > ${node.max}) { ${this.fail(p, 'maxLength', { max: lit(String(node.max)) })} }` : '');
      case 'number':
        return `if (typeof ${v} !== "number" || !Number.isFinite(${v})) { ${this.typeFail(node, v, p)} }` +
          (node.integer ? ` else if (!Number.isInteger(${v})) { ${this.fail(p, 'integer')} }` : '') +
          (node.min !== undefined ? ` else if (${v} < ${node.min}) { ${this.fail(p, 'min', { min: lit(String(node.min)) })} }` : '') +
          (node.max !== undefined ? ` else if (${v} > ${node.max}) { ${this.fail(p, 'max', { max: lit(String(node.max)) })} }` : '');
      case 'boolean':
      case 'undefined':
        return `if (typeof ${v} !== "${node.type}") { ${this.typeFail(node, v, p)} }`;
      case 'null':
        return `if (${v} !== null) { ${this.typeFail(node, v, p)} }`;
      case 'literal':
        return `if (${v} !== ${lit(node.value)}) { ${this.fail(p, 'literal', { value: lit(lit(node.value)) })} }`;
      case 'enum': {
        // A Set pays off once a chain of comparisons gets long.
        const test = node.values.length > 4
          ? `!${this.constant('allowed', `new Set(${JSON.stringify(node.values)})`)}.has(${v})`
          : node.values.map((x) => `${v} !== ${lit(x)}`).join(' && ');
        return `if (${test}) { ${this.fail(p, 'enum', { values: lit(node.values.map(lit).join(', ')) })} }`;
      }
      case 'pattern': {
        const re = this.constant('re', `/${node.source}/${node.flags}`);
        return `if (typeof ${v} !== "string") { ${this.typeFail(node, v, p)} }` +
          ` else if (!${re}.test(${v})) { ${this.fail(p, 'pattern', { pattern: lit(node.format ? `the ${node.format} format` : `/${node.source}/${node.flags}`) })} }`;
      }
      case 'array': {
        const i = this.fresh('i');
        const item = this.fresh('v');
        const itemPath = { code: `${p} + "[" + ${i} + "]"`, root: false };
        return `if (!Array.isArray(${v})) { ${this.typeFail(node, v, p)} } else {` +
          ` for (let ${i} = 0; ${i} < ${v}.length; ${i}++) { const ${item} = ${v}[${i}]; ${this.check(node.items, item, itemPath)} } }`;
      }
      case 'object':
        return this.checkObject(node, v, path);
      case 'union':
        return this.checkUnion(node, v, p);
      default:
        throw new Error(`schema.macro: no code for IR type ${node.type}`);
    }
  }

  checkObject(node, v, path) {
    const p = path.code;
    const body = node.props.map(({ key, optional, schema }) => {
      const value = this.fresh('v');
      const access = IDENTIFIER.test(key) ? `${v}.${key}` : `${v}[${lit(key)}]`;
      const keyPath = { code: path.root ? lit(key) : `${p} + ${lit(`.${key}`)}`, root: false };
      const inner = this.check(schema, value, keyPath);
      if (optional) return `const ${value} = ${access}; if (${value} !== undefined) { ${inner} }`;
      return `const ${value} = ${access}; if (${value} === undefined) { ${this.fail(keyPath.code, 'required')} } else { ${inner} }`;
    });
    const keys = this.constant('keys', `new Set(${JSON.stringify(node.props.map((prop) => prop.key))})`);
    const k = this.fresh('k');
    const extraPath = path.root ? k : `${p} + "." + ${k}`;
    const extra = `if (${this.strict}) { for (const ${k} of Object.keys(${v})) { if (!${keys}.has(${k})) { ${this.fail(extraPath, 'unknownKey', { key: k })} } } }`;
    return `if (typeof ${v} !== "object" || ${v} === null || Array.isArray(${v})) { ${this.typeFail(node, v, p)} } else { ${body.join(' ')} ${extra} }`;
  }

  checkUnion(node, v, p) {
    const simple = node.options.every((o) => TYPEOF_ONLY[o.type] || o.type === 'null' || (o.type === 'number' && Object.keys(o).length === 1));
    let test;
    if (simple) {
      test = node.options.map((o) => (o.type === 'null' ? `${v} !== null` : `typeof ${v} !== "${o.type}"`)).join(' && ');
    } else {
      // Each option becomes a guard function of its own; the value must pass one of them.
      test = `!(${node.options.map((o) => `${this.subGuard(o)}(${v})`).join(' || ')})`;
    }
    return `if (${test}) { ${this.typeFail(node, v, p)} }`;
  }

  /** Name of a closure-level `function isN(x)` testing `node`, created on first use. */
  subGuard(node) {
    const { guards, guardDecls } = this.shared;
    const key = JSON.stringify(node);
    if (!guards.has(key)) {
      const name = this.fresh('is');
      guards.set(key, name);
      const body = new Emitter('guard', {}, this).check(node, 'x', { code: '""', root: false });
      guardDecls.push(`function ${name}(x) { ${body} return true; }`);
    }
    return guards.get(key);
  }
}

/** Closure-level code shared by every validator: how a value's kind is named in messages. */
const KIND_OF = 'function kindOf(x) { return x === null ? "null" : Array.isArray(x) ? "array" : ' +
  'typeof x === "number" && !Number.isFinite(x) ? String(x) : typeof x; }';

/**
 * Source of a validator: `value => { ok: true, value } | { ok: false, errors }`, each error a
 * path followed by a message from the templates.
 *
 * @param {object} schema simplified IR (an object node)
 * @param {{ messages: Record<string, string>, strict: boolean }} options
 * @returns {string} a function expression (an IIFE closing over its constants)
 */
function compileValidator(schema, options) {
  const e = new Emitter('validate', options);
  const body = e.check(schema, 'value', { code: '"value"', root: true });
  return `(() => { ${closure(e)} ${KIND_OF} return function validate(value) { const errors = []; ${body}` +
    ' return errors.length === 0 ? { ok: true, value } : { ok: false, errors }; }; })()';
}

/**
 * Source of a type guard: `value => boolean`, structural (extra keys are allowed).
 * @param {object} schema simplified IR
 * @returns {string}
 */
function compileGuard(schema) {
  const e = new Emitter('guard', {});
  const body = e.check(schema, 'value', { code: '"value"', root: true });
  return `(() => { ${closure(e)} return function is(value) { ${body} return true; }; })()`;
}

/** The closure's declarations: constants first (sub-guards may use them), then sub-guards. */
function closure(e) {
  const { consts, guardDecls } = e.shared;
  return [...[...consts].map(([src, name]) => `const ${name} = ${src};`), ...guardDecls].join(' ');
}

module.exports = { compileValidator, compileGuard, describe };
